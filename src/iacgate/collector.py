"""Keeping Python's cyclic garbage collector out of work that makes many objects and no cycles."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused(age_survivors: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while a document is decoded or walked, a model analysed or
    a report built.

    Such work allocates hundreds of thousands of containers and none of them form cycles; left
    running, the collector rescans the growing heap again and again and makes big inputs several
    times slower. The previous state is restored on exit.

    ``age_survivors``: on the way out, everything the collector tracks joins its oldest generation
    without being walked (``gc.freeze`` then ``gc.unfreeze``, each a constant-time list move).
    Otherwise all that the paused work made and kept counts as new, and the first collection after
    the pause walks it all (a third of a second after loading a large Terraform tree)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if age_survivors:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()
