"""A VBA project storage ([MS-OVBA]) built from module sources, without p-code.

``_VBA_PROJECT`` carries version 0xFFFF, so Office ignores any performance cache
and compiles the project from the source text stored in the module streams.
"""

from __future__ import annotations

import random
import re
import struct
import uuid
from collections.abc import Mapping

from ms_ovba_crypto import MsOvbaCrypto

from crmxl.xl.vba.cfb import write_compound_file
from crmxl.xl.vba.compression import compress

CODEPAGE = 1252
ENCODING = "cp1252"
LCID = 0x0409
SYSKIND_WIN64 = 0x0003

# The libraries every Excel VBA project references (VBA, Excel, OLE Automation,
# Office: IRibbonControl lives there). Office resolves them by GUID and version.
DEFAULT_REFERENCES: tuple[tuple[str, str], ...] = (
    (
        "VBA",
        r"*\G{000204EF-0000-0000-C000-000000000046}#4.2#9#"
        r"C:\PROGRA~1\COMMON~1\MICROS~1\VBA\VBA7.1\VBE7.DLL#Visual Basic For Applications",
    ),
    (
        "Excel",
        r"*\G{00020813-0000-0000-C000-000000000046}#1.9#0#"
        r"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE#Microsoft Excel 16.0 Object Library",
    ),
    (
        "stdole",
        r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation",
    ),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#"
        r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)

# VB_Base of Excel's document modules: the workbook and its worksheets.
DOCUMENT_BASES = {
    "workbook": "0{00020819-0000-0000-C000-000000000046}",
    "worksheet": "0{00020820-0000-0000-C000-000000000046}",
}

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
_VB_NAME = re.compile(r'^\s*Attribute\s+VB_Name\s*=\s*"([^"]*)"', re.IGNORECASE | re.MULTILINE)


def _record(record_id: int, data: bytes = b"") -> bytes:
    return struct.pack("<HI", record_id, len(data)) + data


def _u32(value: int) -> bytes:
    return struct.pack("<I", value)


def _u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _mbcs(text: str) -> bytes:
    return text.encode(ENCODING)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def _crlf(text: str) -> str:
    return "\r\n".join(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))


def module_source(name: str, source: str) -> str:
    """The stored text of a standard module: ``Attribute VB_Name`` first, CRLF line ends."""
    found = _VB_NAME.search(source)
    if found and found.group(1) != name:
        raise ValueError(f"module {name!r} declares Attribute VB_Name = {found.group(1)!r}")
    if not found:
        source = f'Attribute VB_Name = "{name}"\n' + source
    text = _crlf(source)
    return text if text.endswith("\r\n") else text + "\r\n"


def document_source(name: str, kind: str) -> str:
    """The stored text of an empty document module (``ThisWorkbook``, ``Sheet1``, ...)."""
    lines = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{DOCUMENT_BASES[kind]}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return "\r\n".join(lines) + "\r\n"


def project_id(project_name: str) -> str:
    """A stable project GUID, so that the same sources give the same file."""
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"crmxl:vba:{project_name}")).upper() + "}"


def _encrypt(pid: str, data: bytes) -> str:
    """[MS-OVBA] 2.4.3 data encryption (CMG, DPB, GC), with a seed fixed by the input."""
    state = random.getstate()
    try:
        random.seed(f"{pid}:{data.hex()}")
        return MsOvbaCrypto.encrypt(pid, data).hex().upper()
    finally:
        random.setstate(state)


