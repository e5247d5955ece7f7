"""Users: creation, passwords, API tokens, authentication (for the web, the API and the CLI)."""

from __future__ import annotations

import re

from sqlalchemy import select

from crmxl import i18n
from crmxl.db.models import User, utcnow
from crmxl.db.session import Database
from crmxl.domain.enums import Role, parse_enum
from crmxl.domain.errors import FieldError
from crmxl.errors import Conflict, NotFound, PermissionDenied, UnusableInput
from crmxl.services.access import Actor, actor_for, same_login, stored_login
from crmxl.services.history import audit
from crmxl.services.limits import check_length
from crmxl.services.passwords import hash_password, hash_token, new_api_token, verify_password

MIN_PASSWORD = 8
LOGIN = re.compile(r"[A-Za-z0-9._@-]+")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UnusableInput("password_too_short", length=MIN_PASSWORD)


def add_user(db: Database, actor: Actor | None, login: str, name: str, role: str, *, manager: str | None = None,
             password: str | None = None, lang: str = "en") -> None:
    """Create a user; ``actor`` None means the command line's bootstrap (no user yet) or an admin."""
    if actor is not None and not actor.is_admin:
        raise PermissionDenied("users_admin_only", login=actor.login)
    try:
        role_value = parse_enum(Role, role).value
    except FieldError as exc:
        raise UnusableInput("user_role_invalid", detail=exc) from None
    login = login.strip()
    if LOGIN.fullmatch(login) is None:  # ASCII: the same in any case on every database (SQLite folds ASCII only)
        raise UnusableInput("user_login_invalid", login=login)
    check_length(login, User.login, "user_login_too_long")  # the Portfolio column of the templates holds as much
    check_length(name, User.name, "user_name_too_long")
    if password is not None:
        _check_password(password)
    with db.transaction() as conn:
        users = User.__table__
        existing = stored_login(conn, login)
        if existing == login:
            raise Conflict("user_exists", login=login)
        if existing is not None:
            raise Conflict("user_exists_other_case", login=login, existing=existing)
        manager_id = None
        if manager:
            manager_id = conn.execute(select(users.c.id).where(same_login(users.c.login, manager),
                                                               users.c.role == "manager")).scalar()
            if manager_id is None:
                raise NotFound("manager_unknown", login=manager)
        conn.execute(users.insert().values(login=login, name=name, role=role_value, manager_id=manager_id,
                                           password_hash=hash_password(password) if password else None,
                                           lang=i18n.normalize_language(lang), active=True,
                                           created_at=utcnow()))
        audit(conn, actor.login if actor else "cli", "user_add", f"user:{login}", role=role_value, manager=manager)


def set_password(db: Database, actor: Actor | None, login: str, password: str) -> None:
    if actor is not None and not actor.is_admin and actor.login.lower() != login.lower():
        raise PermissionDenied("users_admin_only", login=actor.login)
    _check_password(password)
    with db.session() as session:
        user = session.scalar(select(User).where(same_login(User.login, login)))
        if user is None:
            raise NotFound("user_unknown", login=login)
        login = user.login
        user.password_hash = hash_password(password)
    with db.transaction() as conn:
        audit(conn, actor.login if actor else "cli", "user_password", f"user:{login}")


def authenticate(db: Database, login: str, password: str) -> Actor | None:
    """The user's Actor when the password is right, else None (same answer for unknown users)."""
    with db.session() as session:
        user = session.scalar(select(User).where(same_login(User.login, login), User.active.is_(True)))
        stored = user.password_hash if user else None
        if not verify_password(stored, password):
            return None
        return actor_for(session, user.login)


def issue_token(db: Database, actor: Actor | None, login: str) -> str:
    """A new API token for ``login`` (shown once; only its hash is stored, replacing the previous one)."""
    if actor is not None and not actor.is_admin and actor.login.lower() != login.lower():
        raise PermissionDenied("users_admin_only", login=actor.login)
    token, digest = new_api_token()
    with db.session() as session:
        user = session.scalar(select(User).where(same_login(User.login, login)))
        if user is None:
            raise NotFound("user_unknown", login=login)
        login = user.login
        user.api_token_hash = digest
    with db.transaction() as conn:
        audit(conn, actor.login if actor else "cli", "user_token", f"user:{login}")
    return token


def actor_for_token(db: Database, token: str) -> Actor | None:
    if not token:
        return None
    with db.session() as session:
        login = session.scalar(select(User.login).where(User.api_token_hash == hash_token(token),
                                                        User.active.is_(True)))
        return actor_for(session, login) if login else None


i18n.register({
    "password_too_short": {"en": "A password needs at least {length} characters.",
                           "pt-BR": "Uma senha precisa de pelo menos {length} caracteres."},
    "users_admin_only": {"en": "User {login} may not manage other users (admins may).",
                         "pt-BR": "O usuário {login} não pode gerenciar outros usuários (admins podem)."},
    "user_role_invalid": {"en": "Invalid role: {detail}", "pt-BR": "Papel inválido: {detail}"},
    "user_login_invalid": {
        "en": "Invalid login '{login}': a login is made of letters without accents, digits and . _ @ -.",
        "pt-BR": "Login inválido '{login}': um login tem letras sem acento, dígitos e . _ @ -."},
    "user_login_too_long": {
        "en": "A login may have at most {limit} characters (what the Portfolio column of the model workbooks "
              "holds); this one has {length}.",
        "pt-BR": "Um login pode ter no máximo {limit} caracteres (o que a coluna Carteira das planilhas modelo "
                 "comporta); este tem {length}."},
    "user_name_too_long": {"en": "A user's name may have at most {limit} characters; this one has {length}.",
                           "pt-BR": "O nome de um usuário pode ter no máximo {limit} caracteres; este tem {length}."},
    "user_exists_other_case": {
        "en": "The login {login} is taken: the user {existing} has it (logins are the same in any case).",
        "pt-BR": "O login {login} já está em uso: o usuário {existing} o tem (logins são iguais em qualquer caixa)."},
    "user_exists": {"en": "A user with the login {login} exists already.",
                    "pt-BR": "Já existe um usuário com o login {login}."},
})
