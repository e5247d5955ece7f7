"""``xl/styles.xml``: the cell formats (xf) of our marks, derived from the cells' own formats.

A marked cell keeps its own format (number format, font, border, alignment) with our fill: for each
(original xf, severity) one xf is appended that copies the original with our fill. Which original an
xf of ours came from is kept in the workbook's custom properties (``docprops.MAPPING_PROPERTY``, e.g.
``"40=7,41=9"``), so a second run gives a fixed cell its original format back -- the user's own fill
included. The mapping is only trusted where it still holds (the mark xf has our fill and equals the
original apart from the fill), since a spreadsheet program may renumber the formats when it saves;
where it does not hold, or for marks written before the mapping existed, the mark is cleared by
taking the fill away (the cell keeps the rest of its format), as the openpyxl writer does.

Our marks are recognised by their fill: solid ``ERROR_FILL`` or ``WARNING_FILL``.
"""

from __future__ import annotations

import re

from crmxl.workbook.patch.package import Unpatchable, attributes, parse, set_attr, unprefixed

_BLOCK = {name: re.compile(rb"<" + name + rb"\b[^>]*?(?:/>|>(.*?)</" + name + rb">)", re.S)
          for name in (b"cellXfs", b"fills", b"fonts")}
_ITEM = {b"cellXfs": re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S),
         b"fills": re.compile(rb"<fill\b[^>]*?(?:/>|>.*?</fill>)", re.S),
         b"fonts": re.compile(rb"<font\b[^>]*?(?:/>|>.*?</font>)", re.S)}
_SOLID_RGB = re.compile(rb'<patternFill\b[^>]*\bpatternType="solid"[^>]*>\s*<fgColor\b[^>]*\brgb="([0-9A-Fa-f]{6,8})"')
_START = re.compile(rb"<xf\b[^>]*?/?>")


def _fill(rgb: str) -> bytes:
    return (b'<fill><patternFill patternType="solid"><fgColor rgb="' + rgb.encode()
            + b'"/><bgColor indexed="64"/></patternFill></fill>')


