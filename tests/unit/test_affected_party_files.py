"""Reading a file of affected parties row by row (``notification.uploads.read_rows``):
what a row becomes, how it is numbered, and what makes the whole file unreadable."""

from __future__ import annotations

import gzip
import io

import pytest

from chalicelib.notification.upload_model import UploadFormat
from chalicelib.notification.uploads import MAX_LINE_CHARS, BadFile, RefusedRow, Row, read_rows


def _rows(
    data: bytes, file_format: UploadFormat, compressed: bool = False
) -> list[Row | RefusedRow]:
    return list(read_rows(io.BytesIO(data), file_format, compressed, max_rows=10))


def test_csv_rows_are_buyers_or_sellers_numbered_from_the_header() -> None:
    data = (
        "\ufeffbuyer_ref,seller_id,email,listing_ids\n"
        "B-1,,b1@mail.example,\n"
        "\n"
        ',S-1,"s1@shop.example",L-1| L-2 ||\n'
        "B-2,S-2,x@mail.example,\n"
        ",,nobody@mail.example,\n"
        "B-3,,b3@mail.example,,surplus\n"
    ).encode()

    rows = _rows(data, UploadFormat.CSV)

    assert rows[0] == Row(2, "buyers", {"buyer_ref": "B-1", "email": "b1@mail.example"})
    assert rows[1] == Row(
        4,
        "sellers",
        {"seller_id": "S-1", "email": "s1@shop.example", "listing_ids": ["L-1", "L-2"]},
    )
    refused = [(r.number, r.error.code) for r in rows[2:] if isinstance(r, RefusedRow)]
    assert refused == [(5, "party"), (6, "party"), (7, "cells")]


def test_jsonl_lines_are_numbered_and_blank_ones_skipped() -> None:
    data = b'{"buyer_ref": "B-1", "email": "b1@mail.example"}\n\n{"seller_id": "S-1"}\n"B-2"\n'

    rows = _rows(gzip.compress(data), UploadFormat.JSONL, compressed=True)

    assert [(r.number, type(r).__name__) for r in rows] == [
        (1, "Row"),
        (3, "Row"),
        (4, "RefusedRow"),
    ]


@pytest.mark.parametrize(
    ("data", "file_format", "code"),
    [
        (
            b"buyer_ref,email\n" + b"B," + b"x" * MAX_LINE_CHARS + b"\n",
            UploadFormat.CSV,
            "line_too_long",
        ),
        (b"buyer_ref,email,buyer_ref\nB-1,a@b.example,B-2\n", UploadFormat.CSV, "repeated_column"),
        # An unclosed quote swallows the lines after it until the field is too large.
        (b'buyer_ref,email\nB-1,"' + (b"x" * 60_000 + b"\n") * 3, UploadFormat.CSV, "not_csv"),
        (b"\n\n", UploadFormat.JSONL, "empty_file"),
        (b'{"buyer_ref": "B-1"}\n' * 11, UploadFormat.JSONL, "too_many_rows"),
    ],
)
def test_an_unreadable_file_is_refused_whole(
    data: bytes, file_format: UploadFormat, code: str
) -> None:
    with pytest.raises(BadFile) as refused:
        _rows(data, file_format)

    assert refused.value.code == code
