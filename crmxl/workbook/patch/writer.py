"""Write the report by patching the workbook's package: only the parts the findings touch are rewritten.

Every other member is copied as it was, compressed bytes and all. Rewritten: the data worksheet (as a
stream, see ``sheet``), ``xl/styles.xml`` (our formats, see ``styles``), the sheet's notes (see
``notes``), the Summary sheet (a new part; an earlier one of ours removed), ``xl/workbook.xml`` and the
relationships and content types that name them, ``docProps/custom.xml`` (the format mapping).

``patch_workbook`` raises ``Unpatchable`` for anything it does not understand; the caller then writes the
report another way.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from posixpath import dirname, relpath
from typing import Any

from crmxl.workbook.patch import notes as notes_module
from crmxl.workbook.patch.package import (
    CHUNK,
    CT_BOOK,
    CT_BOOK_MACROS,
    CT_CUSTOM_PROPS,
    CT_WORKSHEET,
    MAIN,
    REL,
    REL_CUSTOM_PROPS,
    REL_STRINGS,
    REL_STYLES,
    REL_WORKSHEET,
    XML_DECL,
    ContentTypes,
    Rel,
    Unpatchable,
    attr,
    attributes,
    copy_member,
    free_name,
    inline_string,
    new_rel_id,
    parse,
    read,
    read_rels,
    rels_part,
    render_rels,
    resolve,
    set_attr,
    shared_strings,
    string_item,
    unescape,
    unprefixed,
)
from crmxl.workbook.patch.sheet import SheetMarks, SheetPatch, column_letters
from crmxl.workbook.patch.styles import Styles

OFFICE_DOCUMENT = f"{REL}/officeDocument"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
MAPPING_PROPERTY = "crmxl_report_styles"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
MAX_TEXT = 32_767  # the most a cell holds
BIG_PART = 8_000_000  # a worksheet this large is compressed fast (level 1) and through threads
_SHEET_ELEMENT = re.compile(rb"<sheet\b[^>]*?(?:/>|>\s*</sheet>)", re.S)
_DEFINED_NAME = re.compile(rb"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", re.S)


@dataclass
class Annotations:
    """Everything the report writes into the workbook, computed from the findings."""

    sheet: str
    header_row: int
    marks: dict[int, dict[int, str]]  # worksheet row -> 0-based column -> "error" / "warning"
    notes: dict[tuple[int, int], str]  # (0-based row, 0-based column) -> note text
    texts: dict[int, str]  # data row -> Errors text, for the rows that are not OK
    data_rows: set[int]
    ok: str
    header: str  # the Errors header
    min_errors_column: int  # 0-based
    author: str
    fills: dict[str, str]  # severity -> ARGB
    summary_base: str  # "Summary" / "Resumo"
    summary_names: tuple[str, ...]  # every language's Summary name (an earlier run's sheet is one of them)
    summary_title_prefix: str
    summary_rows: list[list[tuple[Any, str | None]]]  # (value, None / "bold" / "title")
    summary_widths: dict[str, float] = field(default_factory=dict)
    macro: bool = False  # the report is an .xlsm


def patch_workbook(source: Path, target: Path, ann: Annotations) -> None:
    """Write to ``target`` the workbook ``source`` with ``ann`` in place (raises ``Unpatchable``)."""
    try:
        with zipfile.ZipFile(source) as archive:
            _Patch(archive, ann).write(target)
    except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError, IndexError) as exc:
        raise Unpatchable(f"{type(exc).__name__}: {exc}") from None


class _Patch:
    def __init__(self, archive: zipfile.ZipFile, ann: Annotations) -> None:
        self.archive, self.ann = archive, ann
        infos = archive.infolist()
        self.names = [i.filename for i in infos]
        if len(set(self.names)) != len(self.names):
            raise Unpatchable("a member twice in the package")
        self.writes: dict[str, bytes] = {}
        self.removes: set[str] = set()
        self.types = ContentTypes(read(archive, "[Content_Types].xml"))
        self.root_rels = read_rels(read(archive, "_rels/.rels"))
        books = [r for r in self.root_rels if r.type == OFFICE_DOCUMENT]
        if len(books) != 1:
            raise Unpatchable("no workbook (or a strict one)")
        self.book_part = resolve("", books[0].target)
        kind = self.types.of(self.book_part)
        if kind not in (CT_BOOK, CT_BOOK_MACROS) or (kind == CT_BOOK_MACROS) != ann.macro:
            raise Unpatchable(f"a workbook of type {kind} written as {'.xlsm' if ann.macro else '.xlsx'}")
        self.book_xml = read(archive, self.book_part)
        unprefixed(self.book_xml, "workbook")
        root = parse(self.book_xml)
        if root.tag != f"{{{MAIN}}}workbook":
            raise Unpatchable("the workbook is not in the transitional namespace")
        self.sheets = [(s.get("name", ""), s.get("sheetId", ""), s.get(f"{{{REL}}}id", ""))
                       for s in root.iter(f"{{{MAIN}}}sheet")]
        self.book_rels_part = rels_part(self.book_part)
        self.book_rels = read_rels(read(archive, self.book_rels_part))
        self.sheet_part = self._part_of(ann.sheet)
        if self.sheet_part is None or self.types.of(self.sheet_part) != CT_WORKSHEET:
            raise Unpatchable("the data sheet is not a worksheet of the package")
        if self.sheet_part not in self.names:
            raise Unpatchable("the data sheet's part is missing")
        self.strings_part = self._book_target(REL_STRINGS)
        styles_part = self._book_target(REL_STYLES)
        if styles_part is None:
            raise Unpatchable("no styles part")
        self.styles_part = styles_part
        self.custom_part = next((resolve("", r.target) for r in self.root_rels if r.type == REL_CUSTOM_PROPS), None)
        if self.custom_part is not None and self.custom_part not in self.names:
            raise Unpatchable("the custom properties part is missing")
        self.custom_xml = read(archive, self.custom_part) if self.custom_part else None
        mapping = self._read_mapping()
        self.styles = Styles(read(archive, styles_part), ann.fills, mapping)
        self.mapping_before = mapping
        self.sheet_rels_part = rels_part(self.sheet_part)
        self.sheet_rels = read_rels(read(archive, self.sheet_rels_part)) if self.sheet_rels_part in self.names else []

    # -- lookups ------------------------------------------------------------------------------------------

    def _book_target(self, rel_type: str) -> str | None:
        targets = [r for r in self.book_rels if r.type == rel_type and r.mode != "External"]
        if len(targets) > 1:
            raise Unpatchable(f"several parts of type {rel_type}")
        if not targets:
            return None
        part = resolve(self.book_part, targets[0].target)
        if part not in self.names:
            raise Unpatchable(f"missing part {part}")
        return part

    def _part_of(self, sheet: str) -> str | None:
        rid = next((rid for name, _, rid in self.sheets if name == sheet), None)
        rel = next((r for r in self.book_rels if r.id == rid and r.mode != "External"), None)
        return resolve(self.book_part, rel.target) if rel and rel.type == REL_WORKSHEET else None

    def strings(self, wanted: set[int]) -> dict[int, str]:
        return shared_strings(self.archive, self.strings_part, wanted)

    def _read_mapping(self) -> dict[int, int]:
        if self.custom_xml is None:
            return {}
        unprefixed(self.custom_xml, "Properties")
        root = parse(self.custom_xml)
        for prop in root.iter(f"{{{CUSTOM_NS}}}property"):
            if prop.get("name") == MAPPING_PROPERTY:
                value = "".join(prop.itertext())
                mapping = {}
                for item in value.split(","):
                    mark, _, original = item.partition("=")
                    if mark.strip().isdigit() and original.strip().isdigit():
                        mapping[int(mark)] = int(original)
                return mapping
        return {}

    # -- the plan -----------------------------------------------------------------------------------------

    def write(self, target: Path) -> None:
        ann = self.ann
        self._remove_old_summary()
        notes = notes_module.plan_notes(self.archive, self.sheet_part, self.sheet_rels, ann.notes, ann.author,
                                        self.types)
        self.writes.update(notes.writes)
        self.removes |= notes.removes
        if notes.rels != self.sheet_rels:
            if notes.rels:
                self.writes[self.sheet_rels_part] = render_rels(notes.rels)
            elif self.sheet_rels_part in self.names:
                self.removes.add(self.sheet_rels_part)
        r_prefix = self._r_prefix()
        legacy_add = None
        if notes.legacy_add is not None:
            legacy_add = (b"<legacyDrawing " + (b"" if r_prefix else f'xmlns:r="{REL}" '.encode())
                          + (r_prefix or b"r") + b':id="' + notes.legacy_add.encode() + b'"/>')
        summary_part = self._add_summary()
        needs_custom = bool(ann.marks) or bool(self.mapping_before)
        if needs_custom and self.custom_part is None:
            self.custom_part = free_name(set(self.names) | set(self.writes), "docProps/custom.xml"
                                         if "docProps/custom.xml" not in self.names else "docProps/custom{}.xml")
            self.root_rels.append(Rel(new_rel_id(self.root_rels), REL_CUSTOM_PROPS, self.custom_part))
            self.writes["_rels/.rels"] = render_rels(self.root_rels)
            self.types.add(self.custom_part, CT_CUSTOM_PROPS)
        self.writes["[Content_Types].xml"] = self.types.render()
        marks = SheetMarks(
            header_row=ann.header_row, marks=ann.marks,
            texts={row: inline_string(t[:MAX_TEXT]).encode() for row, t in ann.texts.items()},
            data_rows=ann.data_rows, ok=inline_string(ann.ok).encode(), header=inline_string(ann.header).encode(),
            min_errors_column=ann.min_errors_column, legacy_add=legacy_add, legacy_remove=notes.legacy_remove,
            legacy_expected=notes.assumed_legacy)
        self.writes[summary_part] = self._summary_xml()
        late = {self.styles_part}
        if needs_custom:
            late.add(self.custom_part)
        self._write_zip(target, marks, late, needs_custom)

    def _r_prefix(self) -> bytes | None:
        """The prefix the worksheet's root binds to the relationships namespace (read from its start)."""
        with self.archive.open(self.sheet_part) as handle:
            start = handle.read(65536)
        root = re.search(rb"<worksheet\b[^>]*>", start)
        if root is None:
            raise Unpatchable("the worksheet is not an unprefixed <worksheet>")
        bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(REL.encode()) + rb'"', root.group())
        return bound.group(1) if bound else None

    # -- the Summary ------------------------------------------------------------------------------------------

    def _is_our_summary(self, name: str) -> bool:
        ann = self.ann
        if not (name in ann.summary_names or name.startswith(tuple(f"{n} (" for n in ann.summary_names))):
            return False
        part = self._part_of(name)
        if part is None or part not in self.names:
            return False
        with self.archive.open(part) as handle:
            start = handle.read(1 << 16)
        cell = re.search(rb'<c r="A1"[^>]*?(?:/>|>(.*?)</c>)', start, re.S)
        if cell is None or cell.group(1) is None:
            return False
        tag = cell.group()[:cell.group().index(b">") + 1]
        kind = attributes(tag).get(b"t", b"n")
        body = cell.group(1)
        value = re.search(rb"<v>([^<]*)</v>", body)
        if kind == b"inlineStr":
            inline = re.search(rb"<is>(.*?)</is>", body, re.S)
            title = string_item(inline.group(1)) if inline else ""
        elif kind == b"s" and value:
            title = self.strings({int(value.group(1))}).get(int(value.group(1)), "")
        elif value:
            title = unescape(value.group(1))
        else:
            title = ""
        return title.startswith(ann.summary_title_prefix)

    def _remove_old_summary(self) -> int | None:
        """Drop an earlier run's Summary sheet; its index among the sheets (None if there was none)."""
        ours = [i for i, (name, _, _) in enumerate(self.sheets) if name != self.ann.sheet and self._is_our_summary(name)]
        if not ours:
            return None
        if len(ours) > 1:
            raise Unpatchable("several Summary sheets of ours")
        index = ours[0]
        part = self._part_of(self.sheets[index][0])
        if any(n.endswith("calcChain.xml") for n in self.names):
            with self.archive.open(part) as handle:
                while chunk := handle.read(CHUNK):
                    if b"<f" in chunk:
                        raise Unpatchable("formulas in the Summary sheet to remove (the calculation chain names it)")
        _, _, rid = self.sheets.pop(index)
        self.book_rels = [r for r in self.book_rels if r.id != rid]
        self.removes.add(part)
        self.types.remove(part)
        own_rels = rels_part(part)
        if own_rels in self.names:
            self.removes.add(own_rels)
            for rel in read_rels(read(self.archive, own_rels)):
                if rel.mode != "External":
                    self._drop_if_orphan(resolve(part, rel.target), own_rels)
        elements = list(_SHEET_ELEMENT.finditer(self.book_xml))
        if len(elements) != len(self.sheets) + 1:
            raise Unpatchable("the workbook's sheet list is not plain")
        gone = elements[index]
        book = self.book_xml[:gone.start()] + self.book_xml[gone.end():]
        self.book_xml = _renumber(book, index)
        return index

    def _drop_if_orphan(self, part: str, holder: str) -> None:
        for name in self.names:
            if name.endswith(".rels") and name != holder and name not in self.removes:
                for rel in read_rels(read(self.archive, name)):
                    source = name.replace("_rels/", "").removesuffix(".rels")
                    if rel.mode != "External" and resolve(source, rel.target) == part:
                        return
        if part in self.names:
            self.removes.add(part)
            self.types.remove(part)

    def _add_summary(self) -> str:
        taken = {name.casefold() for name, _, _ in self.sheets}
        name, n = self.ann.summary_base, 1
        while name.casefold() in taken:
            n += 1
            name = f"{self.ann.summary_base} ({n})"
        part = free_name(set(self.names) | set(self.writes), f"{dirname(self.sheet_part)}/sheet{{}}.xml")
        rid = new_rel_id(self.book_rels)
        self.book_rels.append(Rel(rid, REL_WORKSHEET, relpath(part, dirname(self.book_part))))
        self.writes[self.book_rels_part] = render_rels(self.book_rels)
        self.types.add(part, CT_WORKSHEET)
        ids = [int(i) for _, i, _ in self.sheets if i.isdigit()]
        sheet_id = max(ids, default=0) + 1
        root = re.search(rb"<workbook\b[^>]*>", self.book_xml)
        bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(REL.encode()) + rb'"', root.group()) if root else None
        prefix = bound.group(1).decode() if bound else None
        element = (f"<sheet name={attr(name)} sheetId=\"{sheet_id}\" "
                   + ("" if prefix else f'xmlns:r="{REL}" ') + f'{prefix or "r"}:id="{rid}"/>').encode()
        end = self.book_xml.find(b"</sheets>")
        if end < 0:
            raise Unpatchable("the workbook has no sheet list")
        self.writes[self.book_part] = self.book_xml[:end] + element + self.book_xml[end:]
        self.sheets.append((name, str(sheet_id), rid))
        return part

    def _summary_xml(self) -> bytes:
        styles = self.styles
        kinds = {"title": styles.title(), "bold": styles.bold(0), None: 0}
        rows = []
        width = 1
        for r, row in enumerate(self.ann.summary_rows, start=1):
            cells = []
            for c, (value, kind) in enumerate(row):
                if value is None:
                    continue
                width = max(width, c + 1)
                ref = column_letters(c).decode() + str(r)
                style = f' s="{kinds[kind]}"' if kinds.get(kind) else ""
                if isinstance(value, bool):
                    cells.append(f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>')
                elif isinstance(value, int | float) and math.isfinite(value):
                    cells.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
                else:
                    cells.append(f'<c r="{ref}"{style} t="inlineStr">{inline_string(str(value)[:MAX_TEXT])}</c>')
            rows.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else "")
        count = max(len(self.ann.summary_rows), 1)
        cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                       for i, w in sorted((_column_number(k), v) for k, v in self.ann.summary_widths.items()))
        body = (f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:{column_letters(width - 1).decode()}'
                f'{count}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "")
                + f'<sheetData>{"".join(rows)}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" '
                f'bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
        return XML_DECL + body.encode()

    # -- custom properties ----------------------------------------------------------------------------------

    def _custom_xml(self) -> bytes:
        value = ",".join(f"{m}={o}" for m, o in sorted(self.styles.mapping.items()))
        data = self.custom_xml
        if data is None:
            return XML_DECL + (f'<Properties xmlns="{CUSTOM_NS}" xmlns:vt="{VT_NS}"><property fmtid="{FMTID}" '
                               f'pid="2" name="{MAPPING_PROPERTY}"><vt:lpwstr>{value}</vt:lpwstr></property>'
                               f"</Properties>").encode()
        root = re.search(rb"<Properties\b[^>]*>", data)
        bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(VT_NS.encode()) + rb'"', root.group()) if root else None
        vt = bound.group(1).decode() if bound else "vt"
        declare = "" if bound else f' xmlns:vt="{VT_NS}"'
        existing = re.search(rb'<property\b[^>]*\bname="' + MAPPING_PROPERTY.encode() + rb'"[^>]*>.*?</property>',
                             data, re.S)
        if existing is not None:
            pid = attributes(existing.group()[:existing.group().index(b">") + 1]).get(b"pid", b"2").decode()
        else:
            pids = [int(p) for p in re.findall(rb'\bpid="([0-9]+)"', data)]
            pid = str(max(pids, default=1) + 1)
        element = (f'<property fmtid="{FMTID}" pid="{pid}" name="{MAPPING_PROPERTY}"{declare}>'
                   f"<{vt}:lpwstr>{value}</{vt}:lpwstr></property>").encode()
        if existing is not None:
            return data[:existing.start()] + element + data[existing.end():]
        end = data.rfind(b"</Properties>")
        if end < 0:
            raise Unpatchable("custom properties without an end")
        return data[:end] + element + data[end:]

    # -- the archive --------------------------------------------------------------------------------------

    def _write_zip(self, target: Path, marks: SheetMarks, late: set[str], needs_custom: bool) -> None:
        archive = self.archive
        now = time.localtime(time.time())[:6]
        with target.open("wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                name = info.filename
                if name in self.removes or name in late:
                    continue
                if name == self.sheet_part:
                    self._stream_sheet(info, out, marks)
                elif name in self.writes:
                    out.writestr(_info(name, info.date_time, info), self.writes.pop(name))
                else:
                    copy_member(archive, info, out)
            for name, data in self.writes.items():
                out.writestr(_info(name, now), data)
            existing = {i.filename: i for i in archive.infolist()}
            out.writestr(_info(self.styles_part, now, existing.get(self.styles_part)), self.styles.render())
            if needs_custom:
                out.writestr(_info(self.custom_part, now, existing.get(self.custom_part)), self._custom_xml())

    def _stream_sheet(self, info: zipfile.ZipInfo, out: zipfile.ZipFile, marks: SheetMarks) -> None:
        patch = SheetPatch(marks, self.styles, self.strings)
        big = info.file_size > BIG_PART
        zinfo = _info(info.filename, info.date_time, info)
        zinfo._compresslevel = 1 if big else None  # noqa: SLF001  (ZipFile.open takes the level from the info)
        zinfo.file_size = info.file_size
        with self.archive.open(info) as source, out.open(zinfo, "w", force_zip64=info.file_size > 1 << 30) as dest:
            if not big:
                while chunk := source.read(CHUNK):
                    for piece in patch.feed(chunk):
                        dest.write(piece)
                for piece in patch.finish():
                    dest.write(piece)
                return
            _pipeline(source, dest, patch)


def _pipeline(source, dest, patch: SheetPatch) -> None:
    """Decompress, patch and compress at once: zlib and the file writes run in threads, off the GIL."""
    inbox: queue.Queue = queue.Queue(maxsize=4)
    outbox: queue.Queue = queue.Queue(maxsize=8)
    failure: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        try:
            while not stop.is_set():
                chunk = source.read(CHUNK)
                inbox.put(chunk)
                if not chunk:
                    return
        except BaseException as exc:  # handed to the main thread
            failure.append(exc)
            inbox.put(b"")

    def writer() -> None:
        try:
            while True:
                data = outbox.get()
                if data is None:
                    return
                if not failure:
                    dest.write(data)
        except BaseException as exc:
            failure.append(exc)
            stop.set()
            while outbox.get() is not None:  # drain, so the main thread never blocks
                pass

    threads = [threading.Thread(target=reader, daemon=True), threading.Thread(target=writer, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        while True:
            chunk = inbox.get()
            if failure:
                break
            if not chunk:
                pieces = patch.finish()
                if pieces:
                    outbox.put(b"".join(pieces))
                break
            pieces = patch.feed(chunk)
            if pieces:
                outbox.put(b"".join(pieces))
    finally:
        stop.set()
        outbox.put(None)
        while threads[0].is_alive():  # let the reader finish its put
            try:
                inbox.get_nowait()
            except queue.Empty:
                threads[0].join(0.01)
        for thread in threads:
            thread.join()
    if failure:
        raise failure[0]


def _info(name: str, date_time: tuple, like: zipfile.ZipInfo | None = None) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = like.external_attr if like is not None and like.external_attr else 0o600 << 16
    return info


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _renumber(book: bytes, removed: int) -> bytes:
    """Sheet indices in the workbook after sheet ``removed`` is gone: defined names, the book views."""

    def defined(match: re.Match[bytes]) -> bytes:
        item = match.group()
        tag = item[:item.index(b">") + 1]
        local = attributes(tag).get(b"localSheetId")
        if local is None or not local.isdigit():
            return item
        index = int(local)
        if index == removed:
            return b""
        if index > removed:
            return set_attr(tag, b"localSheetId", str(index - 1).encode()) + item[len(tag):]
        return item

    book = _DEFINED_NAME.sub(defined, book)
    book = re.sub(rb"<definedNames>\s*</definedNames>", b"", book)

    def view(match: re.Match[bytes]) -> bytes:
        tag = match.group()
        for name in (b"activeTab", b"firstSheet"):
            value = attributes(tag).get(name)
            if value is not None and value.isdigit() and int(value) >= removed:
                tag = set_attr(tag, name, str(max(int(value) - 1, 0)).encode() if int(value) > removed else b"0")
        return tag

    return re.sub(rb"<workbookView\b[^>]*>", view, book)
