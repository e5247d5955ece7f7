"""The JSON API under /api/, for scripts and the Excel add-in: a per-user token (Authorization: Bearer)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from crmxl.services import history
from crmxl.services import profiles as profile_service
from crmxl.services.access import Actor
from crmxl.services.exporting import export
from crmxl.services.imports import ImportHasErrors, commit_import, plan_as_json
from crmxl.web.app import state
from crmxl.web.deps import BatchId, api_actor
from crmxl.web.imports import plan_upload, receive_upload
from crmxl.web.pages import _cleanup, _entity

router = APIRouter(prefix="/api", tags=["api"])
ApiActor = Annotated[Actor, Depends(api_actor)]


class ExportRequest(BaseModel):
    portfolios: list[str] = Field(default_factory=list, description="Agents' logins")
    without_portfolio: bool = False
    types: list[str] = Field(default_factory=list, description="MEDICAL, COMPANY, INSURANCE")
    ufs: list[str] = Field(default_factory=list)
    profile: str | None = None
    format: str = Field("xlsx", pattern="^(xlsx|csv)$")
    lang: str = "en"


@router.get("/me")
def me(actor: ApiActor) -> dict[str, Any]:
    """The token's user and the portfolios it may work on (null: all)."""
    return {"login": actor.login, "name": actor.name, "role": actor.role.value,
            "portfolios": sorted(actor.portfolios) if actor.portfolios is not None else None}


@router.post("/imports/{entity}")
async def import_file(request: Request, entity: str, actor: ApiActor, file: Annotated[UploadFile, File()],
                      commit: bool = False, allow_transfers: bool = False, skip_invalid: bool = False,
                      lang: str = "en") -> dict[str, Any]:
    """Validate and plan an uploaded workbook (DESIGN.md §4 JSON); with commit=true apply it when valid."""
    web = state(request)
    path, name, size = await receive_upload(web, file)
    pending = plan_upload(web, actor, _entity(entity), path, name, size, lang, allow_transfers)
    batch_id = None
    try:
        if commit:
            with contextlib.suppress(ImportHasErrors):
                batch_id = commit_import(web.db, actor, pending.plan, skip_invalid=skip_invalid)
    finally:
        web.store.drop(pending)
    data = plan_as_json(pending.plan, committed=batch_id is not None, batch_id=batch_id)
    data["file"] = name
    return data


@router.post("/exports/{entity}")
def export_file(request: Request, entity: str, actor: ApiActor, body: ExportRequest) -> FileResponse:
    """The selected accounts or contacts as a model workbook (or CSV)."""
    folder = Path(tempfile.mkdtemp(prefix="crmxl-api-export-"))
    out = folder / f"crmxl-{_entity(entity)}.{body.format}"
    try:
        export(state(request).db, actor, entity, out, portfolios=body.portfolios,
               without_portfolio=body.without_portfolio, types=body.types, ufs=body.ufs, profile=body.profile,
               fmt=body.format, lang=body.lang)
    except BaseException:
        _cleanup(folder)
        raise
    return FileResponse(out, filename=out.name, background=BackgroundTask(_cleanup, folder))


@router.get("/profiles")
def profiles(request: Request, actor: ApiActor) -> list[dict[str, Any]]:
    return [{"name": p.name, "entity": p.entity, "columns": list(p.columns), "filters": p.filters.as_json(),
             "is_default": p.is_default, "created_by": p.created_by, "may_change": profile_service.may_change(actor, p)}
            for p in profile_service.list_profiles(state(request).db)]


@router.get("/batches")
def batches(request: Request, actor: ApiActor, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    return [b.__dict__ for b in history.list_batches(state(request).db, actor, limit)]


@router.get("/batches/{batch_id}")
def batch(request: Request, batch_id: BatchId, actor: ApiActor) -> dict[str, Any]:
    summary, changes = history.get_batch(state(request).db, actor, batch_id)
    return {**summary.__dict__, "changes": changes}


@router.post("/batches/{batch_id}/undo")
def undo(request: Request, batch_id: BatchId, actor: ApiActor) -> dict[str, Any]:
    history.get_batch(state(request).db, actor, batch_id)
    return {"undone": batch_id, "batch_id": history.undo(state(request).db, actor, batch_id)}


@router.get("/lists")
def lists(request: Request, actor: ApiActor) -> dict[str, Any]:
    """The logins the user may place accounts in, and the qualifications registry (for dropdowns)."""
    from crmxl.services.templates import current_lists

    found = current_lists(state(request).db, actor)
    return {"logins": list(found.logins), "without_portfolio": found.without_portfolio,
            "qualifications": list(found.qualifications)}
