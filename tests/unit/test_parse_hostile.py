"""Files that try to hurt the parser: it refuses them with a reason and never raises."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.intake import parse as parse_module
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile

HOSTILE = Path(__file__).resolve().parents[2] / "samples" / "hostile"
SAMPLES = HOSTILE.parent
KR = RegulatorDefaults(jurisdiction="KR", language="ko")


def parse(data: bytes, limits: IntakeLimits | None = None, filename: str = "upload") -> ParsedFile:
    return parse_notice_file(
        data, filename=filename, format_hint=None, limits=limits or IntakeLimits(), defaults=KR
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("entity-bomb.xml", "xml_unsafe"),
        ("external-entity.xml", "xml_unsafe"),
        ("truncated.xlsx", "xlsx_corrupt"),
        ("binary-junk.csv", "binary_content"),
    ],
)
def test_hostile_samples_are_refused(name: str, code: str) -> None:
    parsed = parse((HOSTILE / name).read_bytes(), filename=name)
    assert parsed.refused is not None
    assert parsed.refused.field == "file"
    assert parsed.refused.code == code
    assert parsed.rows == []


def test_external_entity_content_never_reaches_a_row() -> None:
    parsed = parse((HOSTILE / "external-entity.xml").read_bytes())
    assert "root:" not in repr(parsed)


def test_binary_junk_is_refused_even_when_declared_csv() -> None:
    parsed = parse_notice_file(
        (HOSTILE / "binary-junk.csv").read_bytes(),
        filename="junk.csv",
        format_hint="csv",
        limits=IntakeLimits(),
        defaults=KR,
    )
    assert parsed.refused is not None and parsed.refused.code == "binary_content"


def test_long_cell_rejects_its_row_only_naming_the_field() -> None:
    parsed = parse((HOSTILE / "long-cell.csv").read_bytes())
    assert parsed.refused is None
    assert [(row.row, row.accepted) for row in parsed.rows] == [(2, True), (3, False)]
    assert [(p.field, p.code, p.message) for p in parsed.rows[1].errors] == [
        (
            "hazard_description",
            "cell_too_long",
            "hazard_description has 30000 characters; limit is 20000",
        )
    ]


def test_oversize_file_is_refused_before_anything_is_read() -> None:
    data = (SAMPLES / "kftc-notices.csv").read_bytes()
    parsed = parse(data, IntakeLimits(max_file_bytes=len(data) - 1))
    assert parsed.refused is not None
    assert parsed.refused.code == "file_too_large"
    assert parsed.refused.message == (
        f"file is {len(data)} bytes; the limit is {len(data) - 1} bytes"
    )


def test_exactly_at_the_size_limit_is_read() -> None:
    data = (SAMPLES / "kftc-notices.csv").read_bytes()
    assert parse(data, IntakeLimits(max_file_bytes=len(data))).refused is None


@pytest.mark.parametrize(
    ("sample", "records"),
    [
        ("kftc-notices.csv", 6),
        ("kftc-notices.xlsx", 5),
        ("notices.jsonl", 5),
        ("cpsc-recalls.json", 3),
        ("safety-gate-week.xml", 4),
    ],
)
def test_too_many_rows_refuses_the_whole_file(sample: str, records: int) -> None:
    data = (SAMPLES / sample).read_bytes()
    parsed = parse(data, IntakeLimits(max_rows=records - 1))
    assert parsed.refused is not None
    assert parsed.refused.code == "too_many_rows"
    assert parsed.refused.message.startswith(f"file has {records} rows; limit is {records - 1}")
    assert parsed.rows == []
    assert parse(data, IntakeLimits(max_rows=records)).refused is None


def test_truncated_json_is_refused() -> None:
    data = (SAMPLES / "notices.json").read_bytes()
    parsed = parse(data[: len(data) // 2])
    assert parsed.refused is not None and parsed.refused.code == "json_malformed"


def test_csv_cell_beyond_the_csv_module_limit_is_refused_not_raised() -> None:
    data = b"product_name,hazard_description\nx," + b"a" * 200_000 + b"\n"
    parsed = parse(data)
    assert parsed.refused is not None
    assert parsed.refused.code == "csv_malformed"
    assert "line 2" in parsed.refused.message


def test_a_parser_bug_costs_the_file_not_the_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(data: bytes, limits: IntakeLimits) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(parse_module._READERS, "csv", broken)
    parsed = parse(b"product_name\nx\n")
    assert parsed.refused is not None and parsed.refused.code == "internal_error"


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00",  # a UTF-16 BOM with half a character
        b"PK\x03\x04" + b"\x00" * 50,
        b"<Safety-Gate><notifications><name>x</name></notifications>",
        b"[{]",
        b'{"a": 1}\n{"b": [}\n',
        b"\xef\xbb\xbf",
        b"<?xml version='1.0'?>",
        b"\x80\x81\x82\x83" * 20,
    ],
)
def test_garbage_never_raises(data: bytes) -> None:
    parsed = parse(data)
    assert parsed.refused is None or parsed.refused.code != "internal_error"
    assert parsed.refused is not None or all(row.errors or row.content for row in parsed.rows)
