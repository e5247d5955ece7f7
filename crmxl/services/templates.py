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
from crmxl.domain.text import sorted_names
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
    removed: list[str] = field(default_factory=list)  # workbooks of the earlier manifest, no longer distributed
    kept: list[str] = field(default_factory=list)  # ... of which these changed since (an agent's work): left
    beside: dict[str, str] = field(default_factory=dict)  # a changed (or unknown) file -> the new one written beside it

    @property
    def agents(self) -> list[str]:
        return sorted({d.agent for d in self.files})

    def as_json(self) -> dict:
        data = {"manager": self.manager, "lang": self.lang, "files": [asdict(d) for d in self.files]}
        if self.beside:  # the files left alone, each with the name its new workbook was written under
            data["kept"] = [{"file": old, "written_as": new} for old, new in self.beside.items()]
        return data


def current_lists(db: Database, actor: Actor) -> Lists:
    """The Lists sheet's values for ``actor``: the portfolios they may place accounts in (and Without Portfolio
    only if they may use it: an agent's dropdown offered values their import then refused), and the current
    qualifications registry."""
    with db.session() as session:
        logins = portfolio_logins(session, actor)
        names = session.scalars(select(Qualification.name)).all()
    return Lists(logins=sorted_names(logins), qualifications=sorted_names(names), without_portfolio=actor.may_use(None))


def distributed_filename(template_id: str, agent: str, lang: str = "en") -> str:
    tail = "" if lang == "en" else f"-{lang}"
    return f"crmxl-{template_id}-{agent}{tail}.xlsx"


def distribute(db: Database, actor: Actor, manager_login: str, out_dir: Path, lang: str = "en") -> Manifest:
    """Write, for every active agent of ``manager_login``, the accounts and contacts workbooks (Portfolio
    pre-filled with the agent's login, the Lists sheet filled from the database), then ``manifest.json``
    with each file's template version and SHA-256. Only an admin or that manager may do it."""
    if not i18n.is_language(lang):
        raise UnusableInput("template_lang_unknown", lang=lang, langs=", ".join(LANGS))
    lang = i18n.normalize_language(lang)  # pt-br, PT-BR: pt-BR
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
    if not agents:  # an empty manifest said nothing; nothing is written, an earlier distribution is kept
        raise UnusableInput("distribute_no_agents", manager=manager_login)
    out_dir = Path(out_dir)
    earlier = _earlier_files(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Distributed] = []
    beside: dict[str, str] = {}
    targets: dict[tuple[str, str], Path] = {}  # every name is chosen before anything is written
    for agent in agents:
        for tpl in (ACCOUNTS, CONTACTS):
            name = distributed_filename(tpl.id, agent, lang)
            free = _free_name(out_dir, name, earlier, {p.name for p in targets.values()})
            if free != name:
                beside[name] = free
            targets[agent, tpl.id] = out_dir / free
    for agent in agents:
        with db.session() as session:
            lists = current_lists(db, actor_for(session, agent))  # what the agent may choose: their portfolio
        for tpl in (ACCOUNTS, CONTACTS):
            path = targets[agent, tpl.id]
            partial = path.with_name(path.name + ".part")
            build_template(tpl, partial, lang, lists, portfolio_default=agent if tpl is ACCOUNTS else None)
            os.replace(partial, path)  # an agent never finds half a workbook
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            written.append(Distributed(agent, tpl.id, tpl.version, lang, path.name, digest))
    manifest = Manifest(manager_login, lang, out_dir / MANIFEST, written, beside=beside)
    text = json.dumps(manifest.as_json(), indent=2, ensure_ascii=False) + "\n"
    partial = manifest.path.with_name(MANIFEST + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, manifest.path)
    _remove_earlier(out_dir, earlier, {d.file for d in written} | set(beside), manifest)  # named once
    return manifest


def _earlier_files(out_dir: Path) -> dict[str, str]:
    """The workbooks (name -> SHA-256) the manifest already in ``out_dir`` lists: bare crmxl-*.xlsx names only
    (a manifest edited to name another file never makes us touch it); none when there is no readable one."""
    try:
        old = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
        entries = [(e["file"], e["sha256"]) for e in old["files"]]
    except (OSError, ValueError, TypeError, KeyError):
        return {}
    return {name: digest for name, digest in entries if isinstance(name, str) and isinstance(digest, str)
            and name == Path(name).name and name.startswith("crmxl-") and name.endswith(".xlsx")}


def _replaceable(path: Path, earlier: dict[str, str]) -> bool:
    """May ``path`` be written over: it is not there, or it is a workbook of the earlier manifest just as it was
    written. One changed since (an agent typed into it), or one the earlier manifest does not list, is not."""
    if not path.exists() and not path.is_symlink():
        return True
    if path.is_symlink() or not path.is_file() or path.name not in earlier:
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == earlier[path.name]


def _free_name(out_dir: Path, name: str, earlier: dict[str, str], taken: set[str]) -> str:
    """``name`` when it may be written over, else the first of ``stem (2).xlsx``, ``stem (3).xlsx``... that may
    (an unchanged one of the earlier distribution is reused: distributing again piles nothing up)."""
    stem, suffix = name.removesuffix(".xlsx"), ".xlsx"
    candidate, n = name, 1
    while candidate in taken or not _replaceable(out_dir / candidate, earlier):
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    return candidate


def _remove_earlier(out_dir: Path, earlier: dict[str, str], now: set[str], manifest: Manifest) -> None:
    """Remove the earlier distribution's workbooks the new manifest does not list, as they were written; one
    changed since (an agent filled it in) is left, and named."""
    for name in sorted(set(earlier) - now):
        path = out_dir / name
        if not path.is_file() or path.is_symlink():
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() == earlier[name]:
            path.unlink()
            manifest.removed.append(name)
        else:
            manifest.kept.append(name)


i18n.register({
    "manager_unknown": {"en": "There is no manager with the login {login}.",
                        "pt-BR": "Não existe gerente com o login {login}."},
    "distribute_forbidden": {"en": "User {login} may not distribute templates to {manager}'s agents.",
                             "pt-BR": "O usuário {login} não pode distribuir modelos aos agentes de {manager}."},
    "distribute_no_agents": {"en": "{manager} has no active agents: there is nothing to distribute (nothing was "
                                   "written).",
                             "pt-BR": "{manager} não tem agentes ativos: não há o que distribuir (nada foi "
                                      "gravado)."},
    "distribute_removed": {"en": "Removed {count:plural:workbook:workbooks} of the earlier distribution that this "
                                 "one does not list: {files}.",
                           "pt-BR": "{count:plural:pasta de trabalho removida:pastas de trabalho removidas} da "
                                    "distribuição anterior que esta não lista: {files}."},
    "distribute_kept": {"en": "Left in place, changed since they were distributed (not in the new manifest): "
                              "{files}.",
                        "pt-BR": "Mantidas, alteradas desde que foram distribuídas (fora do novo manifesto): "
                                 "{files}."},
    "distribute_beside": {"en": "Kept {files}: changed since they were distributed, or not written by crmxl; the "
                                "new workbooks were written beside them as {written}.",
                          "pt-BR": "Mantidas {files}: alteradas desde que foram distribuídas, ou não geradas pelo "
                                   "crmxl; as novas pastas de trabalho foram gravadas ao lado, como {written}."},
    "template_lang_unknown": {"en": "There are no templates in the language {lang}; use one of: {langs}.",
                              "pt-BR": "Não há modelos no idioma {lang}; use um destes: {langs}."},
})
