"""Validation rules shared by every format: one raw record in, one ParsedRow out."""

from __future__ import annotations

import re
import sys
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.identifiers.products import split_barcodes, split_kc_certificates
from chalicelib.intake.fields import CANONICAL_FIELDS
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.normalise import (
    _SPLIT_LIST,
    CellMemo,
    _cleaned_cells,
    _measured_cells,
    _pieces,
    _unique,
    clean_text,
    derived_reference,
    normalise_record,
    stored_bytes_bound,
)
from chalicelib.intake.raw import RawRecord, RawValue
from chalicelib.intake.rows import ParsedRow, Problem
from chalicelib.notices.model import NoticeContent, NoticeKind, Product

KR = RegulatorDefaults(jurisdiction="KR", language="ko")
NO_DEFAULTS = RegulatorDefaults()


def normalise(
    defaults: RegulatorDefaults = KR, limits: IntakeLimits | None = None, /, **fields: RawValue
) -> ParsedRow:
    record = RawRecord(row=7, locator="row 7", fields=fields)
    return normalise_record(record, limits=limits or IntakeLimits(), defaults=defaults)


def accepted(**fields: RawValue) -> NoticeContent:
    fields.setdefault("source_reference", "KFTC-1")
    row = normalise(**fields)
    assert row.errors == []
    assert row.content is not None
    return row.content


def codes(problems: list[Problem]) -> list[str]:
    return [problem.code for problem in problems]


# -- identification and required fields ---------------------------------------------


def test_row_keeps_its_number_and_locator() -> None:
    row = normalise(source_reference="R1", product_name="보조배터리")
    assert (row.row, row.locator, row.accepted) == (7, "row 7", True)


def test_unidentifiable_product_is_rejected_on_product_name() -> None:
    row = normalise(source_reference="R1", brand="무명", hazard_description="위험")
    assert row.content is None
    assert row.errors == [
        Problem(
            "product_name",
            "product_unidentified",
            "the row does not identify a product: give at least a product name, model, "
            "barcode or KC certificate number",
        )
    ]


@pytest.mark.parametrize(
    "identifier",
    [
        {"product_name": "어린이 장난감"},
        {"models": "KB-100"},
        {"barcodes": "8801234567893"},
        {"barcodes": "12345"},  # even a suspect barcode identifies
        {"kc_certificates": "SU071356-12001"},
    ],
)
def test_any_identifier_is_enough(identifier: dict[str, str]) -> None:
    assert normalise(source_reference="R1", **identifier).accepted


def test_missing_reference_is_derived_stably_with_a_warning() -> None:
    first = normalise(product_name="보조배터리", brand="파워탱크", models="PT-10K")
    again = normalise(product_name=" 보조배터리 ", brand="파워탱크", models=["PT-10K"])
    other = normalise(product_name="보조배터리", brand="파워탱크", models="PT-20K")
    assert first.content is not None and again.content is not None and other.content is not None
    reference = first.content.source_reference
    assert reference.startswith("derived:") and len(reference) == len("derived:") + 20
    assert again.content.source_reference == reference
    assert other.content.source_reference != reference
    assert codes(first.warnings) == ["source_reference_derived"]
    assert reference in first.warnings[0].message


def test_no_reference_is_derived_for_a_rejected_row() -> None:
    row = normalise(brand="무명")
    assert codes(row.warnings) == []
    assert codes(row.errors) == ["product_unidentified"]


def test_overlong_reference_becomes_a_located_problem_not_an_exception() -> None:
    row = normalise(source_reference="R" * 201, product_name="x")
    assert row.content is None
    assert [(problem.field, problem.code) for problem in row.errors] == [
        ("source_reference", "invalid_value")
    ]


def test_structural_problems_from_the_reader_reject_the_row() -> None:
    problem = Problem("row", "not_an_object", "item 3 is a JSON string, not an object")
    record = RawRecord(row=3, locator="item 3", problems=[problem])
    row = normalise_record(record, limits=IntakeLimits(), defaults=KR)
    assert row.errors == [problem]
    assert row.content is None


