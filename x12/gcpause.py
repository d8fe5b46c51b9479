"""Pause Python's cyclic garbage collector while a parse allocates many small objects.

A parse creates hundreds of thousands of short-lived, acyclic objects; each allocation
burst triggers generation-0 collections that find nothing to free. Measured on a 10,000-claim
835, they were nearly half of the parse time. Reference counting still frees everything;
only the cycle detector waits until the parse is done.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
