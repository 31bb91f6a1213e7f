"""Large lists of affected parties as a file (CSV or JSONL, optionally gzip) that a
platform uploads through a presigned URL: read row by row and taken through the same
path as a JSON batch (``accept_batch``, in batches of the same size), with a result per
row (its number, the field and why) instead of a JSON pointer.

A file that cannot be read as a whole (not UTF-8, not gzip, no header, an unknown
column, too many rows, a line too long, no rows) fails before anything of it is stored:
the file is read twice, once to check it and once to take it.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import secrets
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any, cast

from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState
from chalicelib.notification.batches import (
    BatchOutcome,
    NotifiesItself,
    accept_batch,
    record_received,
)
from chalicelib.notification.recipients import MAX_PARTIES, BuyerIn, SellerIn
from chalicelib.notification.services import NotificationServices
from chalicelib.notification.upload_model import (
    RowError,
    Upload,
    UploadFormat,
    UploadResult,
    UploadStatus,
)

# The longest line (a CSV line, a JSONL object): no recipient needs more.
MAX_LINE_CHARS = 64 * 1024
# The row errors a result keeps; the rest are counted (``errors_total``).
MAX_ROW_ERRORS = 1000
# A seller's listing ids in one CSV cell.
LISTING_SEPARATOR = "|"
# The CSV columns: the JSON recipients' field names (a buyer's and a seller's).
COLUMNS = tuple(dict.fromkeys([*BuyerIn.model_fields, *SellerIn.model_fields]))


class BadFile(ValueError):
    """The file cannot be read as a whole; nothing of it is taken."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def new_attempt() -> str:
    return secrets.token_hex(8)


# -- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    number: int
    party: str  # "sellers" or "buyers": where it goes in a batch body
    fields: dict[str, Any]


@dataclass(frozen=True)
class RefusedRow:
    number: int
    error: RowError


def read_rows(
    opened: IO[bytes], file_format: UploadFormat, compressed: bool, max_rows: int
) -> Iterator[Row | RefusedRow]:
    """Each row of the file, or why the row is refused; ``BadFile`` for the file."""
    binary = cast(IO[bytes], gzip.GzipFile(fileobj=opened, mode="rb")) if compressed else opened
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")
    lines = _lines(text)
    rows = _csv_rows(lines) if file_format is UploadFormat.CSV else _jsonl_rows(lines)
    count = 0
    try:
        for row in rows:
            count += 1
            if count > max_rows:
                raise BadFile("too_many_rows", f"more than {max_rows} rows: send several files")
            yield row
    except UnicodeDecodeError as exc:
        raise BadFile("not_utf8", f"not UTF-8 text (after {count} rows): {exc.reason}") from exc
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise BadFile("not_gzip", f"not a complete gzip file: {exc}") from exc
    except csv.Error as exc:
        raise BadFile("not_csv", f"not CSV (after {count} rows): {exc}") from exc
    if count == 0:
        raise BadFile("empty_file", "the file holds no rows")


def _lines(text: io.TextIOWrapper) -> Iterator[str]:
    while True:
        line = text.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) > MAX_LINE_CHARS:
            raise BadFile("line_too_long", f"a line is longer than {MAX_LINE_CHARS} characters")
        yield line


def _csv_rows(lines: Iterator[str]) -> Iterator[Row | RefusedRow]:
    reader = csv.reader(lines)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    _check_header(header)
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        if len(cells) > len(header):
            yield _refused(number, None, f"{len(cells)} cells for {len(header)} columns", "cells")
            continue
        values: dict[str, Any] = {
            name: cell for name, cell in zip(header, cells, strict=False) if cell.strip()
        }
        if "listing_ids" in values:
            values["listing_ids"] = [
                part.strip()
                for part in values["listing_ids"].split(LISTING_SEPARATOR)
                if part.strip()
            ]
        yield _row(number, values)


def _check_header(header: list[str]) -> None:
    known = [name for name in header if name in COLUMNS]
    if "buyer_ref" not in known and "seller_id" not in known:
        raise BadFile(
            "missing_header",
            "the first line must name the columns, buyer_ref or seller_id among them "
            f"(columns: {', '.join(COLUMNS)})",
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise BadFile("unknown_column", f"unknown columns: {', '.join(unknown)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise BadFile("repeated_column", f"columns named twice: {', '.join(repeated)}")


def _jsonl_rows(lines: Iterator[str]) -> Iterator[Row | RefusedRow]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _refused(number, None, f"not JSON: {exc.msg}", "not_json")
            continue
        if not isinstance(value, dict):
            yield _refused(number, None, "not a JSON object", "not_an_object")
            continue
        yield _row(number, value)


def _row(number: int, values: dict[str, Any]) -> Row | RefusedRow:
    """A buyer (``buyer_ref``) or a seller (``seller_id``), never both."""
    if "seller_id" in values and "buyer_ref" in values:
        return _refused(
            number, None, "a buyer (buyer_ref) or a seller (seller_id), not both", "party"
        )
    if "seller_id" in values:
        return Row(number, "sellers", values)
    if "buyer_ref" in values:
        return Row(number, "buyers", values)
    return _refused(number, None, "give buyer_ref (a buyer) or seller_id (a seller)", "party")


def _refused(number: int, field_name: str | None, reason: str, code: str) -> RefusedRow:
    return RefusedRow(number, RowError(row=number, field=field_name, reason=reason, code=code))


# -- taking ----------------------------------------------------------------------------


@dataclass
class _Tally:
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("rows", "queued", "duplicates", "excluded_by_lookback", "refused"), 0
        )
    )
    errors: list[RowError] = field(default_factory=list)
    errors_total: int = 0

    def refuse(self, errors: list[RowError]) -> None:
        """One row refused, for each of its reasons."""
        self.counts["refused"] += 1
        self.errors_total += len(errors)
        self.errors.extend(errors[: MAX_ROW_ERRORS - len(self.errors)])


