"""MS-OVBA compression (section 2.4.1): the LZ77 variant VBA uses for module and dir streams.

Every chunk decompresses to 4096 bytes except the last; a chunk whose compressed
form would not fit is stored raw, as the specification says.
"""

from __future__ import annotations

CHUNK_SIZE = 4096
_MIN_MATCH = 3


def _bit_count(position: int) -> int:
    """Bits of a CopyToken that hold the offset at ``position`` in the chunk (>= 4)."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    pos = 0
    end = len(chunk)
    recent: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions, newest last

    def remember(upto: int) -> None:
        nonlocal seen
        while seen < upto:
            if seen + _MIN_MATCH <= end:
                recent.setdefault(chunk[seen : seen + _MIN_MATCH], []).append(seen)
            seen += 1

    seen = 0
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            remember(pos)
            bits = _bit_count(pos)
            max_length = (0xFFFF >> bits) + 3
            best_len, best_start = 0, -1
            for start in reversed(recent.get(chunk[pos : pos + _MIN_MATCH], ())):
                length = 0
                limit = min(max_length, end - pos)
                while length < limit and chunk[start + length] == chunk[pos + length]:
                    length += 1
                if length > best_len:
                    best_len, best_start = length, start
                    if length == limit:
                        break
            if best_len >= _MIN_MATCH:
                offset = pos - best_start
                token = ((offset - 1) << (16 - bits)) | (best_len - _MIN_MATCH)
                out += token.to_bytes(2, "little")
                flags |= 1 << bit
                pos += best_len
            else:
                out.append(chunk[pos])
                pos += 1
        out[flag_at] = flags
    if len(out) > CHUNK_SIZE:
        # Raw chunk: exactly 4096 bytes (a short last chunk is padded, per the spec).
        header = 0x3000 | (CHUNK_SIZE - 1)
        return header.to_bytes(2, "little") + chunk.ljust(CHUNK_SIZE, b"\x00")
    header = 0xB000 | (len(out) + 2 - 3)
    return header.to_bytes(2, "little") + bytes(out)


def compress(data: bytes) -> bytes:
    """Return the CompressedContainer for ``data``: signature byte 0x01, then the chunks."""
    container = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK_SIZE):
        container += _compress_chunk(data[start : start + CHUNK_SIZE])
    return bytes(container)
