"""How similar is similar enough: the matcher's tunable numbers.

``Thresholds.chosen()`` reads the values ``bench/matching.py`` picked from its
precision/recall curve and wrote to ``thresholds.json`` beside this module; they are
not set by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from pathlib import Path

CHOSEN_FILE = Path(__file__).with_name("thresholds.json")


class ThresholdsError(ValueError):
    """A thresholds file or value the matcher cannot use."""


@dataclass(frozen=True)
class Thresholds:
    # Title similarity (0..1, rapidfuzz token-set ratio) a brand-matched listing needs
    # to be a `probable` match.
    probable_similarity: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.probable_similarity <= 1.0:
            raise ThresholdsError(
                f"probable_similarity must be between 0 and 1, not {self.probable_similarity}"
            )

    @classmethod
    def chosen(cls, path: Path = CHOSEN_FILE) -> Thresholds:
        """The thresholds the bench chose (its file also records the curve point)."""
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            values = document["thresholds"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ThresholdsError(f"{path}: no usable thresholds ({error})") from error
        known = {field.name for field in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ThresholdsError(f"{path}: unknown thresholds {sorted(unknown)}")
        return cls(**values)
