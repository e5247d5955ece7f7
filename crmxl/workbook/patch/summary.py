"""The Summary sheet: an earlier run's found and removed, the new one added to the workbook and rendered.

An earlier run's Summary is a sheet named like one (in any language, ``Summary (2)`` too) whose A1
starts with our title. It goes with its ``<sheet>`` element, its relationship, the parts only it
pointed at and the defined names scoped to it; the sheet indices after it are renumbered. The new
Summary is a new worksheet part at the end of the sheet list, under a name no sheet has.
"""

from __future__ import annotations

import math
import re
from posixpath import dirname, relpath
from typing import Any

from crmxl.workbook.patch.book import Book
from crmxl.workbook.patch.cells import column_letters
from crmxl.workbook.patch.package import (
    CHUNK,
    CT_WORKSHEET,
    MAIN,
    MAX_TEXT,
    REL,
    REL_WORKSHEET,
    XML_DECL,
    Rel,
    Unpatchable,
    attr,
    attributes,
    free_name,
    inline_string,
    new_rel_id,
    read,
    read_rels,
    rels_part,
    render_rels,
    resolve,
    set_attr,
    string_item,
    unescape,
)
from crmxl.workbook.patch.styles import Styles

_SHEET_ELEMENT = re.compile(rb"<sheet\b[^>]*?(?:/>|>\s*</sheet>)", re.S)
_DEFINED_NAME = re.compile(rb"<definedName\b[^>]*?(?:/>|>.*?</definedName>)", re.S)


def remove_old_summary(book: Book, keep: str, names: tuple[str, ...], title_prefix: str) -> str | None:
    """Drop an earlier run's Summary sheet (never ``keep``, the data sheet); its name (None if there was none).

    ``names``: every language's Summary name; ``title_prefix``: how our Summary's A1 starts.
    """
    ours = [i for i, (name, _, _) in enumerate(book.sheets)
            if name != keep and _is_our_summary(book, name, names, title_prefix)]
    if not ours:
        return None
    if len(ours) > 1:
        raise Unpatchable("several Summary sheets of ours")
    index = ours[0]
    name = book.sheets[index][0]
    part = book.part_of(name)
    if any(n.endswith("calcChain.xml") for n in book.names):
        with book.archive.open(part) as handle:
            while chunk := handle.read(CHUNK):
                if b"<f" in chunk:
                    raise Unpatchable("formulas in the Summary sheet to remove (the calculation chain names it)")
    _, _, rid = book.sheets.pop(index)
    book.book_rels = [r for r in book.book_rels if r.id != rid]
    book.removes.add(part)
    book.types.remove(part)
    own_rels = rels_part(part)
    if own_rels in book.names:
        book.removes.add(own_rels)
        for rel in read_rels(read(book.archive, own_rels)):
            if rel.mode != "External":
                _drop_if_orphan(book, resolve(part, rel.target), own_rels)
    elements = list(_SHEET_ELEMENT.finditer(book.book_xml))
    if len(elements) != len(book.sheets) + 1:
        raise Unpatchable("the workbook's sheet list is not plain")
    gone = elements[index]
    book.book_xml = _renumber(book.book_xml[:gone.start()] + book.book_xml[gone.end():], index)
    return name


def add_summary(book: Book, base: str) -> str:
    """Add a worksheet named ``base`` (``base (2)``... if taken) at the end of the workbook; its part."""
    taken = {name.casefold() for name, _, _ in book.sheets}
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} ({n})"
    part = free_name(set(book.names) | set(book.writes), f"{dirname(book.sheet_part)}/sheet{{}}.xml")
    rid = new_rel_id(book.book_rels)
    book.book_rels.append(Rel(rid, REL_WORKSHEET, relpath(part, dirname(book.book_part))))
    book.writes[book.book_rels_part] = render_rels(book.book_rels)
    book.types.add(part, CT_WORKSHEET)
    ids = [int(i) for _, i, _ in book.sheets if i.isdigit()]
    sheet_id = max(ids, default=0) + 1
    root = re.search(rb"<workbook\b[^>]*>", book.book_xml)
    bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(REL.encode()) + rb'"', root.group()) if root else None
    prefix = bound.group(1).decode() if bound else None
    element = (f"<sheet name={attr(name)} sheetId=\"{sheet_id}\" "
               + ("" if prefix else f'xmlns:r="{REL}" ') + f'{prefix or "r"}:id="{rid}"/>').encode()
    end = book.book_xml.find(b"</sheets>")
    if end < 0:
        raise Unpatchable("the workbook has no sheet list")
    book.writes[book.book_part] = book.book_xml[:end] + element + book.book_xml[end:]
    book.sheets.append((name, str(sheet_id), rid))
    return part


def summary_xml(rows: list[list[tuple[Any, str | None]]], widths: dict[str, float], styles: Styles) -> bytes:
    """The Summary worksheet: ``rows`` of (value, None / "bold" / "title"), ``widths`` by column letters."""
    kinds = {"title": styles.title(), "bold": styles.bold(0), None: 0}
    out = []
    width = 1
    for r, row in enumerate(rows, start=1):
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
        out.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else "")
    count = max(len(rows), 1)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                   for i, w in sorted((_column_number(k), v) for k, v in widths.items()))
    body = (f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}"><dimension ref="A1:{column_letters(width - 1).decode()}'
            f'{count}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData>{"".join(out)}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" '
            f'bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    return XML_DECL + body.encode()


def _is_our_summary(book: Book, name: str, names: tuple[str, ...], title_prefix: str) -> bool:
    if not (name in names or name.startswith(tuple(f"{n} (" for n in names))):
        return False
    part = book.part_of(name)
    if part is None or part not in book.names:
        return False
    with book.archive.open(part) as handle:
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
        title = book.strings({int(value.group(1))}).get(int(value.group(1)), "")
    elif value:
        title = unescape(value.group(1))
    else:
        title = ""
    return title.startswith(title_prefix)


def _drop_if_orphan(book: Book, part: str, holder: str) -> None:
    """Remove ``part`` unless a relationships part other than ``holder`` (and not removed) points at it."""
    for name in book.names:
        if name.endswith(".rels") and name != holder and name not in book.removes:
            for rel in read_rels(read(book.archive, name)):
                source = name.replace("_rels/", "").removesuffix(".rels")
                if rel.mode != "External" and resolve(source, rel.target) == part:
                    return
    if part in book.names:
        book.removes.add(part)
        book.types.remove(part)


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
