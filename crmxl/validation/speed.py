"""Pausing the cyclic garbage collector while a large table is built.

Reading and validating create a few objects per cell and free none of them, so the collector's
generational passes only re-scan a growing heap (a large share of the time on 100,000 rows).
Reference counting still frees everything as usual; the collector is switched back on after, and
what the pause allocated goes straight to the oldest generation (``gc.freeze`` then ``gc.unfreeze``):
otherwise the first young collection after the pause scans all of it at once (a quarter of a second
per stage on 100,000 rows). Cycles among those objects are still collected by the next full pass.
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
            gc.freeze()
            gc.unfreeze()
            gc.enable()
