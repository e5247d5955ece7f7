"""Uploads and plans for the wizard and the API: saved under random names, planned, kept server-side."""

from __future__ import annotations

import contextlib
import time
import zipfile
from pathlib import Path

from fastapi import UploadFile

from crmxl import i18n
from crmxl.errors import CrmxlError, UnusableInput
from crmxl.services.access import Actor
from crmxl.services.imports import plan_import
from crmxl.web.app import WebState
from crmxl.web.review import build_review
from crmxl.web.store import Pending, new_token
from crmxl.workbook.sniff import ZIP_ERRORS

ALLOWED = {".xlsx", ".csv"}
CHUNK = 1 << 20


async def receive_upload(web: WebState, upload: UploadFile) -> tuple[Path, str, int]:
    """Stream the upload to a random name outside the web root; refuse what is not an .xlsx or .csv."""
    name = Path(upload.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsm":
        raise UnusableInput("web_macro_refused", file=name)
    if suffix not in ALLOWED:
        raise UnusableInput("web_type_refused", file=name)
    path = web.store.new_upload(suffix)
    size = 0
    try:
        with path.open("wb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                out.write(chunk)
        if suffix == ".xlsx" and any(n.lower().endswith("vbaproject.bin") for n in _members(path)):
            raise UnusableInput("web_macro_refused", file=name)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return path, name, size


def _members(path: Path) -> list[str]:
    """The names in the zip ``path`` (none when it is no readable zip: the import then says it is damaged)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except ZIP_ERRORS:
        return []


def plan_upload(web: WebState, actor: Actor, entity: str, path: Path, name: str, size: int, lang: str,
                allow_transfers: bool, uploaded: float | None = None) -> Pending:
    try:
        plan = plan_import(web.db, actor, path, entity, lang=lang, allow_transfers=allow_transfers, shown_name=name)
    except CrmxlError as exc:
        with contextlib.suppress(OSError):
            path.unlink()
        if exc.params.get("file") == path.name:  # name the user's file, not our random one
            raise type(exc)(exc.code, **{**exc.params, "file": name}) from None
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    now = time.time()
    pending = Pending(new_token(), actor.login, entity, path, name, size, plan, now, uploaded or now)
    web.store.save(pending, build_review(pending))
    web.store.expire()
    return pending


def replan(web: WebState, actor: Actor, pending: Pending, lang: str) -> Pending:
    fresh = plan_upload(web, actor, pending.entity, pending.upload, pending.original_name, pending.size, lang,
                        pending.plan.allow_transfers, uploaded=pending.first_upload)
    web.store.forget(pending.token)
    return fresh


i18n.register({
    "web_macro_refused": {
        "en": "{file}: macro-enabled workbooks are not accepted here. Save it as an .xlsx workbook and upload again.",
        "pt-BR": "{file}: planilhas com macros não são aceitas aqui. Salve como .xlsx e envie de novo."},
    "web_type_refused": {
        "en": "{file}: only Excel workbooks (.xlsx) and CSV files can be imported.",
        "pt-BR": "{file}: só planilhas do Excel (.xlsx) e arquivos CSV podem ser importados."},
})
