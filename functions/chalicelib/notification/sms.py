"""SMS length rules: how many segments a text costs, and fitting a text into two.

GSM 03.38 (GSM-7): 160 characters in one segment, 153 per segment when concatenated;
characters of the extension table (``^{}\\[~]|€``) take two. Any other character forces
UCS-2: 70 UTF-16 code units in one segment, 67 per segment when concatenated.
"""

from __future__ import annotations

import math
from collections.abc import Callable

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
MAX_SEGMENTS = 2
ELLIPSIS = "..."  # ASCII: "…" is not GSM-7 and would double the cost of a Latin text


_GSM7 = _GSM7_BASIC | _GSM7_EXTENSION


def is_gsm7(text: str) -> bool:
    return _GSM7.issuperset(text)


def segments(text: str) -> int:
    if is_gsm7(text):
        units = len(text) + sum(char in _GSM7_EXTENSION for char in text)
        single, multi = 160, 153
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def fit(compose: Callable[[str], str], variable: str) -> str:
    """``compose(variable)`` in at most two segments, shortening ``variable`` (with "...")
    as much as needed; ValueError when even an empty one does not fit."""
    text = compose(variable)
    if segments(text) <= MAX_SEGMENTS:
        return text
    if segments(compose("")) > MAX_SEGMENTS:
        raise ValueError("the SMS does not fit in two segments even without the product")
    # Binary search on the kept length: segments() is monotonic in it.
    low, high = 0, len(variable) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if segments(compose(variable[:middle].rstrip() + ELLIPSIS)) <= MAX_SEGMENTS:
            low = middle
        else:
            high = middle - 1
    shortened = variable[:low].rstrip() + ELLIPSIS if low else ""
    return compose(shortened)