def test_cell_over_the_limit_rejects_the_row_naming_the_field() -> None:
    row = normalise(
        KR,
        IntakeLimits(max_cell_chars=10),
        source_reference="R1",
        product_name="짧은 이름",
        hazard_description="위" * 11,
    )
    assert row.content is None
    assert row.errors == [
        Problem(
            "hazard_description",
            "cell_too_long",
            "hazard_description has 11 characters; limit is 10",
        )
    ]


def test_long_list_item_counts_as_a_long_cell() -> None:
    row = normalise(
        KR, IntakeLimits(max_cell_chars=5), source_reference="R1", models=["ok", "too-long"]
    )
    assert [(problem.field, problem.code) for problem in row.errors] == [
        ("models", "cell_too_long")
    ]


@given(
    st.dictionaries(st.sampled_from(CANONICAL_FIELDS), st.text(max_size=8), max_size=6),
    st.integers(min_value=0, max_value=20),
)
def test_string_cells_are_measured_as_the_cell_by_cell_count_measures_them(
    fields: dict[str, str], max_chars: int
) -> None:
    # A row of strings is counted at C level; one-string lists take the loop.
    assert _measured_cells(fields, max_chars) == _measured_cells(
        {name: [value] for name, value in fields.items()}, max_chars
    )


def test_cells_within_their_limit_adding_up_past_a_record_are_rejected() -> None:
    texts = (
        "title",
        "product_description",
        "hazard_description",
        "remedy",
        "risk_level",
        "consumer_contact",
    )
    row = normalise(source_reference="R1", product_name="x", **dict.fromkeys(texts, "가" * 19_000))
    assert [(problem.field, problem.code) for problem in row.errors] == [
        ("title", "notice_too_large")
    ]


def test_what_no_cell_gives_a_notice_fits_the_bound_of_no_source_text() -> None:
    # Every value a notice can hold that comes from no cell, at its longest.
    content = NoticeContent(
        source_reference=derived_reference("x", None, [], []),
        kind=NoticeKind.NOTICE,
        issued_on=date(2026, 11, 20),
        jurisdiction="KR",
        language="ko",
        product=Product(),
    )
    assert len(content.__pydantic_serializer__.to_json(content)) <= stored_bytes_bound(0)


# Characters that grow when case-changed (kc_certificates are upper-cased, platforms
# lower-cased), JSON-escaped control characters, astral ones, separators and spaces.
_GROWING = 'ßΐŉİﬃ\x01\x1f"\\\U0001f4a9가a1 ,;/|\n\r\t-'
_STRINGS = st.text(alphabet=_GROWING, max_size=300)


@given(
    st.dictionaries(
        st.sampled_from(CANONICAL_FIELDS),
        st.one_of(st.none(), _STRINGS, st.lists(_STRINGS, max_size=5)),
    ),
    st.one_of(st.none(), _STRINGS),
    st.lists(_STRINGS, max_size=3),
)
def test_a_notice_never_takes_more_than_the_bound_of_its_source_text(
    fields: dict[str, RawValue], language: str | None, platforms: list[str]
) -> None:
    # The parse skips serialising a notice to measure it when this bound is within a
    # record: it must hold for any cells, however their characters grow or escape.
    fields = {"source_reference": "R1", "product_name": "x", **fields}
    defaults = RegulatorDefaults(
        jurisdiction="KR", language=language, target_platforms=tuple(platforms)
    )
    row = normalise(defaults, **fields)
    if row.content is None:
        return
    strings = [text for value in fields.values() for text in _texts(value)]
    strings += [language or "", *platforms]
    source_text = sum(len(text) + 1 for text in strings)
    assert len(row.content.__pydantic_serializer__.to_json(row.content)) <= stored_bytes_bound(
        source_text
    )


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("kc_certificates", "ΐ" * 2_000),  # upper-cased into 3 characters of 2 bytes
        ("hazard_description", "\x01" * 2_000),  # each written as \\u0001
        ("models", "\x01" * 2_000),  # a list item, each written as \\u0001
        ("target_platforms", "İ" * 2_000),  # lower-cased into 2 characters of 3 bytes
    ],
)
def test_the_bound_holds_for_cells_of_the_fastest_growing_characters(field: str, text: str) -> None:
    row = normalise(source_reference="R1", product_name="x", **{field: text})
    assert row.content is not None
    stored = len(row.content.__pydantic_serializer__.to_json(row.content))
    assert stored > 2 * len(text)  # the cell did grow
    assert stored <= stored_bytes_bound(len(text) + 1 + len("R1x") + 2 + len("ko") + 1)


