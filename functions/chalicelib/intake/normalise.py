"""Turn one raw canonical record (from any format) into a validated ``ParsedRow``.

Every rule about values lives here so that a CSV row, a CPSC recall and a Safety Gate
notification are judged alike. Principles:

* A row is *rejected* (errors) only when the exchange cannot act on it: no way to
  identify the product, no usable jurisdiction, a cell over the size limit, a notice
  larger than one stored record may be (``record_size.MAX_RECORD_BYTES``).
* Everything else that looks wrong is kept and *warned*: a mistyped barcode is still
  the best lead to the harmful listing.
* Nothing raises: model validation errors become problems located by field name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from typing import Any, cast

from pydantic import ValidationError

from chalicelib.identifiers.jurisdictions import default_language, jurisdiction_code
from chalicelib.identifiers.products import (
    gtin_issue,
    kc_certificate_issue,
    split_barcodes,
    split_kc_certificates,
)
from chalicelib.intake.dates import parse_date
from chalicelib.intake.fields import LIST_FIELDS, TEXT_FIELDS
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.raw import RawRecord, RawValue
from chalicelib.intake.rows import ParsedRow, Problem
from chalicelib.notices.model import Hazard, NoticeContent, NoticeKind
from chalicelib.notices.softening import softening_phrases
from chalicelib.record_size import MAX_RECORD_BYTES, RecordTooLarge, ensure_within

DERIVED_PREFIX = "derived:"

_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_LIST_SEPARATORS = re.compile(r"[\n,;]+")
_SPLIT_LIST = _LIST_SEPARATORS.split
# URLs may contain commas and semicolons: split pictures on whitespace, and on a
# separator only where the next picture URL starts.
_PICTURE_SEPARATORS = re.compile(r"\s+|[,;|](?=\s*https?://)")
_LANGUAGE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]{2,8})?$")

# Every field a notice takes as one cleaned text, None where the row leaves it out: the
# row's texts are cleaned in one pass over its cells (a method call per field was 19
# calls a row, most for fields the row leaves out).
_NO_TEXTS: dict[str, str | None] = dict.fromkeys(
    (*TEXT_FIELDS, "jurisdiction", "language", "kind", "status", "global_watch")
)
# How each list field is split into pieces; a row's lists are split in the same pass as
# its texts are cleaned, and a field the row leaves out is an empty tuple (the model
# validates it into an empty list, as it did the empty list built per field before).
_SPLITTERS: dict[str, Callable[[str], Iterable[str]]] = {
    **dict.fromkeys(LIST_FIELDS, _SPLIT_LIST),
    "pictures": _PICTURE_SEPARATORS.split,
    "barcodes": split_barcodes,
    "kc_certificates": split_kc_certificates,
}
_NO_ITEMS: dict[str, Sequence[str]] = dict.fromkeys(_SPLITTERS, ())
# Splitters whose pieces hold no whitespace and are never empty, which clean_text
# returns unchanged: a cell's pieces skip it (two calls a row for the barcodes).
_CLEAN_PIECES = frozenset({split_barcodes, split_kc_certificates})

_WITHDRAWN_VALUES = frozenset({"withdrawn", "withdrawal", "철회", "true", "yes", "y", "1"})
_ACTIVE_VALUES = frozenset({"active", "amended", "false", "no", "n", "0"})
_TRUE_VALUES = frozenset({"true", "yes", "y", "1", "global", "예"})
_FALSE_VALUES = frozenset({"false", "no", "n", "0", "아니오"})
_ORDER_MARKERS = ("명령",)  # 리콜명령, 수거등의 명령
_NOTICE_MARKERS = ("권고", "자진", "자발")  # 리콜권고, 자진리콜, 자발적 리콜

# What a buyer recall notice shows of the regulator's own text (chalicelib/notification).
_RECALL_NOTICE_FIELDS = (
    "product_name",
    "product_description",
    "hazard_types",
    "hazard_description",
    "risk_level",
    "remedy",
    "consumer_contact",
)

# List fields whose cells a regulator's file repeats from row to row (a few hazard types,
# measures and platforms): each distinct cell is split once per file (``CellMemo``).
# The fields naming one product (models, barcodes, batches, pictures ...) are left out:
# their cells rarely repeat, and remembering each would cost more than it saves.
_REPEATED_LISTS = ("hazard_types", "measures", "target_platforms")

# Model paths back to the canonical field names the regulator wrote.
_FIELD_OF_MODEL_PATH = {
    ("product", "name"): "product_name",
    ("product", "description"): "product_description",
    ("product", "suspect_barcodes"): "barcodes",
    ("hazard", "types"): "hazard_types",
    ("hazard", "description"): "hazard_description",
    ("hazard", "risk_level"): "risk_level",
    ("withdrawn",): "status",
}


class CellMemo:
    """What the cells one file repeats come to, each distinct cell worked out once:
    the pieces of a list cell in ``_REPEATED_LISTS``, the softening phrases of a
    recall-notice text (the cue search of a row's texts was a tenth of its parse) and
    the validated hazard of a row whose hazard cells an earlier row had.
    One per file, dropped with it: it holds no more than the file's distinct cells."""

    __slots__ = ("hazards", "pieces", "softening")

    def __init__(self) -> None:
        # Tuples: one value is shared by every row with the cell, so none may change it.
        self.pieces: dict[str, dict[str, tuple[str, ...]]] = {name: {} for name in _REPEATED_LISTS}
        self.softening: dict[str, list[str]] = {}
        # Hazard is frozen and its notices only read it, so its rows share one.
        self.hazards: dict[tuple[tuple[str, ...], str | None, str | None], Hazard] = {}


def normalise_record(
    raw: RawRecord,
    *,
    limits: IntakeLimits,
    defaults: RegulatorDefaults,
    memo: CellMemo | None = None,
) -> ParsedRow:
    """Validate and normalise one record; the row carries content or errors, never both.
    The rows of one file share a ``memo``; the outcome is the same without one."""
    cell_problems, cell_text = _measured_cells(raw.fields, limits.max_cell_chars)
    if raw.problems or cell_problems:
        return ParsedRow(raw.row, raw.locator, errors=[*raw.problems, *cell_problems])
    normaliser = _RowNormaliser(raw.fields, defaults, memo or CellMemo())
    data = normaliser.notice_data()
    content, errors = (None, normaliser.errors) if normaliser.errors else _validated(data)
    if content is not None and (
        stored_bytes_bound(cell_text + _default_text(defaults)) > MAX_RECORD_BYTES
    ):
        errors = _oversized_notice(content)
        if errors:
            content = None
    # Built once, whole: a row is built per record of every file.
    return ParsedRow(raw.row, raw.locator, content, errors, normaliser.warnings)


def stored_bytes_bound(source_text: int) -> int:
    """At least the bytes a notice takes stored (its content as JSON) when the cells and
    defaults it was made from hold ``source_text`` characters and strings in all.

    With it nearly every row skips serialising its notice only to measure it. It holds
    because every string of a notice is a cell's text or a default cleaned, split,
    joined or case-changed, or a value counted in ``_FIXED_BYTES``: cleaning and
    splitting never lengthen a text; joining a list's strings adds a line break per
    string; ``upper()`` and ``lower()`` make at most 3 characters of one; JSON takes at
    most 6 bytes for a character (a \\u escape of a control character; UTF-8 takes at
    most 4); and each string of the notice, which a source character or string of its
    own starts, adds at most 3 bytes (quotes and a comma)."""
    return _FIXED_BYTES + (3 * 6 + 3) * source_text


# The notice's keys and punctuation, and the values that come from no cell (a derived
# reference, the kind, a date, true or false, two-letter codes), as JSON: 599 bytes with
# every text null and every list empty (a test measures it), rounded up.
_FIXED_BYTES = 1_000


_ONLY_STRINGS = frozenset({str})


def _measured_cells(fields: dict[str, RawValue], max_chars: int) -> tuple[list[Problem], int]:
    """Problems for cells over ``max_chars``, and the characters plus strings of all
    cells (a date as its ISO text, which is what a notice can hold of it)."""
    values = fields.values()
    if _ONLY_STRINGS.issuperset(map(type, values)):
        # Every cell a string (every CSV row): counted at C level, and a cell can only
        # pass the limit when all of them together do.
        text = sum(map(len, cast("Iterable[str]", values)))  # the test above narrows them
        if text <= max_chars:
            return [], text + len(values)
    problems = []
    text = 0
    for name, value in fields.items():
        if isinstance(value, str):  # most cells: no list to build
            longest = len(value)
            text += longest + 1
        else:
            lengths = [len(string) for string in _strings(value)]
            longest = max(lengths, default=0)
            text += sum(lengths) + len(lengths)
        if longest > max_chars:
            problems.append(
                Problem(
                    name, "cell_too_long", f"{name} has {longest} characters; limit is {max_chars}"
                )
            )
    return problems, text


def _default_text(defaults: RegulatorDefaults) -> int:
    """The characters plus strings of what a notice may take from the defaults."""
    platforms = defaults.target_platforms
    return len(defaults.language or "") + 1 + sum(map(len, platforms)) + len(platforms)


def _oversized_notice(content: NoticeContent) -> list[Problem]:
    """Cells within their limit can still add up to more than one record may hold."""
    stored_bytes = len(content.__pydantic_serializer__.to_json(content))
    if stored_bytes <= MAX_RECORD_BYTES:
        # Nearly every notice: skip dumping the content as a dict, which only serves to
        # name the largest field of one that is too large.
        return []
    try:
        ensure_within("the notice", content.model_dump(mode="json"), stored_bytes)
    except RecordTooLarge as too_large:
        field = _field_of(too_large.field)
        return [
            Problem(
                field,
                "notice_too_large",
                f"the notice takes {too_large.size:,} bytes stored; the limit for one notice "
                f"is {too_large.limit:,} bytes ({field}, its largest field, takes "
                f"{too_large.field_size:,}): shorten it or split the notice",
            )
        ]
    return []


def derived_reference(
    name: str | None, brand: str | None, models: list[str], barcodes: list[str]
) -> str:
    """A stable reference for a row that has none: the same product always derives the same."""
    parts = (name or "", brand or "", "|".join(models), "|".join(barcodes))
    digest = hashlib.sha256("\x1f".join(parts).casefold().encode("utf-8")).hexdigest()
    return f"{DERIVED_PREFIX}{digest[:20]}"


def clean_text(text: str) -> str | None:
    """Trim, collapse runs of spaces/tabs (keeping line breaks), None when nothing is left."""
    if text.isprintable() and "  " not in text:
        # Most cells: no whitespace but single spaces (every other whitespace character
        # is unprintable), so there is nothing to collapse.
        return text.strip() or None
    if "\n" not in text and "\r" not in text:
        # One line: the same result without splitting into lines.
        return _HORIZONTAL_SPACE.sub(" ", text).strip() or None
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in unified.split("\n"))
    cleaned = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return cleaned or None


