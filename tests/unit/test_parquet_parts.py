"""Parquet catalogue parts as the audit reads them: Arrow's types become the same
listings as JSON Lines text, a bad row is counted like in any format, and a file that
is not Parquet (or is damaged) makes the part unreadable instead of failing the step."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chalicelib.verification import parts
from chalicelib.verification.parts import BadRow, read_part


def _parquet(table: pa.Table, **options: object) -> bytes:
    out = io.BytesIO()
    pq.write_table(table, out, **options)
    return out.getvalue()


def test_typed_columns_read_as_the_text_the_other_formats_carry() -> None:
    kst = timezone(timedelta(hours=9))
    table = pa.table(
        {
            "id": pa.array(["L-1", "L-2"]),
            "title": pa.array(["키즈블록 KB-100", "Wooden train"]),
            "gtin": pa.array([8801234567893, None], pa.int64()),
            "price": pa.array([Decimal("12.50"), None], pa.decimal128(6, 2)),
            "mpn": pa.array([b"KB-100", None], pa.binary()),
            "listed_at": pa.array(
                [datetime(2026, 11, 30, 18, tzinfo=kst), None], pa.timestamp("ms", tz="UTC")
            ),
            "seller_id": pa.array([None, "S-2"]),
            "warehouse": pa.array(["not a listing field", "ignored"]),
        }
    )

    reading = read_part("p.parquet", _parquet(table))

    assert (reading.rows, reading.bad_rows, reading.unreadable) == (2, 0, None)
    first, second = reading.listings
    assert (first.gtin, first.price, first.mpn, first.seller_id) == (
        "8801234567893", "12.50", "KB-100", None,
    )  # fmt: skip
    assert first.listed_at == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert (second.gtin, second.price, second.listed_at, second.seller_id) == (
        None, None, None, "S-2",
    )  # fmt: skip


def test_bad_rows_are_counted_and_described_and_the_rest_is_read() -> None:
    table = pa.table(
        {
            "id": pa.array(["L-1", None, "L-3", "L-4", "L-5", "L-6"]),
            "title": pa.array(["ok", "no id", "local time", "true", "bytes", "ok"]),
            "listed_at": pa.array(
                [None, None, datetime(2026, 11, 30, 9), None, None, None], pa.timestamp("s")
            ),
            "brand": pa.array([None, None, None, None, None, "B"]),
            "availability": pa.array([None, None, None, True, None, None]),
            "mpn": pa.array([None, None, None, None, b"\xff\xfe", None], pa.binary()),
        }
    )

    reading = read_part("p.parquet", _parquet(table))

    assert [listing.listing_id for listing in reading.listings] == ["L-1", "L-6"]
    assert (reading.rows, reading.bad_rows) == (6, 4)
    assert reading.problems == [
        BadRow(2, "id", "is required"),
        BadRow(3, "listed_at", "must carry a time zone (Z or +hh:mm)"),
        BadRow(4, "availability", "must be text"),
        BadRow(5, "mpn", "must be UTF-8 text"),
    ]


def test_a_timestamp_python_cannot_hold_is_a_bad_row() -> None:
    beyond_9999 = 253_402_300_800 * 1_000_000
    table = pa.table(
        {
            "id": ["L-1", "L-2", "L-3"],
            "title": ["t", "t", "t"],
            "listed_at": pa.array([0, beyond_9999, None], pa.timestamp("us", tz="UTC")),
        }
    )

    reading = read_part("p.parquet", _parquet(table))

    assert [listing.listing_id for listing in reading.listings] == ["L-1", "L-3"]
    assert reading.listings[0].listed_at == datetime(1970, 1, 1, tzinfo=UTC)
    [problem] = reading.problems
    assert (problem.row, problem.field) == (2, "listed_at")
    assert problem.reason.startswith("cannot be read: ")


def test_a_nested_column_is_a_bad_row_not_a_crash() -> None:
    table = pa.table({"id": ["L-1"], "title": pa.array([{"ko": "장난감"}])})

    reading = read_part("p.parquet", _parquet(table))

    assert reading.problems == [BadRow(1, "title", "must be text")]


def test_a_file_without_an_id_column_rejects_every_row() -> None:
    reading = read_part("p.parquet", _parquet(pa.table({"sku": ["1", "2"], "title": ["a", "b"]})))

    assert (reading.rows, reading.bad_rows, reading.listings) == (2, 2, [])
    assert reading.problems[0] == BadRow(1, None, "the file has no id column")


def test_rows_are_read_batch_by_batch_across_row_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parts, "PARQUET_BATCH_ROWS", 3)
    ids = [f"L-{n}" for n in range(1, 11)]
    titles = ["t" if n != 8 else None for n in range(1, 11)]
    data = _parquet(pa.table({"id": ids, "title": titles}), row_group_size=4)

    reading = read_part("p.parquet", data)

    assert pq.ParquetFile(io.BytesIO(data)).num_row_groups == 3
    assert [listing.listing_id for listing in reading.listings] == ids[:7] + ids[8:]
    assert (reading.rows, reading.problems) == (10, [BadRow(8, "title", "is required")])


def _corrupt_pages() -> bytes:
    data = bytearray(_parquet(pa.table({"id": ["L-1"] * 50, "title": ["t" * 40] * 50})))
    data[8:40] = b"\x00" * 32  # the first column chunk, behind the intact footer
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"id": "L-1", "title": "JSON, named .parquet"}\n', "magic bytes"),
        (_parquet(pa.table({"id": ["L-1"], "title": ["t"]}))[:-12], "magic bytes"),
        (_corrupt_pages(), "page header"),
        (b"", "file size is 0 bytes"),
    ],
)
def test_a_file_that_is_not_readable_parquet_makes_the_part_unreadable(
    data: bytes, reason: str
) -> None:
    reading = read_part("p.parquet", data)

    assert reading.unreadable is not None and reason in reading.unreadable.lower()
    assert reading.listings == []
