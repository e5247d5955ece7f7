"""The data sheet's notes: the comments part and the legacy VML drawing Excel needs to show them.

Other authors' comments are kept as they were (their XML spliced back unchanged), ours (author
``crmxl``) are dropped, the new ones added; a cell that has a comment of somebody else keeps it (its
message is in the Errors column). In the VML drawing the note shapes of the dropped comments go and
one shape per new note comes; every other shape (buttons, check boxes, other notes) stays. A part
left with nothing is removed with its relationship.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from posixpath import dirname, relpath

from crmxl.workbook.patch.package import (
    CT_COMMENTS,
    CT_VML,
    MAIN,
    REL_COMMENTS,
    REL_VML,
    XML_DECL,
    ContentTypes,
    Rel,
    Unpatchable,
    attributes,
    free_name,
    new_rel_id,
    parse,
    read,
    resolve,
    text,
    unescape,
    unprefixed,
)

VML_NS = {b"v": b"urn:schemas-microsoft-com:vml", b"o": b"urn:schemas-microsoft-com:office:office",
          b"x": b"urn:schemas-microsoft-com:office:excel"}
_AUTHORS = re.compile(rb"<authors\b[^>]*?(?:/>|>(.*?)</authors>)", re.S)
_AUTHOR = re.compile(rb"<author\b[^>]*?(?:/>|>(.*?)</author>)", re.S)
_COMMENT_LIST = re.compile(rb"<commentList\b[^>]*?(?:/>|>(.*?)</commentList>)", re.S)
_COMMENT = re.compile(rb"<comment\b[^>]*?(?:/>|>.*?</comment>)", re.S)
_SHAPE_ID = re.compile(rb'\bid="_x0000_s([0-9]+)"')
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_NOTE_WIDTH_PT, _NOTE_HEIGHT_PT = "240pt", "82.5pt"  # 320 x 110 pixels
SHAPE_TYPE = ('<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
              '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


class Vml:
    """The prefixes a VML drawing binds to the VML, Office and Excel namespaces, and the patterns using them."""

    def __init__(self, prefixes: dict[bytes, bytes]) -> None:
        self.p = prefixes
        v, o, x = (re.escape(prefixes[k]) for k in (b"v", b"o", b"x"))
        self.shape = re.compile(rb"<" + v + rb":shape\b[^>]*?(?:/>|>.*?</" + v + rb":shape>)", re.S)
        self.idmap = re.compile(rb"<" + o + rb':idmap\b[^>]*?\bdata="([0-9, ]*)"[^>]*/>')
        self.layout_end = b"</" + prefixes[b"o"] + b":shapelayout>"
        self.row = re.compile(rb"<" + x + rb":Row>\s*([0-9]+)\s*</" + x + rb":Row>")
        self.column = re.compile(rb"<" + x + rb":Column>\s*([0-9]+)\s*</" + x + rb":Column>")

    def spell(self, template: str) -> bytes:
        """``template`` (written with v:, o:, x:) with this drawing's prefixes."""
        p = {k.decode(): v.decode() for k, v in self.p.items()}
        if all(k == v for k, v in p.items()):
            return template.encode()
        return re.sub(r"(</?|\s)([vox]):(?=[A-Za-z])", lambda m: m.group(1) + p[m.group(2)] + ":", template).encode()


STANDARD = Vml({b"v": b"v", b"o": b"o", b"x": b"x"})


def cell_position(ref: str) -> tuple[int, int] | None:
    """"C3" -> (2, 2): 0-based row and column."""
    match = _REF.fullmatch(ref)
    if match is None:
        return None
    col = 0
    for char in match.group(1):
        col = col * 26 + ord(char) - 64
    return int(match.group(2)) - 1, col - 1


def ref_of(row: int, col: int) -> str:
    letters, index = "", col + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


