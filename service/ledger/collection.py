"""Reads that build many objects at once without paying the garbage collector for them."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused"]

_lock = threading.Lock()
_paused = 0
_resume = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a read loads many rows.

    Building thousands of row objects triggers collections that walk every live object, again
    and again, though none of them is garbage yet: a long list costs more than linear time.
    Reference counting still frees everything as usual; the collector runs again (once) when
    the last paused read ends. Nested and concurrent pauses are counted.
    """
    global _paused, _resume
    with _lock:
        _paused += 1
        if _paused == 1:
            _resume = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()