def _texts(value: RawValue) -> list[str]:
    if value is None:
        return []
    if isinstance(value, date):  # not generated above; a notice holds its ISO text
        return [value.isoformat()]
    return [value] if isinstance(value, str) else list(value)


# -- jurisdiction and language ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [("kr", "KR"), (" US ", "US"), ("EU", "EU"), ("대한민국", "KR"), ("UK", "GB"), ("de", "DE")],
)
def test_jurisdiction_is_upper_cased_iso(written: str, code: str) -> None:
    assert accepted(product_name="x", jurisdiction=written).jurisdiction == code


def test_jurisdiction_defaults_to_the_regulator() -> None:
    assert accepted(product_name="x").jurisdiction == "KR"


@pytest.mark.parametrize("written", ["KOR", "XX", "Korea Rep", "K"])
def test_invalid_jurisdiction_rejects_the_row(written: str) -> None:
    row = normalise(source_reference="R1", product_name="x", jurisdiction=written)
    assert row.content is None
    assert [(problem.field, problem.code) for problem in row.errors] == [
        ("jurisdiction", "jurisdiction_invalid")
    ]
    assert repr(written) in row.errors[0].message


def test_missing_jurisdiction_without_default_rejects_the_row() -> None:
    row = normalise(NO_DEFAULTS, source_reference="R1", product_name="x")
    assert codes(row.errors) == ["jurisdiction_missing"]


@pytest.mark.parametrize(
    ("defaults", "fields", "language"),
    [
        (KR, {"language": "ko-KR"}, "ko"),
        (KR, {"language": "EN"}, "en"),
        (KR, {}, "ko"),
        (NO_DEFAULTS, {"jurisdiction": "US"}, "en"),
        (NO_DEFAULTS, {"jurisdiction": "KR"}, "ko"),
        (NO_DEFAULTS, {"jurisdiction": "EU"}, None),
    ],
)
def test_language_from_row_then_defaults_then_jurisdiction(
    defaults: RegulatorDefaults, fields: dict[str, str], language: str | None
) -> None:
    row = normalise(defaults, source_reference="R1", product_name="x", **fields)
    assert row.content is not None
    assert row.content.language == language


def test_unreadable_language_warns_and_falls_back() -> None:
    row = normalise(source_reference="R1", product_name="x", language="Korean")
    assert row.content is not None and row.content.language == "ko"
    assert codes(row.warnings) == ["language_invalid"]


# -- barcodes and certificates ---------------------------------------------------------


def test_barcodes_split_validated_and_deduplicated() -> None:
    row = normalise(
        source_reference="R1",
        product_name="보조배터리",
        barcodes=" 8809876543213 , 8805550123450\n8801112223331;8809876543213 / 0885909950",
    )
    assert row.content is not None
    assert row.content.product.barcodes == ["8809876543213", "8805550123450"]
    assert row.content.product.suspect_barcodes == ["8801112223331", "0885909950"]
    assert [(problem.field, problem.code) for problem in row.warnings] == [
        ("barcodes", "barcode_check_digit"),
        ("barcodes", "barcode_length"),
    ]


def test_barcodes_from_a_list_are_split_too() -> None:
    content = accepted(product_name="x", barcodes=["036000291452", "96385074, 12"])
    assert content.product.barcodes == ["036000291452", "96385074"]
    assert content.product.suspect_barcodes == ["12"]


def test_kc_certificates_kept_even_when_odd() -> None:
    row = normalise(
        source_reference="R1", product_name="x", kc_certificates="SU071356-12001, 인증없음"
    )
    assert row.content is not None
    assert row.content.product.kc_certificates == ["SU071356-12001", "인증없음"]
    assert [(problem.field, problem.code) for problem in row.warnings] == [
        ("kc_certificates", "kc_certificate_format")
    ]


