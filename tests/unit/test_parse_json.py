"""Canonical JSON: array, single object, JSON Lines, nested product/hazard objects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile, ParsedRow

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
KR = RegulatorDefaults(jurisdiction="KR", language="ko")


def parse(data: bytes, filename: str = "notices.json") -> ParsedFile:
    return parse_notice_file(
        data, filename=filename, format_hint=None, limits=IntakeLimits(), defaults=KR
    )


def parse_json(document: object) -> ParsedFile:
    return parse(json.dumps(document, ensure_ascii=False).encode("utf-8"))


def outcome(row: ParsedRow) -> tuple[list[str], list[str]]:
    return [p.code for p in row.errors], [p.code for p in row.warnings]


def test_array_sample_outcome_per_item() -> None:
    parsed = parse((SAMPLES / "notices.json").read_bytes())
    assert (parsed.format, parsed.refused, parsed.warnings) == ("json", None, [])
    assert [(row.row, row.locator) for row in parsed.rows] == [
        (n, f"item {n}") for n in range(1, 6)
    ]
    assert [outcome(row) for row in parsed.rows] == [
        ([], []),
        ([], ["barcode_check_digit", "barcode_length"]),
        ([], []),
        (["product_unidentified"], []),
        (["not_an_object"], []),
    ]
    assert parsed.rows[4].errors[0].message == "item 5 is a JSON string, not an object"


def test_nested_product_and_hazard_map_like_the_model() -> None:
    rows = parse((SAMPLES / "notices.json").read_bytes()).rows
    slime = rows[0].content
    assert slime is not None
    assert slime.kind == "order"
    assert slime.product.name == "어린이 슬라임 완구 (글리터 슬라임)"
    assert slime.product.models == ["GS-500", "GS-700"]
    assert slime.product.pictures == ["https://example.org/kca/slime.jpg"]
    assert slime.hazard.types == ["Chemical"]
    assert slime.hazard.description == "붕소가 안전기준의 3배 검출됨"
    assert slime.hazard.risk_level == "Serious risk"
    fan = rows[1].content
    assert fan is not None
    # suspect_barcodes are re-validated together with barcodes
    assert fan.product.barcodes == ["8805550123450"]
    assert fan.product.suspect_barcodes == ["8805550123451", "88055501234"]
    assert fan.jurisdiction == "KR"  # regulator default
    helmet = rows[2].content
    assert helmet is not None and helmet.jurisdiction == "KR"  # "Korea, Republic of"


def test_json_lines_sample_one_broken_line_rejects_only_that_line() -> None:
    parsed = parse((SAMPLES / "notices.jsonl").read_bytes(), "notices.jsonl")
    assert parsed.format == "json" and parsed.refused is None
    assert [(row.row, row.locator) for row in parsed.rows] == [
        (n, f"line {n}") for n in range(1, 6)
    ]
    assert [outcome(row) for row in parsed.rows] == [
        ([], []),
        ([], ["barcode_check_digit"]),
        ([], []),
        (["json_malformed"], []),
        (["product_unidentified"], []),
    ]
    assert parsed.rows[3].errors[0].message.startswith("line 4 is not valid JSON (column 122:")
    charger = parsed.rows[1].content
    assert charger is not None
    assert charger.hazard.types == ["Fire", "Electric shock"]
    assert charger.product.kc_certificates == ["XU100123-15002"]
    assert parsed.rows[2].content is not None and parsed.rows[2].content.language == "ko"


def test_single_object() -> None:
    parsed = parse_json({"source_reference": "R1", "product_name": "보조배터리", "withdrawn": True})
    assert [(row.row, row.locator) for row in parsed.rows] == [(1, "item 1")]
    content = parsed.rows[0].content
    assert content is not None and content.withdrawn is True


def test_numbers_and_booleans_become_text() -> None:
    content = (
        parse_json([{"source_reference": 2024118, "barcodes": [8801234567893, "036000291452"]}])
        .rows[0]
        .content
    )
    assert content is not None
    assert content.source_reference == "2024118"
    assert content.product.barcodes == ["8801234567893", "036000291452"]


def test_object_where_text_belongs_rejects_the_item_naming_the_field() -> None:
    row = parse_json(
        [{"source_reference": "R1", "product_name": "x", "brand": {"ko": "브랜드"}}]
    ).rows[0]
    assert [(p.field, p.code) for p in row.errors] == [("brand", "not_text")]
    assert "brand:" in row.errors[0].message


def test_nested_list_items_reject_the_item() -> None:
    row = parse_json([{"source_reference": "R1", "models": [["A"], "B"]}]).rows[0]
    assert [(p.field, p.code) for p in row.errors] == [("models", "not_text")]


def test_unknown_keys_warn_once_for_the_file() -> None:
    parsed = parse_json(
        [
            {"source_reference": "R1", "product_name": "x", "internal_id": 1},
            {"source_reference": "R2", "product_name": "y", "internal_id": 2,
             "product": {"colour": "red"}},
        ]
    )  # fmt: skip
    assert [w.message for w in parsed.warnings] == [
        "ignored fields this exchange does not know: 'internal_id', 'product.colour'"
    ]
    assert all(row.accepted for row in parsed.rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[{"product_name": "x"},\n {"product_name": }]', "line 2, column 19"),
        ('{"product_name": "x"', "line 1, column 21"),
    ],
)
def test_malformed_json_is_refused_with_position(text: str, message: str) -> None:
    parsed = parse(text.encode())
    assert parsed.refused is not None
    assert parsed.refused.code == "json_malformed"
    assert message in parsed.refused.message


def test_top_level_scalar_is_refused() -> None:
    parsed = parse_notice_file(
        b"42", filename="x.json", format_hint="json", limits=IntakeLimits(), defaults=KR
    )
    assert parsed.refused is not None and parsed.refused.code == "json_not_records"


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    parsed = parse(b"[" * 100_000 + b"]" * 100_000)
    assert parsed.refused is not None and parsed.refused.code == "json_malformed"
