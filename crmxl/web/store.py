"""Server-side files of the wizard: uploads (random names, outside the web root) and pending plans."""

from __future__ import annotations

import contextlib
import os
import pickle
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmxl.services.importing.model import ImportPlan

EXPIRY_SECONDS = 3600  # an upload and its plan are kept this long after the last plan or use of them ...
MAX_AGE_SECONDS = 8 * 3600  # ... and at most this long after the upload (a working day, as a session)
MAX_TOKEN = 64  # ours are 32 hex digits


@dataclass
class Pending:
    """A plan shown to a user, waiting for Next."""

    token: str
    login: str
    entity: str
    upload: Path
    original_name: str
    size: int
    plan: ImportPlan
    created: float  # when this plan was made
    uploaded: float | None = None  # when the file came (a plan made again keeps it); None: at ``created``

    @property
    def first_upload(self) -> float:
        return self.created if self.uploaded is None else self.uploaded


class Store:
    def __init__(self, root: Path) -> None:
        self.uploads = root / "uploads"
        self.plans = root / "plans"
        for folder in (self.uploads, self.plans):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)

    def new_upload(self, suffix: str) -> Path:
        return self.uploads / f"{secrets.token_hex(16)}{suffix}"

    def save(self, pending: Pending, view: Any) -> None:
        """The plan ``pending`` and ``view``, what the review page shows of it (loaded without the plan); the
        upload it was made from is kept as long as they are."""
        for suffix, found in (("pkl", pending), ("view.pkl", view)):
            path = self.plans / f"{pending.token}.{suffix}"
            temp = path.with_name(f"{path.name}.tmp")
            temp.write_bytes(pickle.dumps(found))
            temp.replace(path)
        self._touch(pending.token, pending.upload)

    def load(self, token: str, login: str) -> Pending | None:
        """The plan ``token`` of ``login``; kept an hour longer from now (a use), within its maximum age."""
        return self._load(token, login, "pkl")

    def load_view(self, token: str, login: str) -> Any | None:
        """The review page's view of the plan ``token`` (see ``save_view``), with the plan's lifetime."""
        return self._load(token, login, "view.pkl")

    def _load(self, token: str, login: str, suffix: str) -> Any | None:
        if not token.isalnum() or len(token) > MAX_TOKEN:  # a token of ours, not a file name too long for the disk
            return None
        path = self.plans / f"{token}.{suffix}"
        try:
            idle = time.time() - path.stat().st_mtime
        except OSError:
            return None
        found = pickle.loads(path.read_bytes())  # noqa: S301 - our own files, never user input
        if found.login != login:
            return None
        if idle > EXPIRY_SECONDS or time.time() - found.first_upload > MAX_AGE_SECONDS:
            with contextlib.suppress(OSError):
                found.upload.unlink()
            self.forget(token)
            return None
        self._touch(token, found.upload)
        return found

    def _touch(self, token: str, upload: Path) -> None:
        """Mark the plan, its view and its upload as used now: ``expire`` counts an hour from here."""
        now = time.time()
        for path in (self.plans / f"{token}.pkl", self.plans / f"{token}.view.pkl", upload):
            with contextlib.suppress(OSError):
                os.utime(path, (now, now))

    def drop(self, pending: Pending) -> None:
        with contextlib.suppress(OSError):
            pending.upload.unlink()
        self.forget(pending.token)

    def forget(self, token: str) -> None:
        """Delete the plan ``token`` and its view (the upload stays)."""
        for suffix in ("pkl", "view.pkl"):
            with contextlib.suppress(OSError):
                (self.plans / f"{token}.{suffix}").unlink()

    def expire(self) -> int:
        """Delete plans and uploads not planned or used for the expiry's time; returns how many files went."""
        now, gone = time.time(), 0
        for folder in (self.plans, self.uploads):
            for path in folder.iterdir():
                with contextlib.suppress(OSError):
                    if now - path.stat().st_mtime > EXPIRY_SECONDS:
                        path.unlink()
                        gone += 1
        return gone


def new_token() -> str:
    return secrets.token_hex(16)
