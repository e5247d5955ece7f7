"""Distribute model workbooks to a manager's agents: one workbook each, and a manifest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select

from crmxl import i18n
from crmxl.db.models import Qualification, User
from crmxl.db.session import Database
from crmxl.domain.enums import Role
from crmxl.errors import NotFound, PermissionDenied
from crmxl.schema import ACCOUNTS, CONTACTS
from crmxl.services.access import Actor
from crmxl.workbook.layout import Lists
from crmxl.workbook.templates import build_template

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Distributed:
    agent: str
    template: str
    version: str
    file: str
    sha256: str


def current_lists(db: Database, logins: list[str]) -> Lists:
    with db.session() as session:
        names = session.scalars(select(Qualification.name).order_by(Qualification.name)).all()
    return Lists(logins=sorted(logins), qualifications=list(names))


def distribute(db: Database, actor: Actor, manager_login: str, out_dir: Path, lang: str = "en") -> list[Distributed]:
    """Write, for every agent of ``manager_login``, the accounts and contacts workbooks with their login as
    the Portfolio default and the Lists sheet filled from the database; then ``manifest.json``."""
    with db.session() as session:
        manager = session.scalar(select(User).where(User.login == manager_login))
        if manager is None or manager.role != Role.MANAGER:
            raise NotFound("manager_unknown", login=manager_login)
        agents = sorted(a.login for a in manager.agents if a.active)
    if not (actor.is_admin or actor.login == manager_login):
        raise PermissionDenied("distribute_forbidden", login=actor.login, manager=manager_login)
    lists = current_lists(db, agents)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Distributed] = []
    for agent in agents:
        for tpl in (ACCOUNTS, CONTACTS):
            suffix = "" if lang == "en" else f"-{lang}"
            path = out_dir / f"crmxl-{tpl.id}-{agent}{suffix}.xlsx"
            build_template(tpl, path, lang, lists, portfolio_default=agent if tpl is ACCOUNTS else None)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            written.append(Distributed(agent, tpl.id, tpl.version, path.name, digest))
    manifest = {"manager": manager_login, "files": [asdict(d) for d in written]}
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return written


i18n.register({
    "manager_unknown": {"en": "There is no manager with the login {login}.",
                        "pt-BR": "Não existe gerente com o login {login}."},
    "distribute_forbidden": {"en": "User {login} may not distribute templates to {manager}'s agents.",
                             "pt-BR": "O usuário {login} não pode distribuir modelos aos agentes de {manager}."},
})
