"""Who may touch which portfolio: enforced here, in the service layer, for every face.

* admin: every portfolio, and accounts without one;
* manager: their own and their agents' portfolios, and accounts without one;
* agent: their own portfolio only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from crmxl import i18n
from crmxl.config import DEMO_ADMIN_LOGIN
from crmxl.db.models import User
from crmxl.domain.enums import PORTFOLIO_ROLES, WITHOUT_PORTFOLIO_WORDS, Role
from crmxl.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Actor:
    id: int
    login: str
    name: str
    role: Role
    lang: str
    portfolios: frozenset[str] | None  # logins whose portfolios this user may touch; None = all

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def may_use(self, portfolio: str | None) -> bool:
        """``portfolio`` is a login, or None for Without Portfolio."""
        if self.portfolios is None:
            return True
        if portfolio is None:
            return self.role == Role.MANAGER
        return portfolio in self.portfolios

    def require(self, portfolio: str | None) -> None:
        """Refuse a portfolio this user may not use. A login not among theirs is refused in the same words
        whether it is another user's or no user at all (a non-admin learns nothing of other logins, as
        `history --user` says), words that claim no permission problem for a login that does not exist;
        an admin is refused nothing here (the service then says there is no such user)."""
        if self.may_use(portfolio):
            return
        if portfolio is None:
            raise PermissionDenied("portfolio_forbidden", login=self.login, portfolio=WITHOUT_PORTFOLIO_WORDS)
        raise PermissionDenied("portfolio_not_theirs", login=self.login, portfolio=portfolio)


def portfolio_logins(db: Session | Connection, actor: Actor) -> list[str]:
    """The portfolios ``actor`` may place accounts in (the Portfolio dropdowns): theirs, or for an admin every
    active user who may hold one."""
    if actor.portfolios is not None:
        return sorted(actor.portfolios)
    return sorted(db.scalars(select(User.login).where(User.role.in_(PORTFOLIO_ROLES), User.active.is_(True))))


def same_login(column, login: str):
    """The clause "``column`` is ``login`` in any case": logins are unique regardless of case (the database's
    unique index on lower(login) says so too), so a login typed in any case names one user."""
    return func.lower(column) == func.lower(login)


def stored_login(db: Session | Connection, login: str | None) -> str | None:
    """The login as it is stored of the user ``login`` names in any case (active or not); None if none."""
    if login is None:
        return None
    return db.scalar(select(User.login).where(same_login(User.login, login)))


def as_stored(db: Session | Connection, login: str | None) -> str | None:
    """``login`` spelt as stored when a user has it in any case, else as it was typed (for the check that
    refuses it to say what was typed)."""
    return stored_login(db, login) or login


def actor_for(session: Session, login: str) -> Actor:
    user = session.scalar(select(User).where(same_login(User.login, login)))
    if user is None or not user.active:
        raise NotFound("user_unknown", login=login)
    role = Role(user.role)
    if role == Role.ADMIN:
        portfolios = None
    elif role == Role.MANAGER:
        agents = session.scalars(select(User.login).where(User.manager_id == user.id)).all()
        portfolios = frozenset([user.login, *agents])
    else:
        portfolios = frozenset([user.login])
    return Actor(user.id, user.login, user.name, role, user.lang, portfolios)


def default_login(session: Session, configured: str | None) -> str:
    """The acting user when ``--as`` is not given: the configured one, else the demo admin."""
    if configured:
        return configured
    if session.scalar(select(User.id).where(User.login == DEMO_ADMIN_LOGIN)) is not None:
        return DEMO_ADMIN_LOGIN
    raise NotFound("no_acting_user")


def resolve_actor(session: Session, login: str | None) -> Actor:
    return actor_for(session, default_login(session, login))


i18n.register(
    {
        "portfolio_forbidden": {
            "en": "User {login} may not work on the portfolio {portfolio}.",
            "pt-BR": "O usuário {login} não pode trabalhar na carteira {portfolio}.",
        },
        "portfolio_not_theirs": {
            "en": "There is no portfolio {portfolio} among those {login} may work on.",
            "pt-BR": "Não há carteira {portfolio} entre aquelas em que {login} pode trabalhar.",
        },
        "portfolio_login_missing": {
            "en": "Give a login, or {without} for the accounts without one.",
            "pt-BR": "Informe um login, ou {without} para as contas sem carteira.",
        },
        "user_unknown": {
            "en": "There is no active user with the login {login}.",
            "pt-BR": "Não existe usuário ativo com o login {login}.",
        },
        "login_unknown": {
            "en": "There is no user with the login {login}.",
            "pt-BR": "Não existe usuário com o login {login}.",
        },
        "no_acting_user": {
            "en": "Who is acting? Give --as LOGIN or set `login` in the config file.",
            "pt-BR": "Quem está agindo? Informe --as LOGIN ou defina `login` no arquivo de configuração.",
        },
    }
)