def _validated(data: dict[str, Any]) -> tuple[NoticeContent | None, list[Problem]]:
    """The model built from ``data``, or the model's objections located by field."""
    try:
        # The model's core validator itself: model_validate's Python wrapper around it
        # costs a tenth of the validation of a typical row.
        return NoticeContent.__pydantic_validator__.validate_python(data), []
    except ValidationError as invalid:
        return None, [
            Problem(_field_of(error["loc"]), "invalid_value", error["msg"])
            for error in invalid.errors()
        ]


def _field_of(loc: tuple[int | str, ...]) -> str:
    path = tuple(part for part in loc if isinstance(part, str))
    return _FIELD_OF_MODEL_PATH.get(path) or (path[-1] if path else "row")


def _strings(value: RawValue) -> list[str]:
    if value is None:
        return []
    if isinstance(value, date):
        return [_date_text(value)]
    if isinstance(value, str):
        return [value]
    return list(value)


def _date_text(value: date) -> str:
    if isinstance(value, datetime) and value.time() != time(0, 0):
        return value.isoformat()
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _cleaned_cells(
    fields: dict[str, RawValue], memo: CellMemo | None = None
) -> tuple[dict[str, str | None], dict[str, Sequence[str]]]:
    """The cleaned text of every field in ``_NO_TEXTS`` and the pieces of every field in
    ``_SPLITTERS``, in one pass over the row's cells; a name in neither raises KeyError
    when looked up, so a field left out of them cannot silently read as empty."""
    texts = _NO_TEXTS.copy()
    items = _NO_ITEMS.copy()
    remembered = (memo or CellMemo()).pieces
    for name, value in fields.items():
        # Most fields of a row are absent or one string: no list to build and join.
        if value is None:
            continue
        if name in texts:
            if not isinstance(value, str):
                texts[name] = clean_text("\n".join(_strings(value)))
            elif value.isprintable() and "  " not in value:
                texts[name] = value.strip() or None  # clean_text's first case, inline
            else:
                texts[name] = clean_text(value)
        elif name in items:
            known = remembered.get(name)
            if known is None or not isinstance(value, str):
                items[name] = _cell_pieces(value, _SPLITTERS[name])
            else:
                pieces = known.get(value)
                if pieces is None:
                    pieces = known[value] = tuple(_cell_pieces(value, _SPLITTERS[name]))
                items[name] = pieces
    return texts, items


