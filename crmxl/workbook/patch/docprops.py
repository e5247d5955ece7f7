"""The document properties the report keeps right: our format mapping and the list of worksheets.

``docProps/custom.xml``: the property ``crmxl_report_styles`` (see ``styles``) is added, or replaced
where an earlier run wrote it. ``docProps/app.xml`` names the worksheets (``TitlesOfParts``) and counts
them (``HeadingPairs``); when the Summary sheet comes or goes both follow, but only where they have the
plain form Excel and xlsxwriter write and the worksheets' group still lists the workbook's worksheets.
Anything else is left as it was.
"""

from __future__ import annotations

import re
from typing import Any

from crmxl.workbook.patch.package import REL, XML_DECL, Unpatchable, attributes, parse, set_attr, unescape, unprefixed

CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
EXTENDED_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
REL_EXTENDED_PROPS = f"{REL}/extended-properties"
MAPPING_PROPERTY = "crmxl_report_styles"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"


def read_mapping(data: bytes | None) -> dict[int, int]:
    """Mark xf -> original xf, as an earlier run wrote it in the custom properties ``data``."""
    if data is None:
        return {}
    unprefixed(data, "Properties")
    root = parse(data)
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


def custom_xml(data: bytes | None, mapping: dict[int, int]) -> bytes:
    """The custom properties ``data`` (None: none yet) with ``mapping`` as our property."""
    value = ",".join(f"{m}={o}" for m, o in sorted(mapping.items()))
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


def app_xml(data: bytes, before: list[str], after: list[str], removed: str | None) -> bytes | None:
    """The extended properties ``data`` listing the worksheets ``after`` where they listed ``before``.

    None: nothing to change, or a form not recognised. ``removed``: the name of a sheet that went (the
    other groups must not name it, as ``Summary!Print_Area`` would).
    """
    if before == after:
        return None
    root = re.search(rb"<Properties\b[^>]*>", data)
    if root is None or f'xmlns="{EXTENDED_NS}"'.encode() not in root.group():
        return None
    bound = re.search(rb'xmlns:([\w.-]+)="' + re.escape(VT_NS.encode()) + rb'"', root.group())
    if bound is None or data.count(b"<HeadingPairs") != 1 or data.count(b"<TitlesOfParts") != 1:
        return None
    vt = bound.group(1)
    heading = re.search(rb"<HeadingPairs>(.*?)</HeadingPairs>", data, re.S)
    titles = re.search(rb"<TitlesOfParts>(.*?)</TitlesOfParts>", data, re.S)
    heading_vector = _vector(heading.group(1), vt, b"variant", _pair(vt)) if heading else None
    titles_vector = _vector(titles.group(1), vt, b"lpstr", _lpstr(vt)) if titles else None
    if heading_vector is None or titles_vector is None or heading.start() > titles.start():
        return None
    (heading_tag, pairs), (titles_tag, items) = heading_vector, titles_vector
    counts = [int(count) for _, count in pairs]
    if sum(counts) != len(items):
        return None
    values = [unescape(item) for item in items]
    starts = [sum(counts[:g]) for g in range(len(counts))]
    groups = [g for g, count in enumerate(counts) if values[starts[g]:starts[g] + count] == before]
    if len(groups) != 1:
        return None
    group, start, end = groups[0], starts[groups[0]], starts[groups[0]] + counts[groups[0]]
    if removed is not None:
        quoted = "'" + removed.replace("'", "''") + "'"
        if any(v.startswith((f"{removed}!", f"{quoted}!")) for v in values[:start] + values[end:]):
            return None
    raw = dict(zip(before, items[start:end], strict=True))
    listed = [raw.get(name) or _escape(name) for name in after]
    pairs[group] = (pairs[group][0], str(len(after)).encode())
    items = items[:start] + listed + items[end:]
    new_heading = _render(heading_tag, vt, len(pairs) * 2, b"".join(
        b"<%b:variant><%b:lpstr>%b</%b:lpstr></%b:variant><%b:variant><%b:i4>%b</%b:i4></%b:variant>"
        % (vt, vt, name, vt, vt, vt, vt, count, vt, vt) for name, count in pairs))
    new_titles = _render(titles_tag, vt, len(items), b"".join(
        b"<%b:lpstr>%b</%b:lpstr>" % (vt, item, vt) for item in items))
    return (data[:heading.start(1)] + new_heading + data[heading.end(1):titles.start(1)] + new_titles
            + data[titles.end(1):])


def _pair(vt: bytes) -> re.Pattern[bytes]:
    """A heading pair: the group's name and how many titles it has."""
    return re.compile(rb"\s*<%b:variant>\s*<%b:lpstr>([^<]*)</%b:lpstr>\s*</%b:variant>\s*<%b:variant>\s*"
                      rb"<%b:i4>([0-9]+)</%b:i4>\s*</%b:variant>" % ((re.escape(vt),) * 8))


def _lpstr(vt: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"\s*<%b:lpstr>([^<]*)</%b:lpstr>" % ((re.escape(vt),) * 2))


def _vector(body: bytes, vt: bytes, base: bytes, item: re.Pattern[bytes]) -> tuple[bytes, list[Any]] | None:
    """The start tag of the one ``<vt:vector>`` making up ``body``, and its items (None: not that form)."""
    start = re.match(rb"\s*(<%b:vector\b[^>]*>)" % re.escape(vt), body)
    if start is None:
        return None
    tag = start.group(1)
    a = attributes(tag)
    if set(a) != {b"size", b"baseType"} or a[b"baseType"] != base or not a[b"size"].isdigit():
        return None
    found, pos = [], start.end()
    while (match := item.match(body, pos)) is not None:
        found.append(match.groups() if item.groups > 1 else match.group(1))
        pos = match.end()
    if re.fullmatch(rb"\s*</%b:vector>\s*" % re.escape(vt), body[pos:]) is None:
        return None
    if int(a[b"size"]) != len(found) * (2 if base == b"variant" else 1):
        return None
    return tag, found


def _render(tag: bytes, vt: bytes, size: int, items: bytes) -> bytes:
    return set_attr(tag, b"size", str(size).encode()) + items + b"</%b:vector>" % vt


def _escape(name: str) -> bytes:
    return name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()
