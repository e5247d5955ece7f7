"""The web wizard and JSON API: FastAPI over the same services as the command line and Excel."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from crmxl import i18n
from crmxl.config import Settings, data_dir, load_settings
from sqlalchemy.exc import DataError, OperationalError

from crmxl.db.session import Database, describe_error, refused
from crmxl.domain.enums import without_portfolio_label
from crmxl.errors import Conflict, CrmxlError, DatabaseUnavailable, NotFound, PermissionDenied
from crmxl.services.access import Actor
from crmxl.web import texts  # noqa: F401  (registers the wizard's words)
from crmxl.web.downloads import NotMade
from crmxl.web.security import SecurityHeaders, SignInLimiter, UploadLimit, csrf_token, secret_key
from crmxl.web.store import Store

DEFAULT_UPLOAD_LIMIT = 50_000_000
HERE = Path(str(files("crmxl.web")))


@dataclass
class WebState:
    db: Database
    settings: Settings
    store: Store
    limiter: SignInLimiter
    upload_limit: int
    templates: Jinja2Templates
    # the signed-in sessions (an id each): signing out ends one for good, not only in the browser that had it
    sessions: set[str] = field(default_factory=set)


class NotSignedIn(Exception):
    pass


class CsrfFailure(Exception):
    pass


def create_app(settings: Settings | None = None, *, database_url: str | None = None,
               upload_limit: int = DEFAULT_UPLOAD_LIMIT, root: Path | None = None) -> FastAPI:
    settings = settings or load_settings(database_url=database_url)
    db = Database(database_url or settings.database_url)
    app = FastAPI(title="crmxl", description="Import, validate, export and transfer CRM accounts and contacts.",
                  version="1.0", docs_url=None, redoc_url=None)  # /docs: our own page (web/docs.py)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals["t"] = i18n.message
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["without_portfolio"] = without_portfolio_label
    app.state.web = WebState(db, settings, Store(root or data_dir()), SignInLimiter(), upload_limit, templates)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    from crmxl.web import api, docs, pages

    app.include_router(docs.router)
    app.include_router(pages.router)
    app.include_router(api.router)
    _handlers(app, templates)
    app.add_middleware(SessionMiddleware, secret_key=secret_key(), session_cookie="crmxl_session",
                       same_site="strict", https_only=False, max_age=8 * 3600)
    app.add_middleware(UploadLimit, limit=upload_limit)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(FaceWording)
    return app


class FaceWording:
    """A request's messages in its face's words: the pages name their checkboxes and fields, the API its
    parameters, where the command line would name its options."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with i18n.speaking_to("api" if scope["path"].startswith("/api/") else "web"):
            await self.app(scope, receive, send)


def state(request: Request) -> WebState:
    return request.app.state.web


def lang_of(request: Request) -> str:
    return i18n.normalize_language(request.session.get("lang") or state(request).settings.lang)


def _status(exc: CrmxlError) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, DatabaseUnavailable):
        return 503
    if isinstance(exc, NotMade):
        return 500
    return 400


def _handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    def page(request: Request, status: int, message: str, headers: dict[str, str] | None = None):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message}, status_code=status, headers=headers)
        return templates.TemplateResponse(request, "error.html", {"lang": lang_of(request), "status": status,
                                                                  "message": message, "actor": None},
                                          status_code=status, headers=headers)

    # a page's address that is not there, asked with the wrong method or with a value it cannot use: the error
    # page in the user's language, as every other error of a page (FastAPI's JSON stays for /api/)
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/"):
            return await http_exception_handler(request, exc)
        lang, path = lang_of(request), request.url.path[:200]
        if exc.status_code == 404:
            message = i18n.message("web_no_page", lang, path=path)
        elif exc.status_code == 405:
            message = i18n.message("web_wrong_method", lang, path=path, method=request.method)
        else:
            message = str(exc.detail)
        return page(request, exc.status_code, message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_value(request: Request, exc: RequestValidationError):
        if request.url.path.startswith("/api/"):
            return await request_validation_exception_handler(request, exc)
        lang = lang_of(request)  # the page's words for what was wrong, never the parameter's own name
        fields = ", ".join(dict.fromkeys(texts.field_words(str(e.get("loc", ("",))[-1]), lang) for e in exc.errors()))
        return page(request, 422, i18n.message("web_bad_value", lang, fields=fields[:200]))

    @app.exception_handler(CrmxlError)
    async def crmxl_error(request: Request, exc: CrmxlError):
        return page(request, _status(exc), exc.render(lang_of(request)))

    @app.exception_handler(OperationalError)
    async def database_gone(request: Request, exc: OperationalError):
        return page(request, 503, DatabaseUnavailable("database_unavailable", url=state(request).db.safe_url,
                                                      detail=describe_error(exc)).render(lang_of(request)))

    @app.exception_handler(DataError)
    async def value_refused(request: Request, exc: DataError):  # the database works: a value did not fit it
        return page(request, 400, refused(exc).render(lang_of(request)))

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "A valid API token is needed (Authorization: Bearer ...)."},
                                status_code=401)
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(CsrfFailure)
    async def csrf_failure(request: Request, exc: CsrfFailure):
        return page(request, 403, i18n.message("web_csrf", lang_of(request)))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):  # a message, never a traceback page
        return page(request, 500, i18n.message("internal_error", lang_of(request), detail=type(exc).__name__))


def html(request: Request, name: str, actor: Actor | None, status: int = 200, **context) -> HTMLResponse:
    web = state(request)
    return web.templates.TemplateResponse(request, name, {"lang": lang_of(request), "actor": actor,
                                                          "session": request.session, **context},
                                          status_code=status)
