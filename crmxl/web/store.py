"""Server-side files of the wizard: uploads (random names, outside the web root) and pending plans."""

from __future__ import annotations

import contextlib
import pickle
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from crmxl.services.importing.model import ImportPlan

EXPIRY_SECONDS = 3600
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
    created: float


class Store:
    def __init__(self, root: Path) -> None:
        self.uploads = root / "uploads"
        self.plans = root / "plans"
        for folder in (self.uploads, self.plans):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)

    def new_upload(self, suffix: str) -> Path:
        return self.uploads / f"{secrets.token_hex(16)}{suffix}"

    def save(self, pending: Pending) -> None:
        path = self.plans / f"{pending.token}.pkl"
        temp = path.with_suffix(".tmp")
        temp.write_bytes(pickle.dumps(pending))
        temp.replace(path)

    def load(self, token: str, login: str) -> Pending | None:
        if not token.isalnum() or len(token) > MAX_TOKEN:  # a token of ours, not a file name too long for the disk
            return None
        path = self.plans / f"{token}.pkl"
        if not path.exists():
            return None
        pending: Pending = pickle.loads(path.read_bytes())  # noqa: S301 - our own files, never user input
        if pending.login != login:
            return None
        if time.time() - pending.created > EXPIRY_SECONDS:
            self.drop(pending)
            return None
        return pending

    def drop(self, pending: Pending) -> None:
        with contextlib.suppress(OSError):
            pending.upload.unlink()
        with contextlib.suppress(OSError):
            (self.plans / f"{pending.token}.pkl").unlink()

    def expire(self) -> int:
        """Delete plans and uploads older than the expiry; returns how many files went."""
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
