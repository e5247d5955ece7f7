"""Distribute model workbooks to a manager's agents: one workbook each, and a manifest."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select

from crmxl import i18n
from crmxl.db.models import Qualification, User
from crmxl.db.session import Database
from crmxl.domain.enums import Role
from crmxl.errors import NotFound, PermissionDenied, UnusableInput
from crmxl.schema import ACCOUNTS, CONTACTS, LANGS
from crmxl.services.access import Actor, actor_for, portfolio_logins, same_login
from crmxl.workbook.layout import Lists
from crmxl.workbook.templates import build_template

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Distributed:
    """One workbook written for one agent."""

    agent: str
    template: str
    version: str
    lang: str
    file: str
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What ``distribute`` wrote; ``path`` is the manifest file itself (JSON)."""

    manager: str
    lang: str
    path: Path
    files: list[Distributed] = field(default_factory=list)

    @property
    def agents(self) -> list[str]:
        return sorted({d.agent for d in self.files})

    def as_json(self) -> dict:
        return {"manager": self.manager, "lang": self.lang, "files": [asdict(d) for d in self.files]}


def current_lists(db: Database, actor: Actor) -> Lists:
    """The Lists sheet's values for ``actor``: the portfolios they may place accounts in (and Without Portfolio
    only if they may use it: an agent's dropdown offered values their import then refused), and the current
    qualifications registry."""
    with db.session() as session:
        logins = portfolio_logins(session, actor)
        names = session.scalars(select(Qualification.name).order_by(Qualification.name)).all()
    return Lists(logins=sorted(logins), qualifications=list(names), without_portfolio=actor.may_use(None))


def distributed_filename(template_id: str, agent: str, lang: str = "en") -> str:
    tail = "" if lang == "en" else f"-{lang}"
    return f"crmxl-{template_id}-{agent}{tail}.xlsx"


def distribute(db: Database, actor: Actor, manager_login: str, out_dir: Path, lang: str = "en") -> Manifest:
    """Write, for every active agent of ``manager_login``, the accounts and contacts workbooks (Portfolio
    pre-filled with the agent's login, the Lists sheet filled from the database), then ``manifest.json``
    with each file's template version and SHA-256. Only an admin or that manager may do it."""
    if lang not in LANGS:
        raise UnusableInput("template_lang_unknown", lang=lang, langs=", ".join(LANGS))
    with db.session() as session:  # the manager's login in any case
        manager = session.scalar(select(User).where(same_login(User.login, manager_login)))
        if not (actor.is_admin or (manager is not None and manager.login == actor.login)):
            raise PermissionDenied("distribute_forbidden", login=actor.login, manager=manager_login)
        if manager is None:  # (only an admin learns that a login is no user's)
            raise NotFound("login_unknown", login=manager_login)
        manager_login = manager.login
        if manager.role != Role.MANAGER:
            raise NotFound("manager_unknown", login=manager_login)
        agents = sorted(a.login for a in manager.agents if a.active)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Distributed] = []
    for agent in agents:
        with db.session() as session:
            lists = current_lists(db, actor_for(session, agent))  # what the agent may choose: their portfolio
        for tpl in (ACCOUNTS, CONTACTS):
            path = out_dir / distributed_filename(tpl.id, agent, lang)
            partial = path.with_name(path.name + ".part")
            build_template(tpl, partial, lang, lists, portfolio_default=agent if tpl is ACCOUNTS else None)
            os.replace(partial, path)  # an agent never finds half a workbook
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            written.append(Distributed(agent, tpl.id, tpl.version, lang, path.name, digest))
    manifest = Manifest(manager_login, lang, out_dir / MANIFEST, written)
    text = json.dumps(manifest.as_json(), indent=2, ensure_ascii=False) + "\n"
    partial = manifest.path.with_name(MANIFEST + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, manifest.path)
    return manifest


i18n.register({
    "manager_unknown": {"en": "There is no manager with the login {login}.",
                        "pt-BR": "Não existe gerente com o login {login}."},
    "distribute_forbidden": {"en": "User {login} may not distribute templates to {manager}'s agents.",
                             "pt-BR": "O usuário {login} não pode distribuir modelos aos agentes de {manager}."},
    "template_lang_unknown": {"en": "There are no templates in the language {lang}; use one of: {langs}.",
                              "pt-BR": "Não há modelos no idioma {lang}; use um destes: {langs}."},
})