# -- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "2024-05-03",
        "2024-05-03T00:00:00",
        "2024-05-03T09:30:00Z",
        "2024-05-03 09:30",
        "20240503",
        "2024.05.03",
        "2024. 5. 3.",
        "2024/05/03",
        "03/05/2024",
        "3.5.2024",
        "2024년 5월 3일",
        datetime(2024, 5, 3, 0, 0),
        date(2024, 5, 3),
    ],
)
def test_issue_dates_in_every_accepted_form(written: str | date) -> None:
    assert accepted(product_name="x", issued_on=written).issued_on == date(2024, 5, 3)


@pytest.mark.parametrize("written", ["작년 여름", "2024-02-30", "05/03/24", "May 3rd"])
def test_unreadable_date_warns_and_is_left_empty(written: str) -> None:
    row = normalise(source_reference="R1", product_name="x", issued_on=written)
    assert row.content is not None and row.content.issued_on is None
    assert [(problem.field, problem.code) for problem in row.warnings] == [
        ("issued_on", "date_unreadable")
    ]


@pytest.mark.parametrize(
    "written",
    [
        "\u0662\u0660\u0662\u0664-\u0660\u0665-\u0660\u0663",  # Arabic-Indic digits
        "\uff12\uff10\uff12\uff14-\uff10\uff15-\uff10\uff13",  # fullwidth digits
        "\u0662\u0660\u0662\u0664\u0660\u0665\u0660\u0663",
        "0001-01-01",
        "1969-12-31",
        "2100-01-01",
        "19000101",
        "3.5.9999",
        datetime(1900, 1, 1),  # Excel's zero date
        date(2100, 1, 1),
    ],
)
def test_dates_in_other_digits_or_outside_1970_to_2099_warn(written: str | date) -> None:
    row = normalise(source_reference="R1", product_name="x", issued_on=written)
    assert row.content is not None and row.content.issued_on is None
    assert [(problem.field, problem.code) for problem in row.warnings] == [
        ("issued_on", "date_unreadable")
    ]


@pytest.mark.parametrize(
    "written",
    ["2024-05-03", "  2024-05-03 ", "2024-05-03T09:30:00.123456789+09:00 (KST, as published)"],
)
def test_a_date_text_reads_the_same_every_time_however_long(written: str) -> None:
    """Short date texts are remembered across rows, longer ones are matched each time:
    both give the date on every row, and an unreadable text warns on every row."""
    for _ in range(3):
        assert accepted(product_name="x", issued_on=written).issued_on == date(2024, 5, 3)
        unreadable = normalise(source_reference="R1", product_name="x", issued_on="on " + written)
        assert codes(unreadable.warnings) == ["date_unreadable"]


def test_an_excel_date_out_of_range_is_shown_as_a_date() -> None:
    row = normalise(source_reference="R1", product_name="x", issued_on=datetime(1900, 1, 1))
    assert "'1900-01-01'" in row.warnings[0].message


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1970-01-01", date(1970, 1, 1)), ("31.12.2099", date(2099, 12, 31))],
)
def test_the_first_and_last_years_are_accepted(written: str, expected: date) -> None:
    assert accepted(product_name="x", issued_on=written).issued_on == expected


@pytest.mark.parametrize("written", [None, "", "   "])
def test_missing_date_is_silent(written: str | None) -> None:
    row = normalise(source_reference="R1", product_name="x", issued_on=written)
    assert row.content is not None and row.content.issued_on is None
    assert row.warnings == []


# -- kind and status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("order", NoticeKind.ORDER),
        ("ORDER", NoticeKind.ORDER),
        ("notice", NoticeKind.NOTICE),
        ("리콜명령", NoticeKind.ORDER),
        ("수거등의 명령", NoticeKind.ORDER),
        ("리콜권고", NoticeKind.NOTICE),
        ("자진리콜", NoticeKind.NOTICE),
        (None, NoticeKind.NOTICE),
    ],
)
def test_kind(written: str | None, kind: NoticeKind) -> None:
    row = normalise(source_reference="R1", product_name="x", kind=written)
    assert row.content is not None and row.content.kind is kind
    assert row.warnings == []


