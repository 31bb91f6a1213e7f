"""Text as the matcher compares it: NFKC, case-folded, split into letter-and-digit
words (Hangul is kept as it is: it has no case and NFKC leaves composed syllables)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import accumulate, compress

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
# The parts of a camel-case word: "KidsBlock" -> Kids, Block ("LEGO" and "kidsblock"
# have none, and stay one word).
_CAMEL_PARTS = re.compile(r"[A-Z][a-z]+|[a-z]+(?=[A-Z])")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """The words of ``text``, folded: punctuation and spacing are separators."""
    return _WORD.findall(fold(text))


# Everything but word characters, except the separator that joins the texts of a chunk
# (the underscore, a word character to re, is replaced apart: an alternation in the
# pattern would make it slower) and the space: a space is already a separator, and
# most gaps in a title are one space, so leaving them out skips most replacements
# (a third of the pass on Hangul titles).
_NOT_WORD_NOR_SEPARATOR = re.compile(r"[^\w\x00 ]+")
_SEPARATOR = "\x00"
# Text of ASCII and precomposed Hangul syllables only (the titles of most chunks of a
# Korean catalogue) is NFKC already, has no case but ASCII's and no separators but
# ASCII's: its UTF-8 bytes are folded with one table (ASCII letters lower-cased, every
# byte but ASCII letters, digits and NUL made a space; the bytes from 128 up, all
# Hangul's, kept). Anything else needs the Unicode pass.
_NEEDS_UNICODE = re.compile("[^\x00-\x7f\uac00-\ud7a3]")
_ASCII = bytes(range(128))
_BYTE_FOLDING = bytes(range(128)).translate(
    bytes(byte if byte == 0 or chr(byte).isalnum() else 32 for byte in range(256))
).lower() + bytes(range(128, 256))


def folded_utf8(texts: list[str]) -> tuple[bytes, list[int] | None]:
    """The texts folded, everything but their letters and digits made spaces, as UTF-8
    joined by NUL, and the order they are in (None: as given): with ``pieces`` the join
    split at its NULs, ``pieces[k].decode().split() == words(texts[order[k]])``. A chunk
    at a time: folding is one pass for all the texts (NFKC neither makes nor composes
    NUL, so the texts do not touch; a NUL in a text is read as the separator it is in
    ``words``, a space). A chunk of ASCII and Hangul syllables is folded as bytes; in
    any other, its ASCII texts are, and come first. ``texts``: at least one."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:
        texts = [text.replace(_SEPARATOR, " ") for text in texts]
        joined = _SEPARATOR.join(texts)
    utf8 = joined.encode("utf-8")
    # Whether it is ASCII and Hangul syllables only, told by the regex over its other
    # characters alone (ASCII bytes deleted in C first): a Korean title's Hangul is a
    # third of its characters, and the regex costs per character.
    if _NEEDS_UNICODE.search(utf8.translate(None, _ASCII).decode("utf-8")) is None:
        return utf8.translate(_BYTE_FOLDING), None
    is_ascii = [text.isascii() for text in texts]
    if not any(is_ascii):
        return _unicode_folded(joined).encode("utf-8"), None
    is_other = [not flag for flag in is_ascii]
    plain = _bytes_folded(_SEPARATOR.join(compress(texts, is_ascii)))
    other = _unicode_folded(_SEPARATOR.join(compress(texts, is_other))).encode("utf-8")
    order = [*compress(range(len(texts)), is_ascii), *compress(range(len(texts)), is_other)]
    return plain + b"\x00" + other, order


def _bytes_folded(joined: str) -> bytes:
    return joined.encode("utf-8").translate(_BYTE_FOLDING)


def _unicode_folded(joined: str) -> str:
    return _NOT_WORD_NOR_SEPARATOR.sub(" ", fold(joined)).replace("_", " ")


def brand_names(brand: str) -> list[tuple[str, ...]]:
    """Each name a brand cell gives, as its words without legal forms; a name written
    in camel case also as its parts ("KidsBlock" is also "Kids Block")."""
    names: list[tuple[str, ...]] = []
    for part in _BRAND_ALTERNATIVES.split(unicodedata.normalize("NFKC", brand)):
        written = [word for word in _WORD.findall(part) if word.casefold() not in _LEGAL_FORMS]
        name = tuple(word.casefold() for word in written)
        camel = tuple(
            piece.casefold() for word in written for piece in _CAMEL_PARTS.findall(word) or [word]
        )
        for found in (name, camel):
            if len("".join(found)) >= MIN_BRAND_KEY and found not in names:
                names.append(found)
    return names


class WordRuns:
    """A text's words run together, to ask which keys consecutive words of it spell
    (the squashed text is built once for every key asked)."""

    __slots__ = ("_boundaries", "_squashed", "_words")

    def __init__(self, text_words: Sequence[str]) -> None:
        self._words = text_words
        self._squashed = "".join(text_words)
        self._boundaries: set[int] | None = None

    def spell(self, key: str) -> bool:
        """Whether consecutive words spell ``key`` exactly, word boundaries on both
        ends: ``kb 100`` and ``KB-100`` spell ``kb100``, ``KB-1000`` does not."""
        start = self._squashed.find(key)
        if start < 0:
            return False
        boundaries = self._word_boundaries()
        while start >= 0:
            if start in boundaries and start + len(key) in boundaries:
                return True
            start = self._squashed.find(key, start + 1)
        return False

    def _word_boundaries(self) -> set[int]:
        if self._boundaries is None:
            self._boundaries = set(accumulate(map(len, self._words), initial=0))
        return self._boundaries


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
