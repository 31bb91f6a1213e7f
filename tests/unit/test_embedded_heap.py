"""The embedded runtime's collector policy: survivors of a full collection are frozen,
a cycle dropped after its freeze is still collected once the frozen objects double, and
nothing stays frozen, installed or changed when the runtime ends."""

from __future__ import annotations

import gc
import weakref

from psx.embedded.heap import survivors_frozen


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_full_collection_freezes_its_survivors_until_the_runtime_ends() -> None:
    callbacks, thresholds = list(gc.callbacks), gc.get_threshold()
    with survivors_frozen():
        assert gc.get_threshold()[0] > thresholds[0]
        survivor = _Cycle()
        gc.collect()
        assert gc.get_freeze_count() > 0
        assert not any(o is survivor for o in gc.get_objects())  # in no generation

    assert gc.get_freeze_count() == 0
    assert gc.callbacks == callbacks
    assert gc.get_threshold() == thresholds


def test_a_cycle_dropped_after_its_freeze_is_collected_once_the_frozen_objects_double() -> None:
    with survivors_frozen():
        gc.collect()  # the first: freezes everything alive, gives back at twice as many
        cycle = _Cycle()
        dropped = weakref.ref(cycle)
        gc.collect()  # frozen with it
        del cycle
        gc.collect()
        assert dropped() is not None  # frozen: no collection walks it

        grown = [[] for _ in range(gc.get_freeze_count())]
        gc.collect()  # freezes the new lists: the frozen objects have doubled
        gc.collect()  # gives them all back
        gc.collect()  # walks them all

        assert dropped() is None
        assert grown