def test_unknown_kind_warns_and_means_notice() -> None:
    row = normalise(source_reference="R1", product_name="x", kind="urgent")
    assert row.content is not None and row.content.kind is NoticeKind.NOTICE
    assert codes(row.warnings) == ["kind_unknown"]


@pytest.mark.parametrize(
    ("written", "withdrawn"),
    [
        ("withdrawn", True),
        ("Withdrawal", True),
        ("철회", True),
        ("철회됨", True),
        ("true", True),
        ("active", False),
        ("", False),
        (None, False),
        ("amended", False),
    ],
)
def test_status(written: str | None, withdrawn: bool) -> None:
    row = normalise(source_reference="R1", product_name="x", status=written)
    assert row.content is not None and row.content.withdrawn is withdrawn
    assert row.warnings == []


def test_unknown_status_warns_and_means_active() -> None:
    row = normalise(source_reference="R1", product_name="x", status="paused")
    assert row.content is not None and row.content.withdrawn is False
    assert codes(row.warnings) == ["status_unknown"]


@pytest.mark.parametrize(
    ("written", "watched"),
    [
        ("yes", True),
        ("TRUE", True),
        ("1", True),
        ("global", True),
        ("no", False),
        ("0", False),
        ("", False),
        (None, False),
    ],
)
def test_global_watch(written: str | None, watched: bool) -> None:
    row = normalise(source_reference="R1", product_name="x", global_watch=written)
    assert row.content is not None and row.content.global_watch is watched
    assert row.warnings == []


def test_an_unreadable_global_watch_warns_names_the_value_and_means_not_global() -> None:
    row = normalise(source_reference="R1", product_name="x", global_watch="maybe")
    assert row.content is not None and row.content.global_watch is False
    [warning] = row.warnings
    assert (warning.field, warning.code) == ("global_watch", "global_watch_unknown")
    assert "'maybe'" in warning.message


# The hash of this notice as stored before global_watch existed (computed then): a file
# sent again after the change finds its notices unchanged, not a new version of each.
STORED_BEFORE_THE_FLAG = "5fb63f84b95b813ab75265c2296f34044fe133550cdcf08dbeef21c9cddda3e9"


def test_a_notice_not_watched_globally_keeps_the_hash_it_had_before_the_flag() -> None:
    content = NoticeContent(
        source_reference="KFTC-2024-0412",
        jurisdiction="KR",
        product=Product(
            name="어린이 자석 블록", brand="키즈블록", models=["KB-100"], barcodes=["8801234567893"]
        ),
        target_platforms=["temu"],
    )

    assert content.content_hash() == STORED_BEFORE_THE_FLAG
    watched = content.model_copy(update={"global_watch": True})
    assert watched.content_hash() != STORED_BEFORE_THE_FLAG


# -- lists and text ------------------------------------------------------------------------


def test_lists_split_trimmed_and_deduplicated_ignoring_case() -> None:
    content = accepted(
        product_name="x",
        models="KB-100, KB-200;kb-100\n KB-300 ",
        measures=["sales ban", "recall, sales ban"],
        hazard_types="Chemical, Injuries",
        batch_numbers="LOT 1;LOT 2",
    )
    assert content.product.models == ["KB-100", "KB-200", "KB-300"]
    assert content.measures == ["sales ban", "recall"]
    assert content.hazard.types == ["Chemical", "Injuries"]
    assert content.product.batch_numbers == ["LOT 1", "LOT 2"]


def test_target_platforms_are_lower_cased_ids() -> None:
    assert accepted(product_name="x", target_platforms="Temu, AliExpress").target_platforms == [
        "temu",
        "aliexpress",
    ]


def test_pictures_split_between_urls_not_inside_them() -> None:
    content = accepted(
        product_name="x",
        pictures="https://a.example/p?id=1,2 https://b.example/q.jpg, https://c.example/r.jpg",
    )
    assert content.product.pictures == [
        "https://a.example/p?id=1,2",
        "https://b.example/q.jpg",
        "https://c.example/r.jpg",
    ]


