"""The single entry point of intake parsing: one uploaded file → ``ParsedFile``.

Formats: ``csv`` and ``xlsx`` (canonical template, Korean headers, SafetyKorea and
Consumer24 exports), ``json`` (canonical: object, array or JSON Lines), ``cpsc`` (US
CPSC Recall API) and ``safety-gate`` (EU Safety Gate weekly report XML).

Detection looks at the content, never the extension: a ZIP signature means XLSX; text
starting with ``<`` is XML (the reader then requires the Safety Gate root); ``{`` or
``[`` is JSON, CPSC when its objects carry Recall API keys; anything else is CSV. A
format hint (the uploader's ``--format``, or a compound suffix such as
``week12.cpsc.json``) overrides detection.

Whole-file refusals (``ParsedFile.refused``): over ``max_file_bytes`` (checked before
anything else), empty, binary or undecodable, unsafe or broken XML, malformed JSON,
corrupt XLSX, no recognisable header, an unknown format hint, and more records than
``max_rows``. The row limit refuses the whole file rather than the rows past it: a
partial intake would look like success while dropping notices, so the regulator
splits the file instead.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath

from chalicelib.intake.decoding import decode_text
from chalicelib.intake.formats import canonical_json, cpsc, safety_gate, tabular
from chalicelib.intake.formats.common import shortened
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.normalise import CellMemo, normalise_record
from chalicelib.intake.raw import FileRefused, RawFile
from chalicelib.intake.rows import ParsedFile, Problem

logger = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "json", "cpsc", "safety-gate")
_HINT_ALIASES = {
    "jsonl": "json",
    "ndjson": "json",
    "safety_gate": "safety-gate",
    "safetygate": "safety-gate",
}
_EXTENSION_FORMATS = {
    ".csv": ("csv",),
    ".tsv": ("csv",),
    ".txt": ("csv",),
    ".xlsx": ("xlsx",),
    ".json": ("json", "cpsc"),
    ".jsonl": ("json",),
    ".ndjson": ("json",),
    ".xml": ("safety-gate",),
}
# XLSX sheets compress about 5-10x; a workbook expanding further than this relative to
# the byte limit is a zip bomb rather than a list of notices.
_XLSX_EXPANSION = 8
_SNIFF_CHARS = 512

_Reader = Callable[[bytes, IntakeLimits], RawFile]
_READERS: dict[str, _Reader] = {
    "csv": lambda data, _: tabular.read_csv(decode_text(data)),
    "xlsx": lambda data, limits: tabular.read_xlsx(data, limits.max_file_bytes * _XLSX_EXPANSION),
    "json": lambda data, _: canonical_json.read(decode_text(data)),
    "cpsc": lambda data, _: cpsc.read(decode_text(data)),
    "safety-gate": lambda data, _: safety_gate.read(data),
}


def parse_notice_file(
    data: bytes,
    *,
    filename: str,
    format_hint: str | None,
    limits: IntakeLimits,
    defaults: RegulatorDefaults,
) -> ParsedFile:
    """Read, map and validate every record of an uploaded notice file. Never raises."""
    try:
        with _cyclic_collector_paused():
            return _parse(data, filename, format_hint, limits, defaults)
    except Exception:  # a parser bug must cost one file, not the whole intake batch
        logger.exception("intake parser failed on %s", filename)
        return _refused(
            format_hint or "unknown",
            "internal_error",
            "the file could not be processed because of an internal error; it has been logged",
        )


def format_hint_from_name(filename: str) -> str | None:
    """The format a compound suffix names (``x.cpsc.json`` → cpsc), else None."""
    suffixes = PurePosixPath(filename).suffixes
    if len(suffixes) < 2:
        return None
    named = _canonical_hint(suffixes[-2].lstrip("."))
    return named if named in FORMATS else None


def detect_format(data: bytes) -> str:
    """The format of ``data`` judged from its content; raises ``FileRefused`` for binary,
    undecodable and HTML content."""
    if data.startswith(tabular.ZIP_MAGIC):
        return "xlsx"
    text = decode_text(data).lstrip()
    head = text[:_SNIFF_CHARS]
    if head.lower().startswith(("<!doctype html", "<html")):
        raise FileRefused("html", "the file is a web page (HTML), not a notice file")
    if head.startswith("<"):
        return "safety-gate"  # the reader checks the root after parsing safely
    if head.startswith(("{", "[")):
        return "cpsc" if cpsc.looks_like_cpsc(text) else "json"
    return "csv"


def _parse(
    data: bytes,
    filename: str,
    format_hint: str | None,
    limits: IntakeLimits,
    defaults: RegulatorDefaults,
) -> ParsedFile:
    file_format = _canonical_hint(format_hint) or "unknown"
    try:
        _check_size(data, limits)
        hint = _resolved_hint(format_hint, filename)
        file_format = hint or detect_format(data)
        raw = _READERS[file_format](data, limits)
        _check_row_count(raw, limits)
    except FileRefused as refusal:
        return ParsedFile(format=file_format, refused=refusal.problem)
    memo = CellMemo()  # the file's repeated cells, worked out once each
    rows = [
        normalise_record(record, limits=limits, defaults=defaults, memo=memo)
        for record in raw.records
    ]
    warnings = [*raw.warnings, *_file_warnings(raw, filename, file_format, detected=hint is None)]
    return ParsedFile(format=file_format, rows=rows, warnings=warnings)


@contextmanager
def _cyclic_collector_paused() -> Iterator[None]:
    """Reading and normalising a file builds ~25 containers per row that all live until
    the file is done and hold no reference cycles. CPython's cyclic collector rescans
    the whole growing heap each time it grows by a quarter, finding nothing to free:
    about half the parse time of a 10,000-row file. Paused, it scans the new rows once
    when it resumes (a quarter of the parse time now; bench.run counts it). Reference
    counting still frees memory meanwhile; only cycles wait, for one file's parse."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:  # a concurrent parse that saw it disabled leaves it to this one
            # Straight to the oldest generation, where the rows would land after two
            # collections anyway: freezing moves every tracked object out of the young
            # generations and unfreezing puts them all in the oldest, so resuming skips
            # the scan of the new rows (a quarter of the parse time) and the next full
            # collection still sees them, cycles and all.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _check_size(data: bytes, limits: IntakeLimits) -> None:
    if len(data) > limits.max_file_bytes:
        raise FileRefused(
            "file_too_large",
            f"file is {len(data)} bytes; the limit is {limits.max_file_bytes} bytes",
        )
    if not data or data.isspace():  # not data.strip(): no copy of the file
        raise FileRefused("empty_file", "the file is empty")


