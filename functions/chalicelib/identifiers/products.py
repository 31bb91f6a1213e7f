"""Product identifiers as regulators write them: GTIN barcodes and Korean KC certificates.

Nothing here rejects a row. A mistyped identifier is still the best lead a platform
has to find the harmful listing, so callers keep suspect values and warn.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

GTIN_LENGTHS = (8, 12, 13, 14)  # GTIN-8 (EAN-8), GTIN-12 (UPC-A), GTIN-13 (EAN), GTIN-14
_ASCII_DIGITS = b"0123456789"

_BARCODE_SEPARATORS = re.compile(r"[\r\n,;/|]+")
_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+", re.IGNORECASE)

_KC_SEPARATORS = re.compile(r"[\r\n,;]+")
_WHITESPACE = re.compile(r"\s+")
# Letters (certification scheme and body), digits with the odd letter (the number),
# hyphen, digits (the derivative model): SU071356-12001, CB063R1234-5001, HU07123-18001.
# ASCII digits only, matched against the whole number (\d would take any script's).
_KC_PATTERN = re.compile(r"[A-Z]{2,3}[0-9]{2}[0-9A-Z]{1,12}-[0-9]{3,6}[A-Z]?")


class Issue(NamedTuple):
    code: str
    message: str


def gtin_check_digit(body: str) -> int:
    """Check digit for the ASCII digits before it (GS1 mod-10, weights 3,1,3... from the
    right); raises ValueError for anything else."""
    codes = body.encode("ascii")  # UnicodeEncodeError, a ValueError, for other scripts
    if codes.translate(None, _ASCII_DIGITS):
        raise ValueError(f"{body!r} is not a run of digits")
    return _check_digit(codes)


def _check_digit(digits: bytes) -> int:
    # Each digit summed as its byte less ord("0"), no int() per digit: this runs for
    # every barcode of a file.
    odd, even = digits[-1::-2], digits[-2::-2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return (10 - total % 10) % 10


def gtin_issue(code: str) -> Issue | None:
    """Why ``code`` is not a usable GTIN/EAN/UPC, or None when it is."""
    if not code.isascii() or not code.isdigit():
        if _SCIENTIFIC.fullmatch(code):
            return Issue(
                "barcode_characters",
                f"barcode {code!r} looks like a spreadsheet number in scientific notation; "
                "format the column as text",
            )
        return Issue(
            "barcode_characters", f"barcode {code!r} contains characters other than digits"
        )
    zeros_sum = _ZEROS_SUM.get(len(code))
    if zeros_sum is None:
        return Issue(
            "barcode_length",
            f"barcode {code!r} has {len(code)} digits; GTIN/EAN/UPC codes have 8, 12, 13 or 14",
        )
    if not code.strip("0"):
        return Issue(
            "barcode_placeholder", f"barcode {code!r} is a placeholder, not a product code"
        )
    digits = code.encode("ascii")  # checked above: ASCII digits
    # The whole code weighed, check digit included (weight 1, then 3, 1, ... leftwards),
    # sums to a multiple of 10 when the check digit is right: two C-level sums of the
    # bytes, less what their ASCII offsets add. The expected digit only for the message.
    if (3 * sum(digits[-2::-2]) + sum(digits[-1::-2]) - zeros_sum) % 10:
        return Issue(
            "barcode_check_digit",
            f"barcode {code!r} fails the check digit "
            f"(expected last digit {_check_digit(digits[:-1])})",
        )
    return None


# What the weighed sum of a code of each GTIN length adds for its bytes being ASCII
# digits (ord("0") is 48): half its digits, rounded down, weigh 3.
_ZEROS_SUM = {length: 48 * (3 * (length // 2) + length - length // 2) for length in GTIN_LENGTHS}


def split_barcodes(text: str) -> list[str]:
    """Codes in one cell: separated by newlines , ; / |, with spaces and hyphens inside
    a code removed. Codes separated only by spaces are split when each is a valid GTIN
    and the run-together digits are not."""
    codes: list[str] = []
    if "\n" in text or "\r" in text or ";" in text or "/" in text or "|" in text:
        pieces = _BARCODE_SEPARATORS.split(text)
    else:
        # Most cells: commas alone, split without the regex (a third of the time); the
        # empty pieces of a run of commas hold no code either way.
        pieces = text.split(",")
    for piece in pieces:
        # str.split() splits on exactly the characters regex \s matches, so only
        # hyphens are left inside the words.
        words = piece.split()
        if len(words) == 1 and "-" not in piece:
            codes.append(words[0])  # most pieces: one code as written, nothing to join
        else:
            codes.extend(_codes_in_words(piece, words))
    return list(filter(None, codes))


def _codes_in_words(piece: str, words: list[str]) -> list[str]:
    """The codes in a piece of several words, or with hyphens, split into ``words``."""
    tokens = [word.replace("-", "") for word in words] if "-" in piece else words
    if len(tokens) < 2:  # one word or none: nothing to tell apart
        return tokens
    compact = "".join(tokens)
    if gtin_issue(compact) and not any(map(gtin_issue, tokens)):
        return tokens
    return [compact]


def split_kc_certificates(text: str) -> list[str]:
    """KC numbers in one cell (comma separated as SafetyKorea's certNum), upper-cased."""
    # Hyphens are part of a KC number, so only whitespace is squeezed out.
    pieces = (_WHITESPACE.sub("", piece).upper() for piece in _KC_SEPARATORS.split(text))
    return [piece for piece in pieces if piece]


def kc_certificate_issue(number: str) -> Issue | None:
    if _KC_PATTERN.fullmatch(number):
        return None
    return Issue(
        "kc_certificate_format",
        f"KC certificate number {number!r} does not look like one (e.g. SU071356-12001)",
    )


# -- match keys: one spelling per identifier, so that a lookup is one dict access -----

_NOT_ALNUM = re.compile(r"[\W_]+")


def gtin14(code: str) -> str | None:
    """A barcode as the 14-digit key it is compared by (GTIN-8/12/13 left-padded with
    zeros, as GS1 does), or None when it is not a run of 8, 12, 13 or 14 digits once
    spaces and hyphens are removed. The check digit is not judged here: a notice's
    suspect codes are keyed the same way, and the caller knows which list it holds."""
    digits = code.replace(" ", "").replace("-", "")
    if len(digits) not in GTIN_LENGTHS or not digits.isascii() or not digits.isdigit():
        return None
    return digits.zfill(14)


def kc_certificate_key(number: str) -> str:
    """A KC certificate number as it is compared: whitespace out, upper case (hyphens
    belong to the number)."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", number)).upper()


def model_key(model: str) -> str:
    """A model, type or batch number as it is compared: ``KB-100``, ``KB100``,
    ``kb 100`` and full-width ``ＫＢ－１００`` all give ``kb100``. Only letters and digits
    count (Hangul included); punctuation and spacing are how sellers vary them."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", model).casefold())