def test_excel_dates_in_list_fields_become_iso_text() -> None:
    content = accepted(product_name="x", production_dates=datetime(2023, 9, 1))
    assert content.product.production_dates == ["2023-09-01"]


def test_text_is_trimmed_and_collapsed_but_keeps_line_breaks() -> None:
    content = accepted(
        product_name="  어린이   장난감\t세트 ",
        hazard_description="첫째 줄  \r\n  둘째\t\t줄\n\n\n\n셋째",
        brand="   ",
    )
    assert content.product.name == "어린이 장난감 세트"
    assert content.hazard.description == "첫째 줄\n둘째 줄\n\n셋째"
    assert content.product.brand is None


@pytest.mark.parametrize(("text", "cleaned"), [("", None), (" \n\t ", None), (" a  b ", "a b")])
def test_clean_text(text: str, cleaned: str | None) -> None:
    assert clean_text(text) == cleaned


def test_full_row_maps_every_field() -> None:
    content = accepted(
        source_reference="KFTC-2024-0412",
        kind="order",
        issued_on="2024-05-03",
        title="자석 블록 판매 중지",
        product_name="어린이 자석 블록",
        product_description="64피스 세트",
        brand="키즈블록",
        manufacturer="(주)키즈블록코리아",
        company_recall_code="KB-RC-1",
        category="완구",
        country_of_origin="중국",
        hazard_description="자석 삼킴 위험",
        risk_level="Serious risk",
        remedy="환불",
        consumer_contact="080-123-4567",
        source_url="https://example.org/r/1",
    )
    assert content.title == "자석 블록 판매 중지"
    assert content.product.description == "64피스 세트"
    assert content.product.manufacturer == "(주)키즈블록코리아"
    assert content.product.company_recall_code == "KB-RC-1"
    assert content.product.category == "완구"
    assert content.product.country_of_origin == "중국"
    assert content.hazard.risk_level == "Serious risk"
    assert content.remedy == "환불"
    assert content.consumer_contact == "080-123-4567"
    assert content.source_url == "https://example.org/r/1"


@given(st.text(alphabet=st.characters(blacklist_characters="\r\n")))
def test_a_one_line_cell_cleans_exactly_as_the_line_by_line_path_would(text: str) -> None:
    # One-line cells skip the split into lines (the intake's hot path); a trailing line
    # break sends the same text through the general path, which must agree.
    assert clean_text(text) == clean_text(text + "\n")


def test_the_whitespace_assumptions_of_the_fast_paths_hold_for_every_character() -> None:
    # clean_text skips its regexes for printable cells without double spaces, and barcode
    # cells are split with str.split() where a regex \s was used: both rely on these.
    every_character = "".join(map(chr, range(sys.maxunicode + 1)))
    whitespace = re.findall(r"\s", every_character)
    assert whitespace == [character for character in every_character if character.isspace()]
    assert [character for character in whitespace if character.isprintable()] == [" "]


# -- wording a recall notice must not carry ------------------------------------------


def test_softening_wording_is_warned_on_its_field() -> None:
    row = normalise(
        source_reference="R1",
        product_name="보조배터리",
        hazard_description="자발적 리콜입니다. 보고된 사고는 없습니다.",
        remedy="As a precaution, return it for a refund.",
        title="Voluntary recall",  # not shown in a recall notice: no warning
    )
    assert row.accepted
    softening = [problem for problem in row.warnings if problem.code == "softening_wording"]
    assert [problem.field for problem in softening] == ["hazard_description", "remedy"]
    assert "'자발적'" in softening[0].message
    assert "'보고된 사고는 없습니다'" in softening[0].message
    assert "'precaution'" in softening[1].message