def _resolved_hint(format_hint: str | None, filename: str) -> str | None:
    if format_hint is None:
        return format_hint_from_name(filename)
    if not _known_hint(format_hint):
        raise FileRefused(
            "unknown_format",
            f"unknown format {format_hint!r}; valid formats are {', '.join(FORMATS)}",
        )
    return _canonical_hint(format_hint)


def _check_row_count(raw: RawFile, limits: IntakeLimits) -> None:
    if len(raw.records) > limits.max_rows:
        raise FileRefused(
            "too_many_rows",
            f"file has {len(raw.records)} rows; limit is {limits.max_rows} "
            "(split it into smaller files)",
        )


def _file_warnings(
    raw: RawFile, filename: str, file_format: str, *, detected: bool
) -> list[Problem]:
    warnings = []
    if raw.unknown_fields:
        names = ", ".join(repr(shortened(name)) for name in raw.unknown_fields)
        warnings.append(
            Problem(
                "file", "unknown_fields", f"ignored fields this exchange does not know: {names}"
            )
        )
    if not raw.records:
        warnings.append(Problem("file", "no_records", "the file holds no notices"))
    extension = PurePosixPath(filename).suffix.lower()
    expected = _EXTENSION_FORMATS.get(extension)
    if detected and expected and file_format not in expected:
        warnings.append(
            Problem(
                "file",
                "extension_mismatch",
                f"{filename!r} ends in {extension} but holds {file_format} content; "
                f"read as {file_format}",
            )
        )
    return warnings


def _known_hint(hint: str) -> bool:
    return _canonical_hint(hint) in FORMATS


def _canonical_hint(hint: str | None) -> str | None:
    if hint is None:
        return None
    cleaned = hint.strip().lower()
    return _HINT_ALIASES.get(cleaned, cleaned)


def _refused(file_format: str, code: str, message: str) -> ParsedFile:
    return ParsedFile(format=file_format, refused=Problem("file", code, message))