@dataclass
class NotesPlan:
    """What the notes need: parts to write or remove, the sheet's relationships, its <legacyDrawing>."""

    writes: dict[str, bytes] = field(default_factory=dict)
    removes: set[str] = field(default_factory=set)
    rels: list[Rel] = field(default_factory=list)
    legacy_add: str | None = None  # r:id of a <legacyDrawing> to add
    legacy_remove: bool = False
    assumed_legacy: str | None = None  # which relationship the sheet's <legacyDrawing> is believed to use


def plan_notes(archive, sheet_part: str, rels: list[Rel], notes: dict[tuple[int, int], str], author: str,
               types: ContentTypes) -> NotesPlan:
    """``notes``: (0-based row, column) -> text. ``rels``: the sheet's relationships (not changed here)."""
    plan = NotesPlan(rels=list(rels))
    names = set(archive.namelist())
    internal = [r for r in rels if r.mode != "External"]
    comment_rels = [r for r in internal if r.type == REL_COMMENTS]
    vml_rels = [r for r in internal if r.type == REL_VML]
    if len(comment_rels) > 1:
        raise Unpatchable("several comments parts")
    comments_part = resolve(sheet_part, comment_rels[0].target) if comment_rels else None
    legacy: Rel | None = None
    vml_data: bytes | None = None
    for rel in vml_rels:
        data = read(archive, resolve(sheet_part, rel.target))
        if re.search(rb"<[\w.-]+:ClientData\b", data) or comments_part is not None and len(vml_rels) == 1:
            if legacy is not None:
                raise Unpatchable("several legacy drawings")
            legacy, vml_data = rel, data
    plan.assumed_legacy = legacy.id if legacy else None

    # -- comments ---------------------------------------------------------------------------------------
    kept: list[tuple[tuple[int, int], bytes]] = []
    dropped: set[tuple[int, int]] = set()
    authors: list[bytes] = []
    original = None
    if comments_part is not None:
        original = read(archive, comments_part)
        unprefixed(original, "comments")
        root = parse(original)
        if root.tag != f"{{{MAIN}}}comments":
            raise Unpatchable("comments in another namespace")
        block = _AUTHORS.search(original)
        authors = [a or b"" for a in _AUTHOR.findall(block.group(1) or b"")] if block else []
        names_of = [unescape(a) for a in authors]
        listing = _COMMENT_LIST.search(original)
        for item in _COMMENT.findall(listing.group(1) or b"") if listing else []:
            a = attributes(item[:item.index(b">") + 1])
            where = cell_position(unescape(a.get(b"ref", b"")))
            if where is None:
                raise Unpatchable("a comment without a cell reference")
            try:
                who = names_of[int(a.get(b"authorId", b"0"))]
            except (ValueError, IndexError):
                who = None
            if who == author:
                dropped.add(where)
            else:
                kept.append((where, item))
    kept_cells = {where for where, _ in kept}
    new = {where: note for where, note in notes.items() if where not in kept_cells}
    author_bytes = text(author).encode()
    if new and author_bytes not in authors:
        authors.append(author_bytes)
    author_id = authors.index(author_bytes) if new else 0
    items = kept + [(where, _comment(where, note, author_id)) for where, note in new.items()]
    items.sort(key=lambda item: item[0])

    internal_names = names | set(plan.writes)
    if items:
        listing_xml = b"<commentList>" + b"".join(item for _, item in items) + b"</commentList>"
        authors_xml = b"<authors>" + b"".join(b"<author>" + a + b"</author>" for a in authors) + b"</authors>"
        if original is not None:
            data = _replace_block(original, _AUTHORS, authors_xml, before=b"<commentList")
            data = _replace_block(data, _COMMENT_LIST, listing_xml, before=b"</comments>")
            plan.writes[comments_part] = data
        else:
            comments_part = free_name(internal_names, "xl/comments{}.xml")
            plan.writes[comments_part] = XML_DECL + (f'<comments xmlns="{MAIN}">'.encode() + authors_xml
                                                     + listing_xml + b"</comments>")
            plan.rels.append(Rel(new_rel_id(plan.rels), REL_COMMENTS, _relative(sheet_part, comments_part)))
            types.add(comments_part, CT_COMMENTS)
    elif comments_part is not None:
        plan.removes.add(comments_part)
        plan.rels = [r for r in plan.rels if r is not comment_rels[0]]
        types.remove(comments_part)

    # -- the VML drawing ------------------------------------------------------------------------------------
    gone = (dropped | set(new)) - kept_cells
    if legacy is None and not new:
        return plan
    if legacy is not None:
        vml_part = resolve(sheet_part, legacy.target)
        spelling = _checked_vml(vml_data)
        pieces, pos, left = [], 0, 0
        for shape in spelling.shape.finditer(vml_data):
            if _note_cell(shape.group(), spelling) in gone:
                pieces.append(vml_data[pos:shape.start()])
                pos = shape.end()
            else:
                left += 1
        pieces.append(vml_data[pos:])
        vml = b"".join(pieces)
        if not new and not left:
            plan.removes.add(vml_part)
            plan.rels = [r for r in plan.rels if r is not legacy]
            plan.legacy_remove = True
            types.remove(vml_part)
            return plan
        if new:
            staying = [int(n) // 1024 for n in _SHAPE_ID.findall(vml)]
            blocks = _free_blocks(archive, len(new), vml_part, set(staying))
            vml = _add_shapes(vml, spelling, new, blocks, staying if len(staying) == left else None)
        if vml != vml_data:
            plan.writes[vml_part] = vml
        return plan
    vml_part = free_name(internal_names | set(plan.writes), "xl/drawings/vmlDrawing{}.vml")
    blocks = _free_blocks(archive, len(new))
    vml = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
           b'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" '
           b'data=""/></o:shapelayout>' + STANDARD.spell(SHAPE_TYPE) + b"</xml>")
    plan.writes[vml_part] = _add_shapes(vml, STANDARD, new, blocks)
    rid = new_rel_id(plan.rels)
    plan.rels.append(Rel(rid, REL_VML, _relative(sheet_part, vml_part)))
    plan.legacy_add = rid
    if types.of(vml_part) != CT_VML:
        types.add(vml_part, CT_VML)
    return plan


