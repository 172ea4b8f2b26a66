"""Keeping Python's cyclic garbage collector out of work that makes many objects and no cycles."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is decoded or walked, a model analysed or
    a report built.

    Such work allocates hundreds of thousands of containers and none of them form cycles; left
    running, the collector rescans the growing heap again and again and makes big inputs several
    times slower. The previous state is restored on exit."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
