"""Format detection from content, hints that override it, and what is refused up front."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import FORMATS, detect_format, format_hint_from_name, parse_notice_file
from chalicelib.intake.raw import FileRefused
from chalicelib.intake.rows import ParsedFile

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
KR = RegulatorDefaults(jurisdiction="KR", language="ko")


def parse(data: bytes, filename: str = "upload.bin", hint: str | None = None) -> ParsedFile:
    return parse_notice_file(
        data, filename=filename, format_hint=hint, limits=IntakeLimits(), defaults=KR
    )


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [
        ("kftc-notices.csv", "csv"),
        ("kftc-notices-cp949.csv", "csv"),
        ("kftc-notices.xlsx", "xlsx"),
        ("notices.json", "json"),
        ("notices.jsonl", "json"),
        ("cpsc-recalls.json", "cpsc"),
        ("safety-gate-week.xml", "safety-gate"),
    ],
)
def test_every_sample_is_detected_from_content_alone(sample: str, fmt: str) -> None:
    data = (SAMPLES / sample).read_bytes()
    assert detect_format(data) == fmt
    parsed = parse(data, filename="no-extension")
    assert (parsed.format, parsed.refused) == (fmt, None)
    assert parsed.rows


def test_cpsc_needs_recall_keys_canonical_json_does_not_have() -> None:
    assert detect_format(b'[{"RecallNumber": "25-1"}]') == "cpsc"
    assert detect_format(b'  {"Products": []}') == "cpsc"
    assert detect_format(b'[{"source_reference": "R1", "product": {"name": "x"}}]') == "json"


def test_wrong_extension_is_read_by_content_with_a_warning() -> None:
    parsed = parse((SAMPLES / "notices.json").read_bytes(), filename="notices.csv")
    assert parsed.format == "json"
    assert [(w.code, w.message) for w in parsed.warnings] == [
        (
            "extension_mismatch",
            "'notices.csv' ends in .csv but holds json content; read as json",
        )
    ]


def test_hint_overrides_detection() -> None:
    # A CPSC file read as canonical JSON: its nested recall lists are unknown fields.
    parsed = parse((SAMPLES / "cpsc-recalls.json").read_bytes(), hint="json")
    assert parsed.format == "json"
    assert parsed.warnings[0].code == "unknown_fields"
    assert "'Products'" in parsed.warnings[0].message
    assert not any(row.accepted for row in parsed.rows)


def test_hint_is_case_insensitive_and_accepts_aliases() -> None:
    assert parse((SAMPLES / "notices.jsonl").read_bytes(), hint=" JSONL ").format == "json"
    assert parse((SAMPLES / "safety-gate-week.xml").read_bytes(), hint="Safety_Gate").format == (
        "safety-gate"
    )


def test_hint_that_does_not_fit_the_content_refuses_with_the_readers_reason() -> None:
    parsed = parse((SAMPLES / "kftc-notices.csv").read_bytes(), hint="xlsx")
    assert parsed.format == "xlsx"
    assert parsed.refused is not None and parsed.refused.code == "not_xlsx"


def test_unknown_hint_is_refused_listing_valid_formats() -> None:
    parsed = parse(b"product_name\nx\n", hint="pdf")
    assert parsed.refused is not None
    assert parsed.refused.code == "unknown_format"
    assert parsed.refused.message == (
        "unknown format 'pdf'; valid formats are csv, xlsx, json, cpsc, safety-gate"
    )


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("incoming/cpsc/2025-04.cpsc.json", "cpsc"),
        ("week10.safety-gate.xml", "safety-gate"),
        ("export.CSV.txt", "csv"),
        ("notices.json", None),
        ("report.2024.csv", None),
        ("noextension", None),
    ],
)
def test_hint_from_a_compound_suffix(name: str, hint: str | None) -> None:
    assert format_hint_from_name(name) == hint


def test_suffix_hint_applies_when_no_explicit_hint() -> None:
    data = (SAMPLES / "cpsc-recalls.json").read_bytes()
    assert parse(data, filename="weekly.json.cpsc.json").format == "cpsc"
    # an explicit hint wins over the name
    assert parse(data, filename="weekly.cpsc.json", hint="json").format == "json"


def test_formats_are_the_documented_five() -> None:
    assert FORMATS == ("csv", "xlsx", "json", "cpsc", "safety-gate")


@pytest.mark.parametrize(
    ("data", "code", "phrase"),
    [
        (b"", "empty_file", "empty"),
        (b"  \r\n\t", "empty_file", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "binary_content", ".xls"),
        (b"%PDF-1.7\n...", "binary_content", "PDF"),
        (b"\x1f\x8b\x08\x00rest", "binary_content", "gzip"),
        (b"product_name\n\x01\x02\x03\x04\x05\x06x", "binary_content", "control characters"),
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "html", "HTML"),
        (b"\xff\xfe\x00", "undecodable_text", "UTF-16"),
    ],
)
def test_files_refused_before_reading(data: bytes, code: str, phrase: str) -> None:
    parsed = parse(data)
    assert parsed.refused is not None
    assert parsed.refused.code == code
    assert phrase in parsed.refused.message


def test_detect_format_refuses_by_raising_its_reason() -> None:
    with pytest.raises(FileRefused) as refused:
        detect_format(b"\x00\x01binary")
    assert refused.value.problem.code == "binary_content"


@pytest.mark.parametrize("data", [b"product_name\nToy\n", b"", b"\x00\x01binary"])
def test_the_cyclic_collector_is_back_on_after_a_parse(data: bytes) -> None:
    assert gc.isenabled()
    parse_notice_file(
        data,
        filename="x.csv",
        format_hint=None,
        limits=IntakeLimits(),
        defaults=RegulatorDefaults(jurisdiction="KR"),
    )
    assert gc.isenabled()


def test_a_parse_leaves_a_collector_paused_by_its_caller_paused() -> None:
    gc.disable()
    try:
        parse_notice_file(
            b"product_name\nToy\n",
            filename="x.csv",
            format_hint=None,
            limits=IntakeLimits(),
            defaults=RegulatorDefaults(jurisdiction="KR"),
        )
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_rows_are_built_with_the_collector_paused_and_it_resumes_after_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []

    def crashing_normaliser(*args: Any, **kwargs: Any) -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("parser bug")

    monkeypatch.setattr("chalicelib.intake.parse.normalise_record", crashing_normaliser)
    parsed = parse_notice_file(
        b"product_name\nToy\n",
        filename="x.csv",
        format_hint=None,
        limits=IntakeLimits(),
        defaults=RegulatorDefaults(jurisdiction="KR"),
    )
    assert parsed.refused is not None and parsed.refused.code == "internal_error"
    assert seen == [False]
    assert gc.isenabled()
