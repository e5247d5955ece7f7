"""What kind of file the user handed us, decided from its bytes (the extension only breaks ties)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from crmxl.errors import UnusableInput

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Unicode text": UTF-16, tab separated
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods"}
# what reading a damaged package raises: a bad directory or member (BadZipFile, EOFError, zlib.error is an
# Exception too), a zip feature Python does not implement (NotImplementedError, a RuntimeError), an
# encrypted member (RuntimeError), a bad name or size (ValueError, KeyError), the disk (OSError)
ZIP_ERRORS = (zipfile.BadZipFile, OSError, KeyError, EOFError, ValueError, RuntimeError, zlib.error)


def sniff(path: Path) -> str:
    """Return ``"xlsx"`` (also .xlsm) or ``"csv"``; raise ``UnusableInput`` for anything else."""
    name = path.name
    try:
        if not path.exists():
            raise UnusableInput("file_not_found", file=str(path))
        if path.is_dir():
            raise UnusableInput("file_is_a_folder", file=str(path))
        if not path.is_file():
            raise UnusableInput("not_a_spreadsheet", file=name)
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError as exc:
        raise UnusableInput("file_unreadable", file=name, detail=exc.strerror or str(exc)) from None
    if not head:
        raise UnusableInput("empty_file", file=name)
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path)
    if head.startswith(OLE_MAGIC):
        raise _ole_error(path)
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        raise UnusableInput("not_a_spreadsheet", file=name)
    if head.startswith(UTF16_BOMS) and _is_utf16(head):
        return "csv"
    if b"\x00" in head:
        raise UnusableInput("not_a_spreadsheet", file=name)
    return "csv"


def _is_utf16(head: bytes) -> bool:
    try:
        text = head[: len(head) - len(head) % 2].decode("utf-16")
    except UnicodeDecodeError:
        return False
    return text.isprintable() or all(c.isprintable() or c in "\r\n\t" for c in text)


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except ZIP_ERRORS:
        raise UnusableInput("corrupted_file", file=path.name) from None
    if b"opendocument" in mimetype:
        raise UnusableInput("ods_format", file=path.name)
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        raise UnusableInput("xlsb_format", file=path.name)
    raise UnusableInput("not_a_spreadsheet", file=path.name)


def _ole_error(path: Path) -> UnusableInput:
    """An OLE compound file is either a password-protected workbook or an old binary .xls."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return UnusableInput("file_unreadable", file=path.name, detail=exc.strerror or str(exc))
    if "EncryptedPackage".encode("utf-16-le") in data:
        return UnusableInput("file_encrypted", file=path.name)
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return UnusableInput("old_xls_format", file=path.name)
    return UnusableInput("not_a_spreadsheet", file=path.name)
