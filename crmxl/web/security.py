"""Web security pieces: CSRF tokens, sign-in rate limiting, security headers, the upload size limit."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crmxl.config import data_dir

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def secret_key() -> str:
    """The key that signs session cookies: made once, kept in the data directory (mode 0600)."""
    path = data_dir() / "web-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def csrf_token(session: dict) -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_ok(session: dict, given: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and given and hmac.compare_digest(expected, given))


class SignInLimiter:
    """At most ``attempts`` failed sign-ins per login and per address in ``window`` seconds."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q = self.failures[key]
        now = time.monotonic()
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked(self, login: str, address: str) -> bool:
        return any(len(self._recent(k)) >= self.attempts for k in (f"l:{login}", f"a:{address}"))

    def failed(self, login: str, address: str) -> None:
        for key in (f"l:{login}", f"a:{address}"):
            self._recent(key).append(time.monotonic())

    def succeeded(self, login: str) -> None:
        self.failures.pop(f"l:{login}", None)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                if scope["path"].startswith("/static/") is False:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyTooLarge(Exception):
    pass


class UploadLimit:
    """Refuse request bodies over ``limit`` bytes with 413, counting while streaming (not after).

    A body sent without Content-Length (chunked) is found too large only while the app reads it; the app may
    turn the error into an answer of its own (FastAPI's form parsing answers 400), so the answer it starts
    is replaced by the same 413 a declared size gets."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, send)
            return
        seen = 0
        started = too_large = False

        async def counting() -> Message:
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_large = True
                    raise BodyTooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if too_large:  # the app's own answer to the refused body: ours is sent instead
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await self._refuse(scope, send)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except BodyTooLarge:
            if not started:
                started = True
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        from crmxl.web.texts import too_large_page

        is_api = scope["path"].startswith("/api/")
        body = (b'{"detail": "The file is larger than the upload limit (%d MB)."}' % (self.limit // 1_000_000)
                if is_api else too_large_page(self.limit).encode())
        kind = b"application/json" if is_api else b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                *[(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]]})
        await send({"type": "http.response.body", "body": body})
