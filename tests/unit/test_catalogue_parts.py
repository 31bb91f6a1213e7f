"""Reading catalogue snapshot parts: every format, gzip, and bad rows counted, not fatal;
and when a manifest makes a snapshot complete. Parquet's types: test_parquet_parts.py."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import ValidationError

from chalicelib.verification.parts import MAX_DESCRIBED, BadRow, read_part
from chalicelib.verification.snapshots import (
    PartFormat,
    SnapshotManifest,
    UnknownPartFormat,
    is_snapshot_id,
    missing_parts,
    new_snapshot_id,
    part_format,
)
from psx.catalogue import CatalogueFileError, part_from_file

ROWS = [
    {"id": "L-1", "title": "키즈블록 KB-100", "brand": "키즈블록", "gtin": "8801234567893",
     "seller_id": "S-1", "availability": "in_stock", "listed_at": "2026-11-30T09:00:00Z"},
    {"id": "L-2", "title": "Wooden train", "price": "12.00 EUR"},
]  # fmt: skip


def _jsonl(rows: Sequence[object]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


def _delimited(rows: list[dict[str, str]], delimiter: str) -> bytes:
    header = ["id", "title", "brand", "gtin", "seller_id", "availability", "listed_at", "price"]
    lines = [delimiter.join(header)]
    lines += [delimiter.join(str(r.get(name, "")) for name in header) for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _parquet(rows: list[dict[str, str]]) -> bytes:
    out = io.BytesIO()
    columns = sorted({name for row in rows for name in row})
    pq.write_table(pa.table({name: [row.get(name) for row in rows] for name in columns}), out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("p.jsonl", _jsonl(ROWS)),
        ("p.ndjson.gz", gzip.compress(_jsonl(ROWS))),
        ("p.csv", _delimited(ROWS, ",")),
        ("p.tsv.gz", gzip.compress(_delimited(ROWS, "\t"))),
        ("p.parquet", _parquet(ROWS)),
        ("p.parquet.gz", gzip.compress(_parquet(ROWS))),
    ],
)
def test_every_format_reads_to_the_same_listings(name: str, data: bytes) -> None:
    reading = read_part(name, data)

    assert (reading.rows, reading.bad_rows, reading.unreadable) == (2, 0, None)
    first, second = reading.listings
    assert (first.listing_id, first.brand, first.gtin, first.seller_id) == (
        "L-1", "키즈블록", "8801234567893", "S-1",
    )  # fmt: skip
    assert first.listed_at == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert (second.listing_id, second.brand, second.price) == ("L-2", None, "12.00 EUR")


def test_bad_rows_are_counted_and_described_and_the_rest_is_read() -> None:
    rows: list[object] = [
        ROWS[0],
        {"title": "no id"},
        {"id": "L-3", "title": "bad time", "listed_at": "yesterday"},
        {"id": "L-4", "title": "local time", "listed_at": "2026-11-30T09:00:00"},
        ["not", "an", "object"],
        {"id": "L-5", "title": {"nested": True}},
        ROWS[1],
    ]
    data = _jsonl(rows) + b"{broken json\n"

    reading = read_part("p.jsonl", data)

    assert [listing.listing_id for listing in reading.listings] == ["L-1", "L-2"]
    assert (reading.rows, reading.bad_rows) == (8, 6)
    assert reading.problems[:5] == [
        BadRow(2, "id", "is required"),
        BadRow(3, "listed_at", "must be ISO 8601, e.g. 2026-11-23T09:30:00Z"),
        BadRow(4, "listed_at", "must carry a time zone (Z or +hh:mm)"),
        BadRow(5, None, "not an object"),
        BadRow(6, "title", "must be text"),
    ]
    assert reading.problems[5].row == 8 and "not JSON" in reading.problems[5].reason


def test_a_csv_without_an_id_column_rejects_every_row() -> None:
    reading = read_part("p.csv", b"sku,title\n1,a\n2,b\n")

    assert (reading.rows, reading.bad_rows, reading.listings) == (2, 2, [])
    assert reading.problems[0].reason == "the header has no id column"


def test_only_the_first_bad_rows_are_described_but_all_are_counted() -> None:
    reading = read_part("p.jsonl", _jsonl([{"title": "x"}] * (MAX_DESCRIBED + 5)))

    assert reading.bad_rows == MAX_DESCRIBED + 5 and len(reading.problems) == MAX_DESCRIBED


def test_a_broken_container_makes_the_part_unreadable_not_the_audit_crash() -> None:
    assert read_part("p.jsonl.gz", b"not gzip").unreadable is not None
    assert read_part("p.csv", b"\xff\xfe not utf-8").unreadable is not None


@pytest.mark.parametrize(
    ("name", "data", "rows"),
    [("a.jsonl", _jsonl(ROWS) + b"\n", 2), ("a.csv.gz", gzip.compress(_delimited(ROWS, ",")), 2),
     ("a.tsv", b"id\ttitle\n", 0), ("a.parquet", _parquet(ROWS), 2),
     ("a.parquet.gz", gzip.compress(_parquet(ROWS)), 2)],
)  # fmt: skip
def test_the_manifest_counts_each_files_data_rows(
    tmp_path: Path, name: str, data: bytes, rows: int
) -> None:
    path = tmp_path / name
    path.write_bytes(data)

    part = part_from_file(path)

    assert (part.name, part.data, part.rows) == (name, data, rows)


def test_a_file_that_is_not_parquet_is_refused_before_upload(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.parquet"
    path.write_bytes(_jsonl(ROWS))

    with pytest.raises(CatalogueFileError, match=r"catalogue\.parquet: .*magic bytes"):
        part_from_file(path)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("a.jsonl", (PartFormat.JSON_LINES, False)), ("A.CSV.GZ", (PartFormat.CSV, True)),
     ("x.tsv", (PartFormat.TSV, False)), ("x.ndjson.gz", (PartFormat.JSON_LINES, True)),
     ("x.parquet", (PartFormat.PARQUET, False)), ("X.Parquet.gz", (PartFormat.PARQUET, True))],
)  # fmt: skip
def test_the_name_says_the_format(name: str, expected: tuple[PartFormat, bool]) -> None:
    assert part_format(name) == expected


def test_an_unknown_format_is_refused_by_name() -> None:
    with pytest.raises(UnknownPartFormat, match=r"x\.xlsx"):
        part_format("x.xlsx")


def _manifest(**changes: object) -> SnapshotManifest:
    document = {
        "snapshot_time": "2026-12-01T00:00:00Z",
        "parts": [{"name": "a.jsonl", "rows": 2}, {"name": "b.csv.gz", "rows": 0}],
    } | changes
    return SnapshotManifest.model_validate(document)


def test_a_snapshot_is_complete_when_every_part_of_its_manifest_is_there() -> None:
    manifest = _manifest()

    assert manifest.rows == 2
    assert missing_parts(manifest, {"a.jsonl"}) == ["b.csv.gz"]
    assert missing_parts(manifest, {"a.jsonl", "b.csv.gz", "extra.csv"}) == []


@pytest.mark.parametrize(
    "parts",
    [[], [{"name": "a.jsonl", "rows": 1}] * 2, [{"name": "../a.jsonl", "rows": 1}],
     [{"name": "a.xlsx", "rows": 1}], [{"name": "_manifest.json", "rows": 1}],
     [{"name": "a.jsonl", "rows": -1}]],
)  # fmt: skip
def test_a_malformed_manifest_is_refused(parts: list[object]) -> None:
    with pytest.raises(ValidationError):
        _manifest(parts=parts)


def test_a_manifest_time_needs_a_zone() -> None:
    with pytest.raises(ValidationError):
        _manifest(snapshot_time="2026-12-01T00:00:00")


def test_snapshot_ids_sort_by_upload_time() -> None:
    first = new_snapshot_id(datetime(2026, 12, 1, 8, tzinfo=UTC))
    second = new_snapshot_id(datetime(2026, 12, 1, 9, tzinfo=UTC))

    assert is_snapshot_id(first) and first < second


def test_snapshot_ids_started_in_one_second_sort_by_upload_time() -> None:
    at = datetime(2026, 12, 1, 8, 0, 0, 999_000, tzinfo=UTC)
    ids = [new_snapshot_id(at + timedelta(microseconds=n)) for n in range(0, 1000, 7)]

    assert all(map(is_snapshot_id, ids))
    assert sorted(ids) == ids
