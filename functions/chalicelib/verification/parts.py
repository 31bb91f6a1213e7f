"""Reading one part of a catalogue snapshot (JSON Lines, CSV, TSV or Parquet, optionally
gzip) into listings.

Google Merchant Center product-data field names (``id``, ``title``, ``description``,
``link``, ``image_link``, ``brand``, ``gtin``, ``mpn``, ``availability``, ``condition``,
``price``) plus ``seller_id``, ``kc_certificate`` and ``listed_at`` (ISO 8601 with a
zone). A row that cannot be read is counted and described (which row, which field,
why), never fatal: the rest of the part is read.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from chalicelib.matching import CatalogueListing
from chalicelib.verification.snapshots import PartFormat, part_format

REQUIRED_FIELDS = ("id", "title")
# Merchant Center field -> CatalogueListing attribute (id is the listing's id).
OPTIONAL_FIELDS = {
    "seller_id": "seller_id",
    "brand": "brand",
    "gtin": "gtin",
    "mpn": "mpn",
    "kc_certificate": "kc_certificate",
    "link": "link",
    "image_link": "image_link",
    "availability": "availability",
    "condition": "condition",
    "price": "price",
    "description": "description",
}
# Every column a row is read from; Parquet parts read only these.
KNOWN_FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS, "listed_at")
MAX_VALUE_CHARS = 10_000
# Parquet rows decoded at a time: memory holds one batch of Arrow data, not the part's.
PARQUET_BATCH_ROWS = 10_000
# How many bad rows a part's report describes (all of them are counted).
MAX_DESCRIBED = 20


@dataclass(frozen=True)
class BadRow:
    row: int  # 1-based data row (a CSV header is row 0)
    field: str | None
    reason: str


@dataclass
class PartReading:
    """What one part held: its listings, how many data rows, and the bad ones."""

    name: str
    listings: list[CatalogueListing] = field(default_factory=list)
    rows: int = 0
    bad_rows: int = 0
    problems: list[BadRow] = field(default_factory=list)
    unreadable: str | None = None  # the whole part could not be read, and why

    def reject(self, row: int, field_name: str | None, reason: str) -> None:
        self.bad_rows += 1
        if len(self.problems) < MAX_DESCRIBED:
            self.problems.append(BadRow(row, field_name, reason))


class UnreadablePart(Exception):
    """The part's container cannot be read (not one row, the whole file)."""


class RowError(ValueError):
    def __init__(self, field_name: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


def read_part(name: str, data: bytes) -> PartReading:
    """Every row of the part ``name`` (its format and compression from the name)."""
    reading = PartReading(name)
    found, gzipped = part_format(name)
    try:
        raw = gzip.decompress(data) if gzipped else data
        for number, row in enumerate(_rows(found, raw), start=1):
            reading.rows = number
            _add(reading, number, row)
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, UnreadablePart) as exc:
        # Not one row but the container (gzip, the encoding, Parquet's pages) is broken.
        reading.unreadable = f"{type(exc).__name__}: {exc}"[:500]
    return reading


def _add(reading: PartReading, number: int, row: Any) -> None:
    try:
        reading.listings.append(listing_of(row))
    except RowError as exc:
        reading.reject(number, exc.field, exc.reason)


def _rows(found: PartFormat, raw: bytes) -> Iterator[Any]:
    if found is PartFormat.PARQUET:
        return _parquet(raw)
    if found is PartFormat.JSON_LINES:
        return _json_lines(raw)
    return _delimited(raw, "\t" if found is PartFormat.TSV else ",")


class _BadLine:
    def __init__(self, reason: str, field_name: str | None = None) -> None:
        self.reason = reason
        self.field = field_name


def _json_lines(raw: bytes) -> Iterator[Any]:
    for line in raw.decode("utf-8-sig").splitlines():
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as exc:
            yield _BadLine(f"not JSON: {exc.msg} at column {exc.colno}")


def _delimited(raw: bytes, delimiter: str) -> Iterator[Any]:
    reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    missing = [name for name in REQUIRED_FIELDS if name not in (reader.fieldnames or [])]
    for row in reader:
        if missing:
            yield _BadLine(f"the header has no {', '.join(missing)} column")
        elif None in row:
            yield _BadLine("more cells than the header has columns")
        else:
            yield {key: value for key, value in row.items() if value not in ("", None)}


def _parquet(raw: bytes) -> Iterator[Any]:
    """Each row as a dict of its known columns, decoded one batch of rows at a time."""
    # Imported here so that only an audit step given a Parquet part loads Arrow; every
    # other function's cold start stays as it was.
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(pa.BufferReader(raw))
        names = parquet.schema_arrow.names
        missing = [name for name in REQUIRED_FIELDS if name not in names]
        if missing:
            bad = _BadLine(f"the file has no {', '.join(missing)} column")
            yield from itertools.repeat(bad, parquet.metadata.num_rows)
            return
        columns = [name for name in names if name in KNOWN_FIELDS]
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            yield from _batch_rows(batch)
    except pa.ArrowException as exc:
        raise UnreadablePart(f"not readable as Parquet: {type(exc).__name__}: {exc}") from exc


def _batch_rows(batch: Any) -> list[Any]:
    try:
        rows: list[Any] = batch.to_pylist()
    except (ValueError, OverflowError):
        # A value Python cannot hold (a timestamp beyond year 9999): only its row is bad.
        rows = [_one_row(batch.slice(number, 1)) for number in range(batch.num_rows)]
    return rows


def _one_row(row: Any) -> Any:
    values = {}
    for name, column in zip(row.schema.names, row.columns, strict=True):
        try:
            values[name] = column[0].as_py()
        except (ValueError, OverflowError) as exc:
            return _BadLine(f"cannot be read: {exc}", name)
    return values


def listing_of(row: Any) -> CatalogueListing:
    """One row as a listing; RowError names the field and why it is refused."""
    if isinstance(row, _BadLine):
        raise RowError(row.field, row.reason)
    if not isinstance(row, Mapping):
        raise RowError(None, "not an object")
    values = {name: _text(row, name) for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)}
    for name in REQUIRED_FIELDS:
        if not values[name]:
            raise RowError(name, "is required")
    listed_at = _moment(row.get("listed_at"))
    optional = {attribute: values[name] for name, attribute in OPTIONAL_FIELDS.items()}
    return CatalogueListing(
        listing_id=str(values["id"]),
        title=str(values["title"]),
        listed_at=listed_at,
        **optional,
    )


def _text(row: Mapping[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None:
        return None
    if isinstance(value, bytes):
        # A Parquet string column some writers leave without its UTF-8 annotation.
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RowError(name, "must be UTF-8 text") from exc
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise RowError(name, "must be text")
    text = str(value).strip()
    if len(text) > MAX_VALUE_CHARS:
        raise RowError(name, f"is longer than {MAX_VALUE_CHARS} characters")
    return text or None


def _moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise RowError("listed_at", "must be ISO 8601, e.g. 2026-11-23T09:30:00Z") from exc
    else:
        raise RowError("listed_at", "must be ISO 8601 text")
    if moment.tzinfo is None:
        raise RowError("listed_at", "must carry a time zone (Z or +hh:mm)")
    return moment
