"""Writing a file the user will open: all of it or nothing, with the permissions a file of theirs has."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def file_mode(target: Path) -> int:
    """The mode of the file being replaced; a new file gets the usual one (0666 less the umask), not the
    0600 of a temporary file (colleagues on a shared folder could not open it)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def written_atomically(out: Path) -> Iterator[Path]:
    """A temporary path beside ``out`` to write to: once the block ends it takes ``out``'s place (a reader never
    finds half a file), or is removed if the block fails."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=out.suffix, dir=out.parent)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, file_mode(out))
        os.replace(temp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
