"""Keeps CPython's cyclic collector from walking the embedded AWS's state again and again.

moto holds every resource of the embedded AWS (each DynamoDB item, S3 object, message
kept) as Python objects in this process: ~37 per buyer notified. They live as long as
the runtime, yet the collector walks all of them at each full collection, and one comes
each time the survivors of the last have grown by a quarter: notifying 10,000 buyers,
13 full collections took ~2.3 of ~12.5 CPU seconds, the last ones 0.4 s each, and each
one longer as the state grows (README, "Seller and buyer notification").

So the survivors of a full collection are frozen (``gc.freeze``: kept out of every
generation), and the next full collection walks only what is newer. Reference counting
still frees a frozen object once it is dropped; only garbage in a reference cycle among
frozen objects would wait, so whenever the frozen objects have doubled they are given
back (``gc.unfreeze``) and the next full collection walks them all once, cycles and
all. On AWS none of this applies: the state lives in the services, not in the process.

And the youngest generation is collected every 20,000 allocations, not 700: one AWS
call through botocore and moto allocates thousands of objects that live until it ends,
so collecting every 700 found little to free and pushed the rest on to older
generations (GC ~1.9 -> 1.0 CPU s of notifying 10,000 buyers).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_YOUNGEST_THRESHOLD = 20_000


class _SurvivorsFrozen:
    def __init__(self) -> None:
        # Counted here: gc.get_freeze_count() walks every frozen object (~0.1 s a call
        # once the state is large). Someone else's gc.unfreeze() (intake's parse pauses
        # the collector that way) only makes the next full collection walk more.
        self._frozen = 0
        self._give_back_at = 0  # 0: the next full collection walks everything

    def after_collection(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        if self._give_back_at and self._frozen >= self._give_back_at:
            gc.unfreeze()
            self._frozen = self._give_back_at = 0
            return
        # Freezing from the collector's "stop" callback is safe: the collection is over
        # and its lists are consistent; the survivors, all in the oldest generation
        # now, are all reachable right now.
        self._frozen += len(gc.get_objects(generation=2))
        gc.freeze()
        if not self._give_back_at:
            self._give_back_at = 2 * self._frozen


@contextmanager
def survivors_frozen() -> Iterator[None]:
    """While the runtime runs: full collections freeze their survivors (see above)."""
    policy = _SurvivorsFrozen()
    thresholds = gc.get_threshold()
    gc.set_threshold(_YOUNGEST_THRESHOLD, *thresholds[1:])
    gc.callbacks.append(policy.after_collection)
    try:
        yield
    finally:
        gc.callbacks.remove(policy.after_collection)
        gc.set_threshold(*thresholds)
        gc.unfreeze()
