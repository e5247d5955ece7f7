"""A small writer of Compound File Binary files ([MS-CFB], version 3, 512-byte sectors).

Enough for a ``vbaProject.bin``: storages and streams given as paths, small streams
in the mini stream, a directory whose sibling trees are valid red-black trees.
Reading is left to olefile; the tests read every file this writes with it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_HEADER_DIFAT = 109
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_STORAGE, _STREAM, _ROOT = 1, 2, 5
_RED, _BLACK = 0, 1


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: dict[str, _Entry] = field(default_factory=dict)
    sid: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    color: int = _BLACK
    start: int = ENDOFCHAIN
    size: int = 0


def _sort_key(name: str) -> tuple[int, str]:
    """The directory order of [MS-CFB] 2.6.4: shorter names first, then by upper-cased name."""
    return (len(name.encode("utf-16-le")), name.upper())


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"invalid compound file entry name: {name!r}")


def _tree(entries: list[_Entry]) -> int:
    """Link ``entries`` (one storage's children) into a balanced red-black tree; return its root."""
    ordered = sorted(entries, key=lambda e: _sort_key(e.name))
    depths: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = ordered[mid]
        depths[id(node)] = depth
        node.left = build(lo, mid, depth + 1)
        node.right = build(mid + 1, hi, depth + 1)
        return node.sid

    root = build(0, len(ordered), 0)
    # A size-balanced tree has all its leaves on the last two levels: colouring the
    # deepest level red (never the root) gives every path the same number of black nodes.
    deepest = max(depths.values(), default=0)
    for node in ordered:
        node.color = _RED if deepest > 0 and depths[id(node)] == deepest else _BLACK
    return root


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i + 1 < count else ENDOFCHAIN


def _sectors(size: int, unit: int) -> int:
    return (size + unit - 1) // unit


def write_compound_file(streams: Mapping[str, bytes]) -> bytes:
    """Build a compound file from ``{"PROJECT": b"...", "VBA/dir": b"...", ...}``.

    Paths use ``/`` between storages; storages are created as needed.
    """
    root = _Entry("Root Entry", _ROOT)
    for path, data in streams.items():
        parts = path.split("/")
        node = root
        for part in parts[:-1]:
            _check_name(part)
            node = node.children.setdefault(part.upper(), _Entry(part, _STORAGE))
            if node.kind != _STORAGE:
                raise ValueError(f"{path}: {part} is a stream, not a storage")
        _check_name(parts[-1])
        if parts[-1].upper() in node.children:
            raise ValueError(f"duplicate compound file entry: {path}")
        node.children[parts[-1].upper()] = _Entry(parts[-1], _STREAM, data=bytes(data))

    # Number the entries (root first) and link each storage's children.
    entries: list[_Entry] = []
    pending = [root]
    while pending:
        node = pending.pop(0)
        node.sid = len(entries)
        entries.append(node)
        pending.extend(sorted(node.children.values(), key=lambda e: _sort_key(e.name)))
    for node in entries:
        if node.children:
            node.child = _tree(list(node.children.values()))

    # Small streams go to the mini stream, the others to regular sectors.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    big: list[_Entry] = []
    for node in entries:
        if node.kind != _STREAM:
            continue
        node.size = len(node.data)
        if node.size == 0:
            node.start = ENDOFCHAIN
        elif node.size < MINI_CUTOFF:
            node.start = len(mini_fat)
            count = _sectors(node.size, MINI_SECTOR)
            mini_fat.extend([FREESECT] * count)
            _chain(mini_fat, node.start, count)
            mini_stream += node.data.ljust(count * MINI_SECTOR, b"\x00")
        else:
            big.append(node)

    dir_count = _sectors(len(entries) * 128, SECTOR)
    minifat_count = _sectors(len(mini_fat) * 4, SECTOR)
    ministream_count = _sectors(len(mini_stream), SECTOR)
    data_count = dir_count + minifat_count + ministream_count + sum(_sectors(n.size, SECTOR) for n in big)
    fat_count = 1
    while fat_count * (SECTOR // 4) < data_count + fat_count:
        fat_count += 1
    if fat_count > _HEADER_DIFAT:
        raise ValueError("compound file too large for this writer (needs DIFAT sectors)")

    fat = [FREESECT] * (fat_count * SECTOR // 4)
    for i in range(fat_count):
        fat[i] = FATSECT
    cursor = fat_count
    body = bytearray()

    def place(data: bytes, count: int) -> int:
        nonlocal cursor
        if count == 0:
            return ENDOFCHAIN
        first = cursor
        _chain(fat, first, count)
        body.extend(data.ljust(count * SECTOR, b"\x00"))
        cursor += count
        return first

    dir_start = cursor
    cursor += dir_count  # the directory is written last, once every start sector is known
    _chain(fat, dir_start, dir_count)
    minifat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    minifat_bytes += struct.pack("<I", FREESECT) * ((minifat_count * SECTOR - len(minifat_bytes)) // 4)
    minifat_start = place(minifat_bytes, minifat_count)
    root.start = place(bytes(mini_stream), ministream_count)
    root.size = len(mini_stream)
    for node in big:
        node.start = place(node.data, _sectors(node.size, SECTOR))

    directory = bytearray()
    for node in entries:
        directory += _dir_entry(node)
    while len(directory) < dir_count * SECTOR:
        directory += _empty_dir_entry()

    header = bytearray(SECTOR)
    struct.pack_into(
        "<8s16sHHHHH6sIIIIIIIII",
        header,
        0,
        _SIGNATURE,
        b"\x00" * 16,
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order: little-endian
        9,  # sector shift
        6,  # mini sector shift
        b"\x00" * 6,
        0,  # number of directory sectors: always 0 in version 3
        fat_count,
        dir_start,
        0,  # transaction signature
        MINI_CUTOFF,
        minifat_start if minifat_count else ENDOFCHAIN,
        minifat_count,
        ENDOFCHAIN,  # first DIFAT sector: none
        0,
    )
    difat = list(range(fat_count)) + [FREESECT] * (_HEADER_DIFAT - fat_count)
    struct.pack_into(f"<{_HEADER_DIFAT}I", header, 76, *difat)

    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    # Sector n starts at (n + 1) * 512: FAT sectors, directory, then the placed data.
    return bytes(header) + fat_bytes + bytes(directory) + bytes(body)


def _dir_entry(node: _Entry) -> bytes:
    encoded = node.name.encode("utf-16-le")
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded) + 2,
        node.kind,
        node.color,
        node.left,
        node.right,
        node.child,
        b"\x00" * 16,
        0,
        0,
        0,
        node.start if node.kind != _STORAGE else 0,
        node.size if node.kind != _STORAGE else 0,
    )


def _empty_dir_entry() -> bytes:
    return struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM, b"\x00" * 16, 0, 0, 0, 0, 0)
