"""The JSON API under /api/, for scripts and the Excel add-in: a per-user token (Authorization: Bearer)."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from dataclasses import replace
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from crmxl.errors import NotFound, UnusableInput
from crmxl.services import history
from crmxl.services import profiles as profile_service
from crmxl.services.access import Actor
from crmxl.services.exporting import export
from crmxl.services.imports import ImportHasErrors, commit_import, plan_as_json
from crmxl.web.app import state
from crmxl.web.deps import BatchId, api_actor
from crmxl.web.downloads import made_on_the_server
from crmxl.web.imports import plan_upload, receive_upload
from crmxl.web.pages import MAX_ID, _cleanup, _entity

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
        with made_on_the_server():
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


LINK_HEADER = {"Link": {"description": 'The next page (older batches) as <URL>; rel="next", the previous '
                                   '(newer) one as rel="prev"; either is left out at that end of the listing.',
                        "schema": {"type": "string"}}}


@router.get("/batches", responses={200: {"headers": LINK_HEADER}})
def batches(request: Request, response: Response, actor: ApiActor,
            limit: Annotated[int, Query(ge=1, le=500, description="Batches per page")] = 50,
            before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only batches older than this "
                                                "batch id (the next page)")] = None,
            after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only batches newer than this "
                                               "batch id (the previous page; not with before)")] = None,
            since: Annotated[str, Query(alias="from", max_length=40, description="First day, YYYY-MM-DD "
                                        "(UTC, included)")] = "",
            until: Annotated[str, Query(alias="to", max_length=40, description="Last day, YYYY-MM-DD "
                                        "(UTC, included)")] = "",
            user: Annotated[str, Query(max_length=64, description="Only this user's batches (a login, in any "
                                       "case)")] = "",
            kind: Annotated[Literal["", "import", "transfer", "undo"], Query(
                description="Only imports, transfers or undos")] = "") -> list[dict[str, Any]]:
    """The batches the token's user may see, newest first, a page at a time (as the History page and
    `crmxl history`); the Link header gives the next and previous pages with the same filters."""
    filters = replace(_days(since, until), user=user.strip() or None, kind=kind or None)
    try:
        found = history.page_batches(state(request).db, actor, limit, filters, before=before, after=after)
    except NotFound as exc:  # a user the filter names is no user (or none the token's user may see)
        raise _invalid("user", user, exc) from None
    except UnusableInput as exc:  # before and after at once: the message names both
        raise _invalid("after", str(after), exc) from None
    kept = {"limit": limit, **{k: v for k, v in (("from", since.strip()), ("to", until.strip()),
                                                 ("user", user.strip()), ("kind", kind)) if v}}
    links = [f'</api/batches?{urlencode({**kept, key: value})}>; rel="{rel}"'
             for rel, key, value in (("next", "before", found.older), ("prev", "after", found.newer))
             if value is not None]
    if links:
        response.headers["Link"] = ", ".join(links)
    return [b.__dict__ for b in found.batches]


def _days(since: str, until: str) -> history.Filters:
    """The from/to days as the History page and the command line read them; a bad one is a 422 naming it."""
    days = {}
    for name, value in (("from", since), ("to", until)):
        try:
            days[name] = history.parse_day(value)
        except UnusableInput as exc:
            raise _invalid(name, value, exc) from None
    try:
        history.check_days(days["from"], days["to"])
    except UnusableInput as exc:
        raise _invalid("to", until, exc) from None
    return history.Filters(since=days["from"], until=days["to"])


def _invalid(name: str, value: str, exc: UnusableInput) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("query", name), "msg": exc.render("en"),
                                    "input": value}])


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