def _relative(source_part: str, target: str) -> str:
    return relpath(target, dirname(source_part))


def _replace_block(data: bytes, pattern: re.Pattern[bytes], new: bytes, before: bytes) -> bytes:
    match = pattern.search(data)
    if match is not None:
        return data[:match.start()] + new + data[match.end():]
    at = data.find(before)
    if at < 0:
        at = data.rfind(b"</comments>")
    if at < 0:
        raise Unpatchable("comments without an end")
    return data[:at] + new + data[at:]


def _comment(where: tuple[int, int], note: str, author_id: int) -> bytes:
    return (f'<comment ref="{ref_of(*where)}" authorId="{author_id}"><text><r><rPr><sz val="9"/>'
            f'<rFont val="Tahoma"/><family val="2"/></rPr><t xml:space="preserve">{text(note)}</t></r></text>'
            f"</comment>").encode()


def _checked_vml(data: bytes) -> Vml:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Unpatchable("a DTD in the VML drawing")
    root = re.search(rb"<xml\b[^>]*>", data)
    if root is None or data.rfind(b"</xml>") < 0:
        raise Unpatchable("a VML drawing without its root")
    prefixes = {}
    for key, uri in VML_NS.items():
        bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(uri) + rb'"', root.group())
        if bound is None:
            if key == b"x":
                raise Unpatchable("a VML drawing without the Excel namespace")
            prefixes[key] = key  # declared below if it was not
        else:
            prefixes[key] = bound.group(1)
    return Vml(prefixes)


def _note_cell(shape: bytes, vml: Vml) -> tuple[int, int] | None:
    if b'ObjectType="Note"' not in shape:
        return None
    row, col = vml.row.search(shape), vml.column.search(shape)
    return (int(row.group(1)), int(col.group(1))) if row and col else None


