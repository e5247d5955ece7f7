"""Pausing the cyclic garbage collector while a large table is built.

Reading and validating create a few objects per cell and free none of them, so the collector's
generational passes only re-scan a growing heap (a large share of the time on 100,000 rows).
Reference counting still frees everything as usual; the collector is switched back on after.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
