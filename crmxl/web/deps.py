"""Who is asking: the signed-in user (pages) or the API token's user (API), checked on every request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from crmxl.errors import NotFound
from crmxl.services.access import Actor, actor_for
from crmxl.services.users import actor_for_token
from crmxl.web.app import CsrfFailure, NotSignedIn, state
from crmxl.web.security import csrf_ok


def page_actor(request: Request) -> Actor:
    login = request.session.get("login")
    if not login or request.session.get("sid") not in state(request).sessions:  # signed out, or the server restarted
        request.session.clear()
        raise NotSignedIn
    try:
        with state(request).db.session() as session:
            return actor_for(session, login)
    except NotFound:
        request.session.clear()
        raise NotSignedIn from None


def api_actor(request: Request) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    actor = actor_for_token(state(request).db, token.strip()) if scheme.lower() == "bearer" else None
    if actor is None:
        raise NotSignedIn
    return actor


def check_csrf(request: Request, given: str | None) -> None:
    if not csrf_ok(request.session, given):
        raise CsrfFailure


def flash(request: Request, message: str, kind: str = "info") -> None:
    request.session["flash"] = {"message": message, "kind": kind}


def take_flash(request: Request) -> dict | None:
    return request.session.pop("flash", None)


# a batch number in the path: a 32-bit id (a larger one is no batch: 404/422, not the database's overflow)
BatchId = Annotated[int, Path(ge=1, le=2**31 - 1)]
