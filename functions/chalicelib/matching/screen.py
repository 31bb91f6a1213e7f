"""The titles of a chunk of listings that name a brand word, told in Arrow: one split
of the chunk's folded titles into words and one set lookup for all of them, in C,
instead of a split and a set test per title in Python (most titles name no notice's
brand: they cost no Python object at all). Imported by ``Matcher`` when one is built,
not with ``chalicelib.matching``."""

from __future__ import annotations

from collections.abc import Collection, Iterator

import pyarrow as pa
import pyarrow.compute as pc


class TitleScreen:
    def __init__(self, brand_words: Collection[str]) -> None:
        self._brand_words = pa.array(sorted(word.encode("utf-8") for word in brand_words))

    def passed(
        self, folded: bytes, order: list[int] | None, also: set[int]
    ) -> Iterator[tuple[int, list[str]]]:
        """The positions in the chunk of the titles that name a brand word, and of
        ``also``, in chunk order, each with its title's words. ``folded`` and ``order``:
        the chunk's titles as ``text.folded_utf8`` gives them."""
        titles = pc.split_pattern(pa.array([folded], pa.binary()), "\x00").flatten()
        if order is not None:
            # Back in chunk order: the position of each title in the fold's order.
            titles = titles.take(pc.sort_indices(pa.array(order)))
        title_words = pc.split_pattern(titles, " ")
        named = pc.is_in(title_words.flatten(), value_set=self._brand_words)
        naming = pc.filter(pc.list_parent_indices(title_words), named)
        positions = sorted(also.union(naming.to_pylist()))
        if not positions:
            return
        for position, title in zip(positions, titles.take(positions).to_pylist(), strict=True):
            yield position, title.decode("utf-8").split()
