"""The package as the patch opens it: its members, content types, the workbook's sheets and relationships.

What the patch rewrites or drops is collected here (``writes``, ``removes``) until the archive is written.
"""

from __future__ import annotations

import zipfile

from crmxl.workbook.patch.package import (
    CT_BOOK,
    CT_BOOK_MACROS,
    CT_WORKSHEET,
    MAIN,
    REL,
    REL_STRINGS,
    REL_WORKSHEET,
    ContentTypes,
    Unpatchable,
    parse,
    read,
    read_rels,
    rels_part,
    resolve,
    shared_strings,
    unprefixed,
)

OFFICE_DOCUMENT = f"{REL}/officeDocument"


class Book:
    """A workbook package, its data sheet ``sheet`` a worksheet; ``macro``: it is written as an .xlsm."""

    def __init__(self, archive: zipfile.ZipFile, sheet: str, macro: bool) -> None:
        self.archive = archive
        self.names = [i.filename for i in archive.infolist()]
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
        if kind not in (CT_BOOK, CT_BOOK_MACROS) or (kind == CT_BOOK_MACROS) != macro:
            raise Unpatchable(f"a workbook of type {kind} written as {'.xlsm' if macro else '.xlsx'}")
        self.book_xml = read(archive, self.book_part)
        unprefixed(self.book_xml, "workbook")
        root = parse(self.book_xml)
        if root.tag != f"{{{MAIN}}}workbook":
            raise Unpatchable("the workbook is not in the transitional namespace")
        self.sheets = [(s.get("name", ""), s.get("sheetId", ""), s.get(f"{{{REL}}}id", ""))
                       for s in root.iter(f"{{{MAIN}}}sheet")]
        self.very_hidden = {s.get("name", "") for s in root.iter(f"{{{MAIN}}}sheet") if s.get("state") == "veryHidden"}
        self.book_rels_part = rels_part(self.book_part)
        self.book_rels = read_rels(read(archive, self.book_rels_part))
        self.sheet_part = self.part_of(sheet)
        if self.sheet_part is None or self.types.of(self.sheet_part) != CT_WORKSHEET:
            raise Unpatchable("the data sheet is not a worksheet of the package")
        if self.sheet_part not in self.names:
            raise Unpatchable("the data sheet's part is missing")
        self.strings_part = self.target(REL_STRINGS)

    def target(self, rel_type: str) -> str | None:
        """The one part of type ``rel_type`` the workbook relates to (None: none)."""
        targets = [r for r in self.book_rels if r.type == rel_type and r.mode != "External"]
        if len(targets) > 1:
            raise Unpatchable(f"several parts of type {rel_type}")
        if not targets:
            return None
        part = resolve(self.book_part, targets[0].target)
        if part not in self.names:
            raise Unpatchable(f"missing part {part}")
        return part

    def part_of(self, sheet: str) -> str | None:
        """The worksheet part of the sheet named ``sheet`` (None: no such worksheet)."""
        rid = next((rid for name, _, rid in self.sheets if name == sheet), None)
        rel = next((r for r in self.book_rels if r.id == rid and r.mode != "External"), None)
        return resolve(self.book_part, rel.target) if rel and rel.type == REL_WORKSHEET else None

    def worksheets(self) -> list[str]:
        """The names of the worksheets as ``docProps/app.xml`` lists them: in order, very hidden ones left out."""
        kinds = {r.id: r.type for r in self.book_rels if r.mode != "External"}
        hidden = self.very_hidden
        return [name for name, _, rid in self.sheets if kinds.get(rid) == REL_WORKSHEET and name not in hidden]

    def strings(self, wanted: set[int]) -> dict[int, str]:
        return shared_strings(self.archive, self.strings_part, wanted)
