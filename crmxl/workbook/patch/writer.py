"""Write the report by patching the workbook's package: only the parts the findings touch are rewritten.

Every other member is copied as it was, compressed bytes and all. Rewritten: the data worksheet (as a
stream, see ``sheet``), ``xl/styles.xml`` (our formats, see ``styles``), the sheet's notes (see
``notes``), the Summary sheet (a new part; an earlier one of ours removed, see ``summary``),
``xl/workbook.xml`` and the relationships and content types that name them, ``docProps/custom.xml``
(the format mapping) and ``docProps/app.xml`` (the sheet names, see ``docprops``). This module plans
those changes and writes the archive.

``patch_workbook`` raises ``Unpatchable`` for anything it does not understand; the caller then writes the
report another way.
"""

from __future__ import annotations

import queue
import re
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmxl.workbook.patch.book import Book
from crmxl.workbook.patch.docprops import REL_EXTENDED_PROPS, app_xml, custom_xml, read_mapping
from crmxl.workbook.patch.notes import plan_notes
from crmxl.workbook.patch.package import (
    CHUNK,
    CT_CUSTOM_PROPS,
    MAX_PART,
    MAX_TEXT,
    REL,
    REL_CUSTOM_PROPS,
    REL_STYLES,
    Rel,
    Unpatchable,
    copy_member,
    free_name,
    inline_string,
    new_rel_id,
    read,
    read_rels,
    rels_part,
    render_rels,
    resolve,
)
from crmxl.workbook.patch.sheet import SheetMarks, SheetPatch
from crmxl.workbook.patch.styles import Styles
from crmxl.workbook.patch.summary import add_summary, remove_old_summary, summary_xml
from crmxl.workbook.sniff import ZIP_ERRORS

BIG_PART = 8_000_000  # a worksheet this large is compressed fast (level 1) and through threads


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
    except (*ZIP_ERRORS, IndexError) as exc:
        raise Unpatchable(f"{type(exc).__name__}: {exc}") from None