@pytest.mark.parametrize(
    "text",
    [
        "Freiwilliger Rückruf, vorsorglich",
        "Rappel volontaire par précaution",
        "Vrijwillige terugroepactie uit voorzorg",
        "Retirada voluntaria; en raras ocasiones",
        "Richiamo volontario a titolo precauzionale",
        "Dobrowolne wycofanie, w rzadkich przypadkach",
        "In rare situations the battery may overheat; no reported accidents.",
    ],
)
def test_softening_is_recognised_in_every_supported_language(text: str) -> None:
    row = normalise(source_reference="R1", product_name="Heater", hazard_description=text)
    assert "softening_wording" in codes(row.warnings)


def test_plain_hazard_wording_is_not_warned() -> None:
    row = normalise(
        source_reference="R1",
        product_name="Heater",
        hazard_description="The heater overheats and can start a fire. Stop using it now.",
        remedy="Free refund",
    )
    assert "softening_wording" not in codes(row.warnings)


_REPEATED_CELLS = st.fixed_dictionaries(
    {
        "source_reference": st.sampled_from(["R1", "R2"]),
        "product_name": st.sampled_from(["Heater", "voluntary recall: heater", "난로"]),
        "hazard_types": st.sampled_from(["Fire", "Fire; burns", "fire,FIRE", " ", "자진 리콜"]),
        "hazard_description": st.sampled_from(["Burns", "precautionary", "드물게 화재"]),
        "risk_level": st.sampled_from(["", "Serious", "serious "]),
        "measures": st.sampled_from(["Recall", "Recall\nWithdrawal", ";"]),
        "target_platforms": st.sampled_from(["temu;aliexpress", "Temu, TEMU", "coupang"]),
    }
)


@given(st.lists(_REPEATED_CELLS, min_size=1, max_size=6))
def test_rows_sharing_a_memo_come_out_as_rows_normalised_alone(rows: list[dict[str, str]]) -> None:
    # A file's rows share one CellMemo: a cell seen before is not split or searched again,
    # a hazard seen before not validated again.
    memo = CellMemo()
    for fields in rows:
        record = RawRecord(row=7, locator="row 7", fields=dict(fields))
        shared = normalise_record(record, limits=IntakeLimits(), defaults=KR, memo=memo)
        assert shared == normalise(**fields)


@given(st.text(alphabet=" \t\n\r,;ab\u00a0\u0085É", max_size=12))
def test_a_list_cell_without_separators_is_cleaned_as_when_split(text: str) -> None:
    # A one-piece cell skips the split; a list value always takes it.
    assert _cleaned_cells({"models": text})[1]["models"] == _pieces([text], _SPLIT_LIST)


@given(st.text(alphabet=" \t\n\r,;aAb\u00a0\u0085\x00É", max_size=12))
def test_a_text_cell_is_cleaned_as_clean_text_cleans_it(text: str) -> None:
    # The row's pass over its cells takes clean_text's first case inline.
    assert _cleaned_cells({"title": text})[0]["title"] == clean_text(text)


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([], []),
        (["a"], ["a"]),
        (["a", "b"], ["a", "b"]),
        (["Temu", "TEMU"], ["Temu"]),
        (["a", "b", "A", "c", "B"], ["a", "b", "c"]),
    ],
)
def test_repeats_are_dropped_ignoring_case_keeping_the_first(
    items: list[str], unique: list[str]
) -> None:
    assert _unique(items) == unique


@given(st.lists(st.text(alphabet=" \t\n\r,;/|-0123456789aAbß\u00a0\x00É", max_size=16)))
def test_barcode_and_kc_pieces_are_cleaned_as_every_other_list(texts: list[str]) -> None:
    # One cell's pieces skip clean_text (their splitters leave nothing for it to do);
    # a list value's pieces take it, like every other list's.
    for splitter in (split_barcodes, split_kc_certificates):
        for text in texts:
            assert _pieces(text, splitter) == _pieces([text], splitter)


def test_no_character_upper_cases_to_whitespace() -> None:
    # KC numbers are upper-cased after their whitespace is squeezed out; their pieces
    # skip clean_text on the strength of this.
    every_character = map(chr, range(sys.maxunicode + 1))
    assert not [
        character
        for character in every_character
        if not character.isspace() and any(map(str.isspace, character.upper()))
    ]