_POINTER = re.compile(r"/(sellers|buyers)/([0-9]+)(?:/(.*))?")


def take_upload(
    dispatch: Dispatch,
    upload: Upload,
    open_file: Callable[[], IO[bytes]],
    max_rows: int,
    now: datetime,
    services: NotificationServices,
) -> UploadResult:
    """Check the whole file, then take its rows in batches through ``accept_batch``
    (``NotifiesItself`` when the agreement has the platform notify itself)."""
    try:
        for _ in read_rows(open_file(), upload.format, upload.gzip, max_rows):
            pass
    except BadFile as bad:
        return _failed(bad.code, bad.detail)
    tally = _Tally()
    batch: dict[str, list[Row]] = {"sellers": [], "buyers": []}
    for row in read_rows(open_file(), upload.format, upload.gzip, max_rows):
        tally.counts["rows"] += 1
        if isinstance(row, RefusedRow):
            tally.refuse([row.error])
            continue
        batch[row.party].append(row)
        if len(batch[row.party]) == MAX_PARTIES:
            _take(dispatch, batch, False, now, services, tally)
            batch = {"sellers": [], "buyers": []}
    _take(dispatch, batch, upload.final, now, services, tally)
    errors = sorted(tally.errors, key=lambda error: error.row)
    return UploadResult(counts=tally.counts, errors=errors, errors_total=tally.errors_total)


def _take(
    dispatch: Dispatch,
    batch: dict[str, list[Row]],
    final: bool,
    now: datetime,
    services: NotificationServices,
    tally: _Tally,
) -> None:
    body: dict[str, Any] = {party: [row.fields for row in rows] for party, rows in batch.items()}
    if final:
        body["final"] = True
    elif not any(batch.values()):
        return
    outcome: BatchOutcome = accept_batch(dispatch, body, now, services)
    tally.counts["queued"] += outcome.queued
    tally.counts["duplicates"] += outcome.duplicates
    tally.counts["excluded_by_lookback"] += outcome.excluded_by_lookback
    refused: dict[int, list[RowError]] = {}
    for problem in outcome.problems:
        matched = _POINTER.fullmatch(problem.pointer)
        assert matched is not None  # check_parties points into sellers or buyers
        row = batch[matched.group(1)][int(matched.group(2))]
        error = RowError(
            row=row.number, field=matched.group(3), reason=problem.detail, code=problem.code
        )
        refused.setdefault(row.number, []).append(error)
    for number in sorted(refused):
        tally.refuse(refused[number])


# -- processing ------------------------------------------------------------------------

# How long one processing holds an upload: the upload function's timeout. A processing
# that died (its message comes back after the queue's visibility timeout, which is
# longer) finds the hold lapsed and starts over; recipients stored by the dead one are
# then counted as duplicates, and nobody is told twice.
UPLOAD_HOLD = timedelta(minutes=15)


def process_upload(
    notice_id: str,
    platform_id: str,
    upload_id: str,
    max_rows: int,
    clock: Callable[[], datetime],
    services: NotificationServices,
) -> Upload | None:
    """Take an uploaded file once: None when it was never announced, or when another
    processing holds or finished it (a repeated S3 event)."""
    now = clock()
    store = services.recipients
    upload = store.get_upload(notice_id, platform_id, upload_id)
    if upload is None:
        return None
    attempt = new_attempt()
    if not store.claim_upload(upload, attempt, now, now + UPLOAD_HOLD):
        return None
    result = _result(upload, lambda: services.uploads.open_upload(upload), max_rows, now, services)
    if result.error is None:
        ref = DispatchRef(notice_id, upload.version, platform_id)
        counts = {**result.counts, "format": upload.format.value, "final": upload.final}
        record_received(ref, upload_id, counts, now, f"platform:{platform_id}", services)
    services.uploads.put_result(upload, result)
    finished = upload.model_copy(
        update={
            "status": UploadStatus.FAILED if result.error else UploadStatus.COMPLETED,
            "started_at": now,
            "finished_at": clock(),
            "attempt": attempt,
            "counts": {**result.counts, "errors_total": result.errors_total},
            "error": result.error,
            "error_code": result.error_code,
        }
    )
    store.finish_upload(finished)
    return finished


def _result(
    upload: Upload,
    open_file: Callable[[], IO[bytes]],
    max_rows: int,
    now: datetime,
    services: NotificationServices,
) -> UploadResult:
    ref = DispatchRef(upload.notice_id, upload.version, upload.platform_id)
    dispatch = services.lifecycle.dispatches.get(ref)
    if dispatch is None or dispatch.withdrawal or dispatch.state is DispatchState.CLOSED:
        return _failed("nothing-owed", f"version {upload.version} was superseded or withdrawn")
    try:
        return take_upload(dispatch, upload, open_file, max_rows, now, services)
    except NotifiesItself as exc:  # the agreement changed since the URL was issued
        return _failed("notifies-itself", str(exc))


def _failed(code: str, detail: str) -> UploadResult:
    return UploadResult(counts={}, errors=[], errors_total=0, error=detail, error_code=code)