class _Patch:
    def __init__(self, archive: zipfile.ZipFile, ann: Annotations) -> None:
        self.ann = ann
        self.book = book = Book(archive, ann.sheet, ann.macro)
        styles_part = book.target(REL_STYLES)
        if styles_part is None:
            raise Unpatchable("no styles part")
        self.styles_part = styles_part
        self.custom_part = next((resolve("", r.target) for r in book.root_rels if r.type == REL_CUSTOM_PROPS), None)
        if self.custom_part is not None and self.custom_part not in book.names:
            raise Unpatchable("the custom properties part is missing")
        self.custom_data = read(archive, self.custom_part) if self.custom_part else None
        mapping = read_mapping(self.custom_data)
        self.styles = Styles(read(archive, styles_part), ann.fills, mapping)
        self.mapping_before = mapping
        self.sheet_rels_part = rels_part(book.sheet_part)
        self.sheet_rels = read_rels(read(archive, self.sheet_rels_part)) if self.sheet_rels_part in book.names else []

    def write(self, target: Path) -> None:
        ann, book = self.ann, self.book
        worksheets = book.worksheets()
        removed = remove_old_summary(book, ann.sheet, ann.summary_names, ann.summary_title_prefix)
        notes = plan_notes(book.archive, book.sheet_part, self.sheet_rels, ann.notes, ann.author, book.types)
        book.writes.update(notes.writes)
        book.removes |= notes.removes
        if notes.rels != self.sheet_rels:
            if notes.rels:
                book.writes[self.sheet_rels_part] = render_rels(notes.rels)
            elif self.sheet_rels_part in book.names:
                book.removes.add(self.sheet_rels_part)
        r_prefix = self._r_prefix()
        legacy_add = None
        if notes.legacy_add is not None:
            legacy_add = (b"<legacyDrawing " + (b"" if r_prefix else f'xmlns:r="{REL}" '.encode())
                          + (r_prefix or b"r") + b':id="' + notes.legacy_add.encode() + b'"/>')
        summary_part = add_summary(book, ann.summary_base)
        self._app_properties(worksheets, removed)
        needs_custom = bool(ann.marks) or bool(self.mapping_before)
        if needs_custom and self.custom_part is None:
            self.custom_part = free_name(set(book.names) | set(book.writes), "docProps/custom.xml"
                                         if "docProps/custom.xml" not in book.names else "docProps/custom{}.xml")
            book.root_rels.append(Rel(new_rel_id(book.root_rels), REL_CUSTOM_PROPS, self.custom_part))
            book.writes["_rels/.rels"] = render_rels(book.root_rels)
            book.types.add(self.custom_part, CT_CUSTOM_PROPS)
        book.writes["[Content_Types].xml"] = book.types.render()
        marks = SheetMarks(
            header_row=ann.header_row, marks=ann.marks,
            texts={row: inline_string(t[:MAX_TEXT]).encode() for row, t in ann.texts.items()},
            data_rows=ann.data_rows, ok=inline_string(ann.ok).encode(), header=inline_string(ann.header).encode(),
            min_errors_column=ann.min_errors_column, legacy_add=legacy_add, legacy_remove=notes.legacy_remove,
            legacy_expected=notes.assumed_legacy)
        book.writes[summary_part] = summary_xml(ann.summary_rows, ann.summary_widths, self.styles)
        late = {self.styles_part}
        if needs_custom:
            late.add(self.custom_part)
        self._write_zip(target, marks, late, needs_custom)

    def _r_prefix(self) -> bytes | None:
        """The prefix the worksheet's root binds to the relationships namespace (read from its start)."""
        with self.book.archive.open(self.book.sheet_part) as handle:
            start = handle.read(65536)
        root = re.search(rb"<worksheet\b[^>]*>", start)
        if root is None:
            raise Unpatchable("the worksheet is not an unprefixed <worksheet>")
        bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(REL.encode()) + rb'"', root.group())
        return bound.group(1) if bound else None

    def _app_properties(self, before: list[str], removed: str | None) -> None:
        """``docProps/app.xml`` naming the worksheets there are now, where it named those there were."""
        book = self.book
        parts = [resolve("", r.target) for r in book.root_rels if r.type == REL_EXTENDED_PROPS and r.mode != "External"]
        if len(parts) != 1 or parts[0] not in book.names or parts[0] in book.writes or parts[0] in book.removes:
            return
        if book.archive.getinfo(parts[0]).file_size > MAX_PART:
            return
        data = app_xml(read(book.archive, parts[0]), before, book.worksheets(), removed)
        if data is not None:
            book.writes[parts[0]] = data

    def _write_zip(self, target: Path, marks: SheetMarks, late: set[str], needs_custom: bool) -> None:
        book, archive = self.book, self.book.archive
        now = time.localtime(time.time())[:6]
        with target.open("wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as out:
            for info in archive.infolist():
                name = info.filename
                if name in book.removes or name in late:
                    continue
                if name == book.sheet_part:
                    self._stream_sheet(info, out, marks)
                elif name in book.writes:
                    out.writestr(_info(name, info.date_time, info), book.writes.pop(name))
                else:
                    copy_member(archive, info, out)
            for name, data in book.writes.items():
                out.writestr(_info(name, now), data)
            existing = {i.filename: i for i in archive.infolist()}
            out.writestr(_info(self.styles_part, now, existing.get(self.styles_part)), self.styles.render())
            if needs_custom:
                data = custom_xml(self.custom_data, self.styles.mapping)
                out.writestr(_info(self.custom_part, now, existing.get(self.custom_part)), data)

    def _stream_sheet(self, info: zipfile.ZipInfo, out: zipfile.ZipFile, marks: SheetMarks) -> None:
        patch = SheetPatch(marks, self.styles, self.book.strings)
        big = info.file_size > BIG_PART
        zinfo = _info(info.filename, info.date_time, info)
        zinfo._compresslevel = 1 if big else None  # noqa: SLF001  (ZipFile.open takes the level from the info)
        zinfo.file_size = info.file_size
        with self.book.archive.open(info) as source, out.open(zinfo, "w", force_zip64=info.file_size > 1 << 30) as dest:
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
