"""The parts of an .xlsx/.xlsm package the report patch reads: relationships, content types, XML text helpers.

Every part we build a tree of is parsed with defusedxml (no DTD, no entity is ever expanded). Parts we
rewrite are spliced as text where their structure is simple and regular, so what we do not understand
is carried over as it was.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from posixpath import dirname, normpath
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
REL_COMMENTS = f"{REL}/comments"
REL_VML = f"{REL}/vmlDrawing"
REL_WORKSHEET = f"{REL}/worksheet"
REL_STYLES = f"{REL}/styles"
REL_STRINGS = f"{REL}/sharedStrings"
REL_CUSTOM_PROPS = f"{REL}/custom-properties"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_CUSTOM_PROPS = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CT_BOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_BOOK_MACROS = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XML_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAX_PART = 50_000_000  # a styles, comments, VML or workbook part bigger than this is not one we patch
MAX_TEXT = 32_767  # the most a cell holds


class Unpatchable(Exception):
    """The workbook holds something the patch does not handle; the caller writes the report another way."""


def parse(data: bytes) -> Element:
    try:
        return ElementTree.fromstring(data)
    except Exception as exc:  # DTDs and entities are refused, broken XML too
        raise Unpatchable(f"unreadable part: {exc}") from None


def read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise Unpatchable(f"missing part {name}") from None
    if info.file_size > MAX_PART:
        raise Unpatchable(f"part too large: {name}")
    return archive.read(info)


def unprefixed(data: bytes, root: str) -> None:
    """Refuse a part whose root element uses a namespace prefix (we splice the unprefixed form)."""
    if re.search(rb"<" + root.encode() + rb"[\s>/]", data) is None:
        raise Unpatchable(f"<{root}> is not the unprefixed root")


def resolve(source_part: str, target: str) -> str:
    """The part name a relationship target points at, from the part that holds the relationship."""
    if target.startswith("/"):
        return target.lstrip("/")
    return normpath(f"{dirname(source_part)}/{target}").lstrip("/")


def rels_part(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


@dataclass
class Rel:
    id: str
    type: str
    target: str
    mode: str | None = None


def read_rels(data: bytes | None) -> list[Rel]:
    if data is None:
        return []
    root = parse(data)
    return [Rel(r.get("Id", ""), r.get("Type", ""), r.get("Target", ""), r.get("TargetMode"))
            for r in root.iter(f"{{{PKG_REL}}}Relationship")]


def render_rels(rels: list[Rel]) -> bytes:
    items = "".join(f'<Relationship Id={attr(r.id)} Type={attr(r.type)} Target={attr(r.target)}'
                    + (f" TargetMode={attr(r.mode)}" if r.mode else "") + "/>" for r in rels)
    return XML_DECL + f'<Relationships xmlns="{PKG_REL}">{items}</Relationships>'.encode()


def new_rel_id(rels: list[Rel], stem: str = "rId") -> str:
    taken = {r.id for r in rels}
    n = len(rels) + 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


class ContentTypes:
    """``[Content_Types].xml``: defaults by extension, overrides by part name."""

    def __init__(self, data: bytes) -> None:
        root = parse(data)
        self.defaults = {d.get("Extension", "").lower(): d.get("ContentType", "")
                         for d in root.iter(f"{{{CT}}}Default")}
        self.overrides = {o.get("PartName", ""): o.get("ContentType", "") for o in root.iter(f"{{{CT}}}Override")}

    def of(self, part: str) -> str | None:
        return self.overrides.get(f"/{part}") or self.defaults.get(part.rpartition(".")[2].lower())

    def add(self, part: str, content_type: str) -> None:
        if self.of(part) != content_type:
            self.overrides[f"/{part}"] = content_type

    def remove(self, part: str) -> None:
        self.overrides.pop(f"/{part}", None)

    def render(self) -> bytes:
        defaults = "".join(f"<Default Extension={attr(e)} ContentType={attr(t)}/>" for e, t in self.defaults.items())
        overrides = "".join(f"<Override PartName={attr(p)} ContentType={attr(t)}/>"
                            for p, t in self.overrides.items())
        return XML_DECL + f'<Types xmlns="{CT}">{defaults}{overrides}</Types>'.encode()


def free_name(taken: set[str], pattern: str) -> str:
    """The first ``pattern.format(n)`` (n = 1, 2, ...) not in ``taken``; the name is added to ``taken``."""
    n = 1
    while pattern.format(n) in taken:
        n += 1
    taken.add(pattern.format(n))
    return pattern.format(n)


# Characters XML 1.0 cannot hold are written the OOXML way, as _xHHHH_ (and a literal _xHHHH_ is escaped).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return "_x005F_" if char == "_" else f"_x{ord(char):04X}_"


def text(value: str) -> str:
    """``value`` as the text of a cell or a note (XML-escaped, OOXML-escaped where XML cannot hold it)."""
    value = _ILLEGAL.sub(_escape_char, value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def attr(value: str) -> str:
    """``value`` as a quoted attribute value (plain XML escaping; characters XML cannot hold are dropped)."""
    value = _NOT_XML.sub("", value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return '"' + value.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;") \
        .replace("\t", "&#9;") + '"'


def inline_string(value: str) -> str:
    """The ``<is>`` of an inline-string cell holding ``value``."""
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
    return f"<is><t{space}>{text(value)}</t></is>"


_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def attributes(tag: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(tag))


def set_attr(tag: bytes, name: bytes, value: bytes | None) -> bytes:
    """``tag`` (a start tag, ``<x ...>`` or ``<x .../>``) with attribute ``name`` set, or removed if None."""
    pattern = re.compile(rb"\s" + re.escape(name) + rb'="[^"]*"')
    if value is None:
        return pattern.sub(b"", tag, count=1)
    new = b" " + name + b'="' + value + b'"'
    if pattern.search(tag):
        return pattern.sub(lambda _m: new, tag, count=1)
    end = len(tag) - (2 if tag.endswith(b"/>") else 1)
    return tag[:end] + new + tag[end:]


_ENTITY = re.compile(rb"&(?:#x([0-9A-Fa-f]+)|#([0-9]+)|(amp|lt|gt|quot|apos));")
_NAMED = {b"amp": "&", b"lt": "<", b"gt": ">", b"quot": '"', b"apos": "'"}
_OOXML_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _entity(match: re.Match[bytes]) -> str:
    hex_code, dec_code, name = match.groups()
    if name:
        return _NAMED[name]
    return chr(int(hex_code, 16) if hex_code else int(dec_code))


def unescape(data: bytes) -> str:
    """The text of XML character data (entities and character references resolved)."""
    out, pos = [], 0
    for match in _ENTITY.finditer(data):
        out.append(data[pos:match.start()].decode("utf-8", "replace"))
        out.append(_entity(match))
        pos = match.end()
    out.append(data[pos:].decode("utf-8", "replace"))
    return "".join(out)


_T = re.compile(rb"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)


def string_item(data: bytes) -> str:
    """The text of a string item (``<si>`` or ``<is>``: plain or rich text; phonetic runs left out)."""
    if b"<rPh" in data:
        data = _PHONETIC.sub(b"", data)
    value = "".join(unescape(t or b"") for t in _T.findall(data))
    return _OOXML_CHAR.sub(lambda m: chr(int(m.group(1), 16)), value) if "_x" in value else value


_SI = re.compile(rb"<si\b[^>]*?(?:/>|>(.*?)</si>)", re.S)
CHUNK = 1 << 21


def shared_strings(archive: zipfile.ZipFile, part: str | None, wanted: set[int]) -> dict[int, str]:
    """The shared strings at indices ``wanted`` (read as a stream, stopping past the last one wanted)."""
    found: dict[int, str] = {}
    if not wanted or part is None:
        return found
    last = max(wanted)
    try:
        handle = archive.open(part)
    except KeyError:
        raise Unpatchable(f"missing part {part}") from None
    with handle:
        index, tail = 0, b""
        while index <= last:
            chunk = handle.read(CHUNK)
            buffer = tail + chunk
            end = 0
            for match in _SI.finditer(buffer):
                if index in wanted:
                    found[index] = string_item(match.group(1) or b"")
                index += 1
                end = match.end()
                if index > last:
                    break
            tail = buffer[end:]
            if not chunk:
                break
            if len(tail) > MAX_PART:
                raise Unpatchable("a shared string too large")
    return found


# -- copying zip members as they are --------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DATA_DESCRIPTOR = 0x08


def copy_member(source: zipfile.ZipFile, info: zipfile.ZipInfo, target: zipfile.ZipFile) -> None:
    """Copy member ``info`` of ``source`` into ``target`` without decompressing it (same bytes, same method)."""
    if info.flag_bits & 0x01 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Unpatchable(f"member {info.filename} is encrypted or compressed in an unusual way")
    fp = source.fp
    if fp is None:
        raise Unpatchable("the source archive is closed")
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise Unpatchable(f"bad local header for {info.filename}")
    fields = _LOCAL_HEADER.unpack(header)
    fp.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.flag_bits = info.flag_bits & ~_DATA_DESCRIPTOR & 0x0806  # keep the method options and UTF-8 names
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    copy.CRC, copy.compress_size, copy.file_size = info.CRC, info.compress_size, info.file_size
    if target._writing:  # noqa: SLF001  (zipfile has no public raw-copy API)
        raise Unpatchable("archive busy")
    out = target.fp
    with target._lock:  # noqa: SLF001
        if target._seekable:  # noqa: SLF001
            out.seek(target.start_dir)
        copy.header_offset = out.tell()
        target._writecheck(copy)  # noqa: SLF001
        target._didModify = True  # noqa: SLF001
        out.write(copy.FileHeader())
        remaining = info.compress_size
        while remaining:
            block = fp.read(min(remaining, CHUNK))
            if not block:
                raise Unpatchable(f"member {info.filename} is truncated")
            out.write(block)
            remaining -= len(block)
        target.filelist.append(copy)
        target.NameToInfo[copy.filename] = copy
        target.start_dir = out.tell()
