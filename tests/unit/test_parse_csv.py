"""CSV: the canonical template, Korean headers, native Korean feed names, encodings."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib.intake.fields import ALIASES, CANONICAL_FIELDS, canonical_field
from chalicelib.intake.formats import tabular
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile, ParsedRow

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
KR = RegulatorDefaults(jurisdiction="KR", language="ko")


def parse(data: bytes, filename: str = "notices.csv") -> ParsedFile:
    return parse_notice_file(
        data, filename=filename, format_hint=None, limits=IntakeLimits(), defaults=KR
    )


def parse_text(text: str) -> ParsedFile:
    return parse(text.encode("utf-8"))


def by_row(parsed: ParsedFile) -> dict[int, ParsedRow]:
    return {row.row: row for row in parsed.rows}


def problem_codes(row: ParsedRow) -> tuple[list[str], list[str]]:
    return [p.code for p in row.errors], [p.code for p in row.warnings]


# -- the UTF-8 sample ------------------------------------------------------------------


def test_utf8_sample_outcome_per_row() -> None:
    parsed = parse((SAMPLES / "kftc-notices.csv").read_bytes(), "kftc-notices.csv")
    assert parsed.refused is None and parsed.format == "csv"
    assert parsed.warnings == []
    rows = by_row(parsed)
    assert sorted(rows) == [2, 3, 4, 6, 7, 8]  # row 5 is blank and skipped
    assert {number: problem_codes(row) for number, row in rows.items()} == {
        2: ([], []),
        3: ([], ["barcode_check_digit"]),
        4: ([], ["barcode_length", "kc_certificate_format"]),
        6: (["product_unidentified"], []),
        7: (["jurisdiction_invalid"], []),
        8: ([], ["source_reference_derived"]),
    }


def test_utf8_sample_values() -> None:
    rows = by_row(parse((SAMPLES / "kftc-notices.csv").read_bytes()))
    first = rows[2].content
    assert first is not None
    assert first.source_reference == "KFTC-2024-0412"
    assert first.kind == "order"
    assert str(first.issued_on) == "2024-05-03"
    assert first.product.name == "어린이 자석 블록 장난감 세트"
    assert first.product.models == ["KB-100", "KB-200"]
    assert first.product.kc_certificates == ["CB063R1234-5001"]
    assert first.measures == ["sales ban", "recall"]
    assert first.target_platforms == ["temu", "aliexpress"]
    multi = rows[3].content
    assert multi is not None
    assert multi.product.barcodes == ["8809876543213", "8805550123450"]
    assert multi.product.suspect_barcodes == ["8801112223331"]
    assert str(multi.issued_on) == "2024-05-06"
    withdrawn = rows[8].content
    assert withdrawn is not None and withdrawn.withdrawn is True
    assert str(withdrawn.issued_on) == "2024-05-13"


# -- the CP949 sample with Korean headers ----------------------------------------------


def test_cp949_sample_is_decoded_and_korean_headers_mapped() -> None:
    data = (SAMPLES / "kftc-notices-cp949.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the sample really is CP949
    parsed = parse(data, "kftc-notices-cp949.csv")
    assert parsed.refused is None
    assert [(w.code, w.message) for w in parsed.warnings] == [
        ("unknown_fields", "ignored fields this exchange does not know: '비고'")
    ]
    rows = by_row(parsed)
    assert {number: problem_codes(row) for number, row in rows.items()} == {
        2: ([], []),
        3: ([], ["barcode_check_digit"]),
        4: ([], ["barcode_length"]),
        5: (["product_unidentified"], ["date_unreadable"]),
        6: (["jurisdiction_invalid"], []),
    }
    order = rows[2].content
    assert order is not None
    assert (order.source_reference, order.kind, str(order.issued_on)) == (
        "KATS-2024-1187",
        "order",
        "2024-06-03",
    )
    assert order.product.name == "어린이용 물놀이 튜브"
    assert order.product.brand == "아쿠아키즈"
    assert order.product.manufacturer == "(주)아쿠아키즈"
    assert order.hazard.description == "공기 주입구 밸브 불량으로 공기가 빠짐"
    assert order.measures == ["리콜", "판매중지"]
    second = rows[3].content
    assert second is not None and second.kind == "notice"
    assert second.product.kc_certificates == ["HU07123-18001", "SU071356-12001"]
    third = rows[4].content
    assert third is not None
    assert (str(third.issued_on), third.withdrawn) == ("2024-06-05", True)


def test_euc_kr_bytes_decode_too() -> None:
    text = "제품명,바코드\n어린이 장난감,8801234567893\n"
    row = parse(text.encode("euc-kr")).rows[0]
    assert row.content is not None and row.content.product.name == "어린이 장난감"


# -- headers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header", ["product_name", "Product name", "PRODUCT NAME", "product-name", " Product_Name "]
)
def test_english_header_variants(header: str) -> None:
    row = parse_text(f"{header},source_reference\n보조배터리,R1\n").rows[0]
    assert row.content is not None and row.content.product.name == "보조배터리"


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("제품명", "product_name"),
        ("품목명", "product_name"),
        ("브랜드", "brand"),
        ("상표명", "brand"),
        ("모델명", "models"),
        ("바코드", "barcodes"),
        ("제조사", "manufacturer"),
        ("제조업체", "manufacturer"),
        ("인증번호", "kc_certificates"),
        ("KC인증번호", "kc_certificates"),
        ("제조번호", "batch_numbers"),
        ("로트번호", "batch_numbers"),
        ("위해유형", "hazard_types"),
        ("리콜유형", "hazard_types"),
        ("위해내용", "hazard_description"),
        ("결함내용", "hazard_description"),
        ("조치", "measures"),
        ("조치내용", "measures"),
        ("리콜조치", "measures"),
        ("리콜번호", "source_reference"),
        ("관리번호", "source_reference"),
        ("공표일", "issued_on"),
        ("게시일", "issued_on"),
        ("리콜일", "issued_on"),
        ("제조일자", "production_dates"),
        ("국가", "jurisdiction"),
        ("대상플랫폼", "target_platforms"),
        ("상태", "status"),
        # SafetyKorea
        ("recallUid", "source_reference"),
        ("recallProductName", "product_name"),
        ("recallBrandName", "brand"),
        ("recallModelName", "models"),
        ("barcodeNum", "barcodes"),
        ("certNum", "kc_certificates"),
        ("recallTypeName", "kind"),
        ("makerName", "manufacturer"),
        ("publishDate", "issued_on"),
        ("harmDscr", "hazard_description"),
        # Consumer24
        ("productNm", "product_name"),
        ("makr", "manufacturer"),
        ("modlNmInfo", "models"),
        ("stdBrcd", "barcodes"),
        ("shrtcomCn", "hazard_description"),
        ("recallSe", "kind"),
        ("recallPublictBgnde", "issued_on"),
    ],
)
def test_header_aliases(header: str, field: str) -> None:
    assert canonical_field(header) == field


def test_no_alias_means_two_fields() -> None:
    keys = [
        "".join(ch for ch in name if ch not in " _-.").casefold()
        for field in CANONICAL_FIELDS
        for name in (field, *ALIASES.get(field, ()))
    ]
    assert len(keys) == len(set(keys))


def test_safetykorea_export_loads_as_csv() -> None:
    text = (
        "recallUid,recallProductName,recallBrandName,recallModelName,barcodeNum,certNum,"
        "recallTypeName,makerName,publishDate,harmDscr\n"
        'SK-2024-00031,보조배터리,파워탱크,PT-10K,8809876543213,"HU07123-18001,SU071356-12001",'
        "리콜명령,선전파워테크,20240506,과열로 인한 화재 위험\n"
    )
    content = parse_text(text).rows[0].content
    assert content is not None
    assert (content.source_reference, content.kind, str(content.issued_on)) == (
        "SK-2024-00031",
        "order",
        "2024-05-06",
    )
    assert content.product.kc_certificates == ["HU07123-18001", "SU071356-12001"]
    assert content.product.manufacturer == "선전파워테크"
    assert content.hazard.description == "과열로 인한 화재 위험"


def test_consumer24_export_loads_as_csv() -> None:
    text = (
        "productNm,makr,modlNmInfo,stdBrcd,shrtcomCn,recallSe,recallPublictBgnde\n"
        "유아용 카시트,안전맘,AM-7,8801357924689,버클 파손 위험,리콜권고,2024-07-01\n"
    )
    row = parse_text(text).rows[0]
    assert row.content is not None
    assert row.content.product.models == ["AM-7"]
    assert row.content.product.barcodes == ["8801357924689"]
    assert row.content.kind == "notice"
    assert [w.code for w in row.warnings] == ["source_reference_derived"]


def test_unknown_columns_warn_once_for_the_file() -> None:
    parsed = parse_text("product_name,비고,internal id,source_reference\nx,메모,77,R1\ny,,78,R2\n")
    assert [w.message for w in parsed.warnings] == [
        "ignored fields this exchange does not know: '비고', 'internal id'"
    ]
    assert all(row.accepted for row in parsed.rows)


def test_duplicate_columns_use_the_first_and_warn() -> None:
    parsed = parse_text("제품명,품목명,source_reference\n보조배터리,전기용품,R1\n")
    assert [w.code for w in parsed.warnings] == ["duplicate_column"]
    content = parsed.rows[0].content
    assert content is not None and content.product.name == "보조배터리"


@pytest.mark.parametrize("text", ["a,b,c\n1,2,3\n", "메모,비고\n1,2\n"])
def test_no_recognisable_header_refuses_the_file(text: str) -> None:
    parsed = parse_text(text)
    assert parsed.refused is not None
    assert parsed.refused.code == "no_header"
    assert "row 1" in parsed.refused.message


def test_header_only_file_has_no_rows_and_says_so() -> None:
    parsed = parse_text("product_name,barcodes\n")
    assert parsed.refused is None and parsed.rows == []
    assert [w.code for w in parsed.warnings] == ["no_records"]


# -- layout --------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    text = delimiter.join(["product_name", "models", "source_reference"]) + "\n"
    text += delimiter.join(["보조배터리", '"PT-10K, PT-20K"', "R1"]) + "\n"
    content = parse_text(text).rows[0].content
    assert content is not None
    assert content.product.models == ["PT-10K", "PT-20K"]


@given(st.text(alphabet="a,;\t \r\n\x0b\x1c\u2028", max_size=30), st.integers(1, 12))
@example("a,;;\n", 2)  # cut inside the header line
def test_the_header_line_is_found_from_the_files_start_as_in_the_whole_file(
    text: str, search_chars: int
) -> None:
    # The delimiter is sniffed from the first non-blank line among the lines of the
    # file's start, whatever breaks them and wherever the cut falls.
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    with patch.object(tabular, "_HEADER_SEARCH_CHARS", search_chars):
        assert tabular._delimiter(text) == (best if counts[best] else ",")


def test_bom_and_crlf_are_handled() -> None:
    parsed = parse(b"\xef\xbb\xbfproduct_name,source_reference\r\nx,R1\r\n")
    assert [row.accepted for row in parsed.rows] == [True]


def test_row_numbers_are_spreadsheet_rows_even_with_multiline_cells() -> None:
    text = (
        "\n"  # an empty first line: the header is row 2
        "source_reference,product_name,hazard_description\n"
        'R1,x,"첫째 줄\n둘째 줄"\n'
        ",,\n"
        "R2,y,z\n"
    )
    parsed = parse_text(text)
    assert [(row.row, row.locator) for row in parsed.rows] == [(3, "row 3"), (5, "row 5")]
    first = parsed.rows[0].content
    assert first is not None and first.hazard.description == "첫째 줄\n둘째 줄"


def test_short_rows_leave_missing_cells_empty() -> None:
    content = parse_text("source_reference,product_name,brand\nR1,x\n").rows[0].content
    assert content is not None and content.product.brand is None


def test_latin1_csv_falls_back_to_detection() -> None:
    text = "source_reference;product_name;brand;jurisdiction\nDE-1;Kreisel für Kinder;Müller;DE\n"
    content = parse(text.encode("latin-1")).rows[0].content
    assert content is not None
    assert (content.product.name, content.product.brand) == ("Kreisel für Kinder", "Müller")


def test_utf16_with_bom_as_excel_unicode_text() -> None:
    text = "제품명\t바코드\n어린이 장난감\t8801234567893\n"
    content = parse(text.encode("utf-16")).rows[0].content
    assert content is not None and content.product.barcodes == ["8801234567893"]