def _project_stream(name: str, pid: str, modules: list[str], documents: list[str]) -> bytes:
    lines = [f'ID="{pid}"']
    lines += [f"Document={doc}/&H00000000" for doc in documents]
    lines += [f"Module={mod}" for mod in modules]
    lines += [
        f'Name="{name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(pid, bytes(4))}"',  # protection state: not protected
        f'DPB="{_encrypt(pid, bytes(1))}"',  # password: none
        f'GC="{_encrypt(pid, bytes([0xFF]))}"',  # visibility: visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{mod}=0, 0, 0, 0, C" for mod in documents + modules]
    return _mbcs("\r\n".join(lines) + "\r\n")


def _project_wm(names: list[str]) -> bytes:
    out = b""
    for name in names:
        out += _mbcs(name) + b"\x00" + _utf16(name) + b"\x00\x00"
    return out + b"\x00\x00"


def _dir_stream(name: str, modules: list[tuple[str, bool]], references: tuple[tuple[str, str], ...]) -> bytes:
    out = bytearray()
    out += _record(0x0001, _u32(SYSKIND_WIN64))
    out += _record(0x0002, _u32(LCID))
    out += _record(0x0014, _u32(LCID))
    out += _record(0x0003, _u16(CODEPAGE))
    out += _record(0x0004, _mbcs(name))
    out += _record(0x0005) + _record(0x0040)  # doc string, and its Unicode twin
    out += _record(0x0006) + _record(0x003D)  # help file path, twice
    out += _record(0x0007, _u32(0))  # help context
    out += _record(0x0008, _u32(0))  # lib flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # PROJECTVERSION: Reserved=4, major, minor
    out += _record(0x000C) + _record(0x003C)  # constants, twice
    for ref_name, libid in references:
        out += _record(0x0016, _mbcs(ref_name)) + _record(0x003E, _utf16(ref_name))
        raw = _mbcs(libid)
        body = _u32(len(raw)) + raw + _u32(0) + _u16(0)
        out += struct.pack("<HI", 0x000D, len(body)) + body
    out += _record(0x000F, _u16(len(modules)))
    out += _record(0x0013, _u16(0xFFFF))
    for mod_name, is_document in modules:
        out += _record(0x0019, _mbcs(mod_name)) + _record(0x0047, _utf16(mod_name))
        out += _record(0x001A, _mbcs(mod_name)) + _record(0x0032, _utf16(mod_name))
        out += _record(0x001C) + _record(0x0048)
        out += _record(0x0031, _u32(0))  # source text starts at offset 0: no p-code
        out += _record(0x001E, _u32(0))
        out += _record(0x002C, _u16(0xFFFF))
        out += _record(0x0022 if is_document else 0x0021)
        out += _record(0x002B)
    out += _record(0x0010)
    return bytes(out)


def build_vba_project(
    modules: Mapping[str, str],
    project_name: str = "crmxl",
    *,
    documents: Mapping[str, str] | None = None,
    references: tuple[tuple[str, str], ...] = DEFAULT_REFERENCES,
) -> bytes:
    """Return a ``vbaProject.bin`` holding ``modules`` ({name: VBA source}).

    ``documents`` maps document module names (the workbook's and sheets' code names)
    to ``"workbook"`` or ``"worksheet"``; they are stored empty.
    """
    documents = dict(documents or {})
    for name in [project_name, *modules, *documents]:
        if not _NAME.match(name):
            raise ValueError(f"not a valid VBA name: {name!r}")
    clash = {n.upper() for n in modules} & {n.upper() for n in documents}
    if clash:
        raise ValueError(f"module names used twice: {sorted(clash)}")
    pid = project_id(project_name)
    texts = {name: document_source(name, kind) for name, kind in documents.items()}
    texts.update({name: module_source(name, source) for name, source in modules.items()})
    order = [(name, name in documents) for name in [*documents, *modules]]
    streams = {
        "PROJECT": _project_stream(project_name, pid, list(modules), list(documents)),
        "PROJECTwm": _project_wm([name for name, _ in order]),
        "VBA/_VBA_PROJECT": b"\xcc\x61\xff\xff\x00\x00\x00",
        "VBA/dir": compress(_dir_stream(project_name, order, references)),
    }
    for name, text in texts.items():
        streams[f"VBA/{name}"] = compress(_mbcs(text))
    return write_compound_file(streams)
