"""The custom document properties: the format mapping the report keeps in ``docProps/custom.xml``.

The property ``crmxl_report_styles`` (see ``styles``) is added, or replaced where an earlier run wrote it.
"""

from __future__ import annotations

import re

from crmxl.workbook.patch.package import XML_DECL, Unpatchable, attributes, parse, unprefixed

CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
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