def _cell_pieces(value: RawValue, splitter: Callable[[str], Iterable[str]]) -> list[str]:
    """The pieces of a present list cell."""
    if (
        splitter is _SPLIT_LIST
        and isinstance(value, str)
        and "," not in value  # none of _SPLIT_LIST's separators, tested inline:
        and ";" not in value  # this runs for most list cells of every row
        and "\n" not in value
    ):
        cleaned = clean_text(value)  # one piece: nothing to split or de-duplicate
        return [cleaned] if cleaned else []
    return _pieces(value, splitter)


def _pieces(value: RawValue, splitter: Callable[[str], Iterable[str]]) -> list[str]:
    """The distinct cleaned pieces of a present list field, in order."""
    if splitter in _CLEAN_PIECES and isinstance(value, str):
        return _unique(splitter(value))  # a new list of cleaned pieces already
    texts = [value] if isinstance(value, str) else _strings(value)
    # A plain loop: in a comprehension Python 3.11 builds a frame per call, and this
    # runs for every list field of every row.
    pieces = []
    for text in texts:
        for piece in splitter(text):
            if piece and (cleaned := clean_text(piece)):
                pieces.append(cleaned)
    return _unique(pieces)


def _identifies_a_product(product: dict[str, Any]) -> bool:
    # Spelled out rather than any() over the keys: no generator to build for every row.
    return bool(
        product["name"]
        or product["models"]
        or product["barcodes"]
        or product["suspect_barcodes"]
        or product["kc_certificates"]
    )