class Styles:
    """The formats of a workbook, with the ones the report needs added on demand."""

    def __init__(self, data: bytes, fills: dict[str, str], mapping: dict[int, int]) -> None:
        """``fills``: severity -> ARGB of our fill; ``mapping``: mark xf -> original xf (from a previous run)."""
        unprefixed(data, "styleSheet")
        parse(data)  # refuses DTDs and entities, and broken XML
        self.data = data
        self.items: dict[bytes, list[bytes]] = {}
        self.added: dict[bytes, list[bytes]] = {b"cellXfs": [], b"fills": [], b"fonts": []}
        for name in self.added:
            block = _BLOCK[name].search(data)
            if block is None:
                raise Unpatchable(f"styles without {name.decode()}")
            self.items[name] = _ITEM[name].findall(block.group(1) or b"")
        if not self.items[b"cellXfs"] or not self.items[b"fonts"]:
            raise Unpatchable("styles without cell formats or fonts")
        wanted = {rgb.upper() for rgb in fills.values()}
        our_fills = {i for i, f in enumerate(self.items[b"fills"])
                     if (m := _SOLID_RGB.search(f)) and _argb(m.group(1)) in wanted}
        self.fill_ids = {severity: self._fill_id(rgb, our_fills) for severity, rgb in fills.items()}
        our_fills |= set(self.fill_ids.values())
        self._our_fills = {str(i).encode() for i in our_fills}
        self.marks = {i for i, xf in enumerate(self.items[b"cellXfs"]) if self._is_mark(xf)}
        self.mapping = {m: o for m, o in mapping.items() if self._holds(m, o)}
        self._cache: dict[tuple, int] = {}
        self._bold_font: int | None = None
        self._title_font: int | None = None

    # -- lookups ------------------------------------------------------------------------------------------

    def _xfs(self) -> list[bytes]:
        return self.items[b"cellXfs"] + self.added[b"cellXfs"]

    def _is_mark(self, xf: bytes) -> bool:
        return attributes(_START.match(xf).group()).get(b"fillId") in self._our_fills

    def _holds(self, mark: int, original: int) -> bool:
        xfs = self._xfs()
        return (mark in self.marks and 0 <= original < len(xfs) and original not in self.marks
                and _without_fill(xfs[mark]) == _without_fill(xfs[original]))

    def _fill_id(self, rgb: str, ours: set[int]) -> int:
        for i in sorted(ours):
            if _argb(_SOLID_RGB.search(self.items[b"fills"][i]).group(1)) == rgb.upper():
                return i
        return self._append(b"fills", _fill(rgb))

    def _append(self, name: bytes, item: bytes) -> int:
        self.added[name].append(item)
        return len(self.items[name]) + len(self.added[name]) - 1

    def _xf(self, xf: bytes) -> int:
        """The index of format ``xf``: an existing identical one, or a new one."""
        xfs = self._xfs()
        key = _normal(xf)
        for i in range(len(xfs) - 1, -1, -1):
            if _normal(xfs[i]) == key:
                return i
        return self._append(b"cellXfs", xf)

    def _base(self, s: int) -> bytes:
        xfs = self._xfs()
        return xfs[s] if 0 <= s < len(xfs) else xfs[0]

    # -- what the sheet patch asks for ----------------------------------------------------------------------

    def restore(self, s: int) -> int:
        """The format a cell marked with xf ``s`` gets back (``s`` itself if it is not a mark of ours)."""
        if s not in self.marks:
            return s
        if s in self.mapping:
            return self.mapping[s]
        key = ("restore", s)
        if key not in self._cache:
            self._cache[key] = self._xf(_with(self._base(s), fillId=b"0", applyFill=None))
        return self._cache[key]

    def mark(self, s: int, severity: str) -> int:
        """The format of a cell of format ``s`` marked for ``severity``."""
        s = self.restore(s)
        key = ("mark", s, severity)
        if key not in self._cache:
            fill = self.fill_ids[severity]
            found = next((m for m, o in self.mapping.items() if o == s and self._fill_of(m) == fill), None)
            if found is None:
                xf = _with(self._base(s), fillId=str(fill).encode(), applyFill=b"1")
                found = self._xf(xf)
                if self.mapping.get(found, s) != s:  # formats that differ only by their fill: one mark each,
                    found = self._append(b"cellXfs", xf)  # so each cell gets its own fill back
                self.marks.add(found)
                self.mapping[found] = s
            self._cache[key] = found
        return self._cache[key]

    def _fill_of(self, xf: int) -> int:
        return int(attributes(_START.match(self._xfs()[xf]).group()).get(b"fillId", b"0"))

    def bold(self, s: int = 0) -> int:
        """Format ``s`` in the bold variant of the workbook's default font."""
        if self._bold_font is None:
            self._bold_font = self._font_id(_font(self.items[b"fonts"][0], bold=True))
        return self._xf(_with(self._base(self.restore(s)), fontId=str(self._bold_font).encode(), applyFont=b"1"))

    def title(self) -> int:
        """Bold, size 14 (the Summary's title)."""
        if self._title_font is None:
            self._title_font = self._font_id(_font(self.items[b"fonts"][0], bold=True, size=14))
        return self._xf(_with(self._base(0), fontId=str(self._title_font).encode(), applyFont=b"1"))

    def _font_id(self, font: bytes) -> int:
        """The index of ``font``: an identical one already there (an earlier run's), or a new one."""
        key = re.sub(rb"\s+", b"", font)
        for i, existing in enumerate(self.items[b"fonts"] + self.added[b"fonts"]):
            if re.sub(rb"\s+", b"", existing) == key:
                return i
        return self._append(b"fonts", font)

    @property
    def mark_ids(self) -> set[int]:
        return set(self.marks)

    def render(self) -> bytes:
        data = self.data
        for name in (b"cellXfs", b"fills", b"fonts"):
            if not self.added[name]:
                continue
            block = _BLOCK[name].search(data)
            items = self.items[name] + self.added[name]
            start = re.match(rb"<" + name + rb"\b[^>]*?(?=/?>)", block.group()).group()
            start = set_attr(start + b">", b"count", str(len(items)).encode())
            new = start + b"".join(items) + b"</" + name + b">"
            data = data[: block.start()] + new + data[block.end():]
        return data


def _argb(rgb: bytes) -> str:
    text = rgb.decode().upper()
    return text if len(text) == 8 else "FF" + text


def _with(xf: bytes, **changes: bytes | None) -> bytes:
    start = _START.match(xf).group()
    new = start
    for name, value in changes.items():
        new = set_attr(new, name.encode(), value)
    return new + xf[len(start):]


def _without_fill(xf: bytes) -> bytes:
    return _normal(_with(xf, fillId=None, applyFill=None))


def _normal(xf: bytes) -> bytes:
    """A format's identity: its attributes in sorted order (defaults spelled out) and its children."""
    start = _START.match(xf).group()
    attrs = attributes(start)
    for name in (b"numFmtId", b"fontId", b"fillId", b"borderId", b"xfId"):
        attrs.setdefault(name, b"0")
    body = xf[len(start):].rsplit(b"</xf>", 1)[0] if not start.endswith(b"/>") else b""
    return b" ".join(k + b"=" + v for k, v in sorted(attrs.items())) + b"|" + body.strip()


def _font(font: bytes, *, bold: bool, size: int | None = None) -> bytes:
    """A copy of ``font`` (the default one) in bold and, if given, of another size."""
    if font.endswith(b"/>"):
        font = font[:-2] + b"></font>"
    head_end = font.index(b">") + 1
    body = re.sub(rb"<b\b[^>]*/>", b"", font[head_end:-len(b"</font>")])
    if size is not None:
        body = re.sub(rb"<sz\b[^>]*/>", b"", body)
        body = b'<sz val="' + str(size).encode() + b'"/>' + body
    return font[:head_end] + (b"<b/>" if bold else b"") + body + b"</font>"
