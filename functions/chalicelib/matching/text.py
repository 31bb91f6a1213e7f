"""Text as the matcher compares it: NFKC, case-folded, split into letter-and-digit
words (Hangul is kept as it is: it has no case and NFKC leaves composed syllables)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_WORD = re.compile(r"[^\W_]+")
# Where a brand cell names alternatives: "키즈블록 (KidsBlock)", "PowerTank / 파워탱크".
_BRAND_ALTERNATIVES = re.compile(r"[/|,;()\[\]{}]+")
# Company legal forms are not part of a brand: "(주)키즈블록" is 키즈블록.
_LEGAL_FORMS = frozenset(
    {
        "ag", "bv", "co", "company", "corp", "corporation", "gmbh", "inc", "llc", "ltd",
        "limited", "plc", "sa", "sas", "srl", "주", "주식회사", "유한회사",
    }
)  # fmt: skip
MIN_BRAND_KEY = 2


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The words of ``text``, folded: punctuation and spacing are separators."""
    return _WORD.findall(fold(text))


def brand_names(brand: str) -> list[tuple[str, ...]]:
    """Each name a brand cell gives, as its words without legal forms."""
    names: list[tuple[str, ...]] = []
    for part in _BRAND_ALTERNATIVES.split(fold(brand)):
        name = tuple(word for word in _WORD.findall(part) if word not in _LEGAL_FORMS)
        if len("".join(name)) >= MIN_BRAND_KEY and name not in names:
            names.append(name)
    return names


def contains_run(text_words: Sequence[str], key: str) -> bool:
    """Whether consecutive words of the text spell ``key`` exactly, word boundaries
    on both ends: ``kb 100`` and ``KB-100`` spell ``kb100``, ``KB-1000`` does not."""
    squashed = "".join(text_words)
    start = squashed.find(key)
    if start < 0:
        return False
    boundaries = {0}
    offset = 0
    for word in text_words:
        offset += len(word)
        boundaries.add(offset)
    while start >= 0:
        if start in boundaries and start + len(key) in boundaries:
            return True
        start = squashed.find(key, start + 1)
    return False


def model_like_runs(text_words: Sequence[str], prefix: str) -> list[str]:
    """Model numbers with ``prefix`` written in the text (``kb500`` from ``KB-500``,
    ``KB 500`` or ``kb500``): how a listing names another model of the same brand."""
    runs: list[str] = []
    for position, word in enumerate(text_words):
        if not word.startswith(prefix):
            continue
        if len(word) > len(prefix) and word[len(prefix)].isdigit():
            runs.append(word)
        elif word == prefix and position + 1 < len(text_words):
            following = text_words[position + 1]
            if following[:1].isdigit():
                runs.append(word + following)
    return runs