def _free_blocks(archive, count: int, own: str | None = None, own_used: set[int] | frozenset = frozenset()) -> list[int]:
    """Shape id blocks (of 1024) no other VML drawing of the workbook uses (nor the shapes staying in ``own``),
    enough for ``count`` shapes."""
    used: set[int] = set(own_used)
    for info in archive.infolist():
        if info.filename.lower().endswith(".vml") and info.filename != own:
            data = read(archive, info.filename)
            for value in re.findall(rb':idmap\b[^>]*?\bdata="([0-9, ]*)"', data):
                used.update(int(v) for v in value.replace(b" ", b"").split(b",") if v)
            used.update(int(n) // 1024 for n in _SHAPE_ID.findall(data))
    need = count // 1023 + 1
    blocks, block = [], 1
    while len(blocks) < need:
        if block not in used:
            blocks.append(block)
        block += 1
    return blocks


def _add_shapes(data: bytes, vml: Vml, notes: dict[tuple[int, int], str], blocks: list[int],
                staying: list[int] | None = None) -> bytes:
    """``data`` with a note shape per note, ids from ``blocks``; ``staying``: the blocks of the shapes kept
    (the drawing then claims those and ``blocks`` only; None: it keeps what it claimed, plus ``blocks``)."""
    root = re.search(rb"<xml\b[^>]*>", data)
    for key, uri in VML_NS.items():  # a namespace the drawing did not declare, declared on its root
        if b'="' + uri + b'"' not in root.group():
            tag = root.group()[:-1] + b" xmlns:" + vml.p[key] + b'="' + uri + b'">'
            data = data[:root.start()] + tag + data[root.end():]
            root = re.search(rb"<xml\b[^>]*>", data)
    if b'id="_x0000_t202"' not in data:
        layout_end = data.find(vml.layout_end)
        at = layout_end + len(vml.layout_end) if layout_end >= 0 else root.end()
        data = data[:at] + vml.spell(SHAPE_TYPE) + data[at:]
    idmap = vml.idmap.search(data)
    if idmap is not None:
        have = {int(v) for v in idmap.group(1).replace(b" ", b"").split(b",") if v} if staying is None else set(staying)
        listed = b",".join(str(b).encode() for b in sorted(have | set(blocks)))
        tag = re.sub(rb'data="[^"]*"', b'data="' + listed + b'"', idmap.group())
        data = data[:idmap.start()] + tag + data[idmap.end():]
    else:
        listed = ",".join(str(b) for b in blocks)
        layout = vml.spell(f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{listed}"/></o:shapelayout>')
        at = re.search(rb"<xml\b[^>]*>", data).end()
        data = data[:at] + layout + data[at:]
    ids = (block * 1024 + k for block in blocks for k in range(1, 1024))
    shapes = vml.spell("".join(_shape(next(ids), row, col, z) for z, (row, col) in enumerate(sorted(notes), start=1)))
    at = data.rfind(b"</xml>")
    return data[:at] + shapes + data[at:]


def _shape(shape_id: int, row: int, col: int, z: int) -> str:
    top = max(row - 1, 0)
    return (f'<v:shape id="_x0000_s{shape_id}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
            f"margin-top:1.5pt;width:{_NOTE_WIDTH_PT};height:{_NOTE_HEIGHT_PT};z-index:{z};visibility:hidden\" "
            f'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" '
            f'obscured="t"/><v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto">'
            f'<div style="text-align:left"></div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/>'
            f"<x:SizeWithCells/><x:Anchor>{col + 1}, 15, {top}, 2, {col + 4}, 15, {top + 5}, 16</x:Anchor>"
            f"<x:AutoFill>False</x:AutoFill><x:Row>{row}</x:Row><x:Column>{col}</x:Column></x:ClientData>"
            f"</v:shape>")