def _unique(items: list[str]) -> list[str]:
    """Drop repeats (ignoring case), keeping the first spelling and the order."""
    count = len(items)
    if count < 2 or (count == 2 and items[0].casefold() != items[1].casefold()):
        return items  # most lists: one or two pieces (two barcodes, two platforms)
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(item.casefold(), item)
    return list(seen.values())


class _RowNormaliser:
    def __init__(
        self, fields: dict[str, RawValue], defaults: RegulatorDefaults, memo: CellMemo
    ) -> None:
        self._fields = fields
        self._defaults = defaults
        self._memo = memo
        self._texts, self._items = _cleaned_cells(fields, memo)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def notice_data(self) -> dict[str, Any]:
        product = self._product()
        jurisdiction = self._jurisdiction()
        self._warn_softening()
        return {
            "source_reference": self._source_reference(product),
            "kind": self._kind(),
            "issued_on": self._issued_on(),
            "jurisdiction": jurisdiction,
            "language": self._language(jurisdiction),
            "title": self._texts["title"],
            "product": product,
            "hazard": self._hazard(),
            "measures": self._items["measures"],
            "remedy": self._texts["remedy"],
            "consumer_contact": self._texts["consumer_contact"],
            "target_platforms": list(
                map(str.lower, self._items["target_platforms"] or self._defaults.target_platforms)
            ),
            "source_url": self._texts["source_url"],
            "withdrawn": self._withdrawn(),
            "global_watch": self._global_watch(),
        }

    def _warn_softening(self) -> None:
        """Wording a buyer recall notice must not carry (GPSR Art. 36): the notice shows
        the regulator's text as written, so the regulator hears it here, per field."""
        known = self._memo.softening
        for field in _RECALL_NOTICE_FIELDS:
            value = self._fields.get(field)
            if value is None:  # most of these fields in most rows
                continue
            if isinstance(value, str):  # a cell: no list of texts to build
                phrases = known.get(value)
                if phrases is None:  # a text the file has not had before
                    phrases = known[value] = softening_phrases(value)
            else:
                phrases = [phrase for text in _strings(value) for phrase in softening_phrases(text)]
            if phrases:
                quoted = ", ".join(repr(phrase) for phrase in dict.fromkeys(phrases))
                self._warn(
                    field,
                    "softening_wording",
                    f"{quoted} softens the hazard, which a buyer recall notice must not do "
                    "(GPSR Art. 36: no 'voluntary', 'precautionary', 'in rare situations', "
                    "'no reported accidents'); buyers are shown this text as written: "
                    "state the hazard plainly",
                )

    def _hazard(self) -> Hazard | dict[str, Any]:
        """The row's hazard: validated once per file for each set of cells (as the
        notice's validator would: it takes a Hazard as it is), or a dict for the
        notice's validator when its types are not a cell the file repeats."""
        types = self._items["hazard_types"]
        description = self._texts["hazard_description"]
        risk_level = self._texts["risk_level"]
        if not isinstance(types, tuple):  # a list value (JSON's), which the memo skips
            return {"types": types, "description": description, "risk_level": risk_level}
        known = self._memo.hazards
        key = (types, description, risk_level)
        hazard = known.get(key)
        if hazard is None:
            # Cannot fail: every field takes any text, None or list of texts it is given.
            hazard = known[key] = Hazard.__pydantic_validator__.validate_python(
                {"types": types, "description": description, "risk_level": risk_level}
            )
        return hazard

    # -- product ---------------------------------------------------------------

    def _product(self) -> dict[str, Any]:
        barcodes, suspect = self._barcodes()
        product = {
            "name": self._texts["product_name"],
            "description": self._texts["product_description"],
            "brand": self._texts["brand"],
            "manufacturer": self._texts["manufacturer"],
            "models": self._items["models"],
            "barcodes": barcodes,
            "suspect_barcodes": suspect,
            "batch_numbers": self._items["batch_numbers"],
            "company_recall_code": self._texts["company_recall_code"],
            "production_dates": self._items["production_dates"],
            "kc_certificates": self._kc_certificates(),
            "category": self._texts["category"],
            "country_of_origin": self._texts["country_of_origin"],
            "pictures": self._items["pictures"],
        }
        if not _identifies_a_product(product):
            self._error(
                "product_name",
                "product_unidentified",
                "the row does not identify a product: give at least a product name, "
                "model, barcode or KC certificate number",
            )
        return product

    def _barcodes(self) -> tuple[list[str], list[str]]:
        valid: list[str] = []
        suspect: list[str] = []
        for code in self._items["barcodes"]:
            issue = gtin_issue(code)
            if issue is None:
                valid.append(code)
            else:
                suspect.append(code)
                self._warn("barcodes", issue.code, issue.message)
        return valid, suspect

    def _kc_certificates(self) -> Sequence[str]:
        numbers = self._items["kc_certificates"]
        for number in numbers:
            issue = kc_certificate_issue(number)
            if issue:
                self._warn("kc_certificates", issue.code, issue.message)
        return numbers

    def _source_reference(self, product: dict[str, Any]) -> str | None:
        reference = self._texts["source_reference"]
        if reference or self.errors:
            return reference
        derived = derived_reference(
            product["name"],
            product["brand"],
            product["models"],
            product["barcodes"] + product["suspect_barcodes"],
        )
        self._warn(
            "source_reference",
            "source_reference_derived",
            f"no source reference given; derived {derived} from the product identification",
        )
        return derived

    # -- notice ----------------------------------------------------------------

    def _jurisdiction(self) -> str | None:
        written = self._texts["jurisdiction"]
        value = written or self._defaults.jurisdiction
        if value is None:
            self._error(
                "jurisdiction",
                "jurisdiction_missing",
                "no jurisdiction: add a jurisdiction column or configure the regulator's default",
            )
            return None
        code = jurisdiction_code(value)
        if code is None:
            self._error(
                "jurisdiction",
                "jurisdiction_invalid",
                f"{value!r} is not an ISO 3166-1 alpha-2 country code (or EU)",
            )
        return code

    def _language(self, jurisdiction: str | None) -> str | None:
        written = self._texts["language"]
        if written:
            match = _LANGUAGE.match(written.lower())
            if match:
                return match.group(1)
            self._warn(
                "language", "language_invalid", f"{written!r} is not an ISO 639-1 code; ignored"
            )
        if self._defaults.language:
            return self._defaults.language
        return default_language(jurisdiction) if jurisdiction else None

    def _issued_on(self) -> date | None:
        value = self._fields.get("issued_on")
        if isinstance(value, list):
            value = "\n".join(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        parsed = parse_date(value)
        if parsed is None:
            written = value if isinstance(value, str) else _date_text(value)  # an Excel date
            self._warn(
                "issued_on",
                "date_unreadable",
                f"issue date {written!r} is not a date we can read (use YYYY-MM-DD); left empty",
            )
        return parsed

    def _kind(self) -> NoticeKind:
        value = (self._texts["kind"] or "").casefold()
        # The plain words first: no marker can be inside them, and most rows use them.
        if value in {"", "notice"}:
            return NoticeKind.NOTICE
        if value == "order":
            return NoticeKind.ORDER
        if any(marker in value for marker in _NOTICE_MARKERS):
            return NoticeKind.NOTICE
        if any(marker in value for marker in _ORDER_MARKERS):
            return NoticeKind.ORDER
        self._warn(
            "kind", "kind_unknown", f"kind {value!r} is neither order nor notice; taken as notice"
        )
        return NoticeKind.NOTICE

    def _withdrawn(self) -> bool:
        value = (self._texts["status"] or "").casefold()
        if value in _WITHDRAWN_VALUES or "철회" in value:
            return True
        if value and value not in _ACTIVE_VALUES:
            self._warn(
                "status",
                "status_unknown",
                f"status {value!r} is not active or withdrawn; taken as active",
            )
        return False

    def _global_watch(self) -> bool:
        value = (self._texts["global_watch"] or "").casefold()
        if value in _TRUE_VALUES:
            return True
        if value and value not in _FALSE_VALUES:
            self._warn(
                "global_watch",
                "global_watch_unknown",
                f"global_watch {value!r} is not true or false (yes/no, 1/0); taken as false",
            )
        return False

    # -- value helpers -----------------------------------------------------------

    def _warn(self, field: str, code: str, message: str) -> None:
        self.warnings.append(Problem(field, code, message))

    def _error(self, field: str, code: str, message: str) -> None:
        self.errors.append(Problem(field, code, message))
