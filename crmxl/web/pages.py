"""The wizard's pages: sign in, Records > CRM > Accounts / Contacts > Import, Export with profiles, History."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse
from starlette.background import BackgroundTask

from crmxl import i18n
from crmxl.errors import Conflict, NotFound, UnusableInput
from crmxl.schema import TEMPLATES
from crmxl.services import history, labels
from crmxl.services import profiles as profile_service
from crmxl.services.access import Actor, portfolio_logins
from crmxl.services.exporting import export
from crmxl.services.imports import ImportHasErrors, commit_import, write_import_report
from crmxl.services.users import authenticate
from crmxl.web.app import html, lang_of, state
from crmxl.web.deps import BatchId, check_csrf, flash, page_actor, take_flash
from crmxl.web.downloads import attachment, download_name, made_on_the_server
from crmxl.web.imports import plan_upload, receive_upload, replan
from crmxl.web.review import SHEET_WARNINGS

router = APIRouter(include_in_schema=False)  # pages: /openapi.json and /docs describe the API only
PAGE_SIZE = 50
HISTORY_PAGE = 50
MAX_ID = 2**31 - 1
ActorDep = Annotated[Actor, Depends(page_actor)]


def _entity(entity: str) -> str:
    if entity not in TEMPLATES:
        raise NotFound("web_not_found_entity", entity=entity)
    return entity


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/login")
def login_page(request: Request):
    return html(request, "login.html", None, flash=take_flash(request))


@router.post("/login")
def login(request: Request, login: Annotated[str, Form()], password: Annotated[str, Form()],
          csrf: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    web = state(request)
    address = request.client.host if request.client else "?"
    lang = lang_of(request)
    if web.limiter.blocked(login, address):
        return html(request, "login.html", None, status=429, error=i18n.message("web_too_many", lang))
    actor = authenticate(web.db, login, password)
    if actor is None:
        web.limiter.failed(login, address)
        return html(request, "login.html", None, status=401, error=i18n.message("web_bad_login", lang))
    web.limiter.succeeded(login)
    lang = request.session.get("lang") or actor.lang  # chosen on the sign-in page, else the user's own
    request.session.clear()  # a new session on sign-in: nothing from before survives (no fixation)
    sid = secrets.token_urlsafe(16)
    web.sessions.add(sid)
    request.session.update({"login": actor.login, "lang": lang, "sid": sid})
    return _redirect("/")


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    state(request).sessions.discard(request.session.get("sid"))  # a copy of the cookie no longer signs in
    request.session.clear()
    return _redirect("/login")


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, back: str = "/"):
    request.session["lang"] = i18n.normalize_language(code)
    return _redirect(back if back.startswith("/") and not back.startswith("//") else "/")


@router.get("/")
def home(actor: ActorDep):
    return _redirect("/accounts/import")


@router.get("/templates/{entity}.xlsx")
def download_template(request: Request, entity: str, actor: ActorDep):
    from crmxl.services.templates import current_lists
    from crmxl.workbook.templates import build_template, template_filename

    tpl = TEMPLATES[_entity(entity)]
    lang = lang_of(request)
    folder = Path(tempfile.mkdtemp(prefix="crmxl-tpl-"))
    path = folder / template_filename(tpl, lang)
    build_template(tpl, path, lang, current_lists(state(request).db, actor))
    return FileResponse(path, filename=path.name, background=BackgroundTask(_cleanup, folder))


def _cleanup(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@router.get("/{entity}/import")
def import_page(request: Request, entity: str, actor: ActorDep):
    return html(request, "import.html", actor, entity=_entity(entity), flash=take_flash(request),
                limit_mb=state(request).upload_limit // 1_000_000)


@router.post("/{entity}/import")
async def upload(request: Request, entity: str, actor: ActorDep, file: Annotated[UploadFile, File()],
                 csrf: Annotated[str | None, Form()] = None, allow_transfers: Annotated[bool, Form()] = False):
    check_csrf(request, csrf)
    web = state(request)
    path, name, size = await receive_upload(web, file)
    pending = plan_upload(web, actor, _entity(entity), path, name, size, lang_of(request), allow_transfers)
    return _redirect(f"/imports/{pending.token}")


def _pending(request: Request, token: str, actor: Actor):
    pending = state(request).store.load(token, actor.login)
    if pending is None:
        raise NotFound("web_plan_gone")
    return pending


@router.get("/imports/{token}")
def review(request: Request, token: str, actor: ActorDep, errors: int = 0, page: int = 1):
    view = state(request).store.load_view(token, actor.login)  # not the whole plan: seconds on a large file
    if view is None:
        raise NotFound("web_plan_gone")
    lang = lang_of(request)
    shown, page, pages = view.page(page, PAGE_SIZE, bool(errors))
    rows = [(row, [labels.show_value(v, None, lang) for v in values], said, warned)
            for row, values, said, warned in shown]
    return html(request, "review.html", actor, pending=view, rows=rows, headers=view.headers[lang],
                counts=labels.count_labels(view.counts, lang, planned=True),
                errors_only=bool(errors), page=page, pages=pages, flash=take_flash(request),
                sheet_warnings=view.sheet_warnings[:SHEET_WARNINGS],
                more_sheet_warnings=max(0, len(view.sheet_warnings) - SHEET_WARNINGS))


@router.get("/imports/{token}/report")
def report(request: Request, token: str, actor: ActorDep):
    pending = _pending(request, token, actor)
    folder = Path(tempfile.mkdtemp(prefix="crmxl-report-"))
    out = folder / "report.xlsx"  # on disk under our name: the user's may be longer than a file name can be
    try:
        with made_on_the_server():
            write_import_report(pending.plan, out, lang_of(request))
    except BaseException:
        _cleanup(folder)
        raise
    return FileResponse(out, headers=attachment(download_name(pending.original_name, "-report.xlsx")),
                        background=BackgroundTask(_cleanup, folder))


@router.post("/imports/{token}/next")
def next_step(request: Request, token: str, actor: ActorDep, csrf: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    web = state(request)
    lang = lang_of(request)
    pending = _pending(request, token, actor)
    try:
        batch_id = commit_import(web.db, actor, pending.plan)
    except ImportHasErrors:
        flash(request, i18n.message("web_fix_first", lang), "warning")
        return _redirect(f"/imports/{token}")
    except Conflict as exc:
        if exc.code != "plan_stale":
            raise
        if not pending.upload.exists():  # a second Next at once: the first one committed it and let it go
            flash(request, i18n.message("web_plan_done", lang), "warning")
            return _redirect("/history")
        fresh = replan(web, actor, pending, lang)
        flash(request, i18n.message("web_stale", lang), "warning")
        return _redirect(f"/imports/{fresh.token}")
    web.store.drop(pending)
    if batch_id is None:
        flash(request, i18n.message("import_nothing_to_do", lang))
        return _redirect(f"/{pending.entity}/import")
    flash(request, i18n.message("web_committed", lang, batch_id=batch_id))
    return _redirect(f"/history/{batch_id}")


@router.get("/export")
def export_page(request: Request, actor: ActorDep, tab: str = "export"):
    web = state(request)
    profiles = profile_service.list_profiles(web.db)
    deletable = {p.name for p in profiles if not p.is_default and profile_service.may_change(actor, p)}
    may_create = profile_service.may_create(actor)
    if tab == "create" and not may_create:
        tab = "export"
    return html(request, "export.html", actor, tab=tab, profiles=profiles, deletable=deletable,
                may_create=may_create, portfolios=_portfolios(request, actor), templates=TEMPLATES,
                profile_view=labels.profile_view, entity_label=labels.entity_label, flash=take_flash(request))


def _portfolios(request: Request, actor: Actor) -> list[str]:
    with state(request).db.session() as session:
        return portfolio_logins(session, actor)


@router.post("/export")
async def export_download(request: Request, actor: ActorDep):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    entity = _entity(str(form.get("entity") or "accounts"))
    portfolios = [str(p) for p in form.getlist("portfolio") if p and p != "__without__"]
    without = "__without__" in form.getlist("portfolio")
    types = [str(t) for t in form.getlist("type") if t]
    fmt = "csv" if form.get("format") == "csv" else "xlsx"
    folder = Path(tempfile.mkdtemp(prefix="crmxl-export-"))
    out = folder / f"crmxl-{entity}.{fmt}"
    try:
        with made_on_the_server():
            export(state(request).db, actor, entity, out, portfolios=portfolios, without_portfolio=without,
                   types=types, profile=str(form.get("profile") or "") or None, fmt=fmt, lang=lang_of(request))
    except BaseException:
        _cleanup(folder)
        raise
    return FileResponse(out, filename=out.name, background=BackgroundTask(_cleanup, folder))


@router.post("/profiles")
async def create_profile(request: Request, actor: ActorDep):
    form = await request.form()
    check_csrf(request, form.get("csrf"))
    flt = profile_service.Filters(
        portfolios=tuple(str(p) for p in form.getlist("portfolio") if p and p != "__without__"),
        without_portfolio="__without__" in form.getlist("portfolio"),
        types=tuple(str(t) for t in form.getlist("type") if t),
        ufs=tuple(u.strip() for u in str(form.get("ufs") or "").split(",") if u.strip()))
    profile_service.add_profile(state(request).db, actor, str(form.get("name") or ""),
                                str(form.get("entity") or ""), [str(c) for c in form.getlist("column")] or None, flt)
    flash(request, i18n.message("web_profile_saved", lang_of(request)))
    return _redirect("/export?tab=profiles")


@router.post("/profiles/delete")
def remove_profile(request: Request, actor: ActorDep, name: Annotated[str, Form()],
                   csrf: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    profile_service.delete_profile(state(request).db, actor, name)
    return _redirect("/export?tab=profiles")


@router.get("/history")
def history_page(request: Request, actor: ActorDep, before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
                 after: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
                 since: Annotated[str, Query(alias="from", max_length=40)] = "",
                 until: Annotated[str, Query(alias="to", max_length=40)] = ""):
    dates = {"from": since.strip(), "to": until.strip()}
    try:
        filters = history.Filters(since=history.parse_day(since), until=history.parse_day(until))
        found = history.page_batches(state(request).db, actor, HISTORY_PAGE, filters, before=before, after=after)
    except UnusableInput as exc:
        return html(request, "history.html", actor, status=400, batches=[], dates=dates, links={},
                    error=exc.render(lang_of(request)))
    kept = {k: v for k, v in dates.items() if v}
    links = {name: "/history?" + urlencode({**kept, key: value})
             for name, key, value in (("older", "before", found.older), ("newer", "after", found.newer))
             if value is not None}
    shown = [labels.batch_view(b, lang_of(request)) for b in found.batches]
    return html(request, "history.html", actor, batches=shown, dates=dates, links=links,
                flash=take_flash(request))


@router.get("/history/{batch_id}")
def batch_page(request: Request, batch_id: BatchId, actor: ActorDep):
    batch, changes = history.get_batch(state(request).db, actor, batch_id)
    shown = labels.change_views(state(request).db, changes[:500], lang_of(request))
    return html(request, "batch.html", actor, batch=labels.batch_view(batch, lang_of(request)), changes=shown,
                total=len(changes),
                flash=take_flash(request))


@router.post("/history/{batch_id}/undo")
def undo_batch(request: Request, batch_id: BatchId, actor: ActorDep, csrf: Annotated[str | None, Form()] = None):
    check_csrf(request, csrf)
    history.get_batch(state(request).db, actor, batch_id)  # may the actor see it at all?
    new_id = history.undo(state(request).db, actor, batch_id)
    flash(request, i18n.message("web_undone", lang_of(request), batch_id=batch_id, undo_id=new_id))
    return _redirect(f"/history/{new_id}")



i18n.register({
    "web_not_found_entity": {"en": "There is no '{entity}' page.", "pt-BR": "Não existe a página '{entity}'."},
})
