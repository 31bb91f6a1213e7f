"""GTIN check digits and KC certificate numbers as regulators write them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.identifiers.jurisdictions import (
    _NAMES,
    ISO_3166_ALPHA2,
    UNION_WIDE,
    jurisdiction_code,
)
from chalicelib.identifiers.products import (
    gtin_check_digit,
    gtin_issue,
    kc_certificate_issue,
    split_barcodes,
    split_kc_certificates,
)
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.normalise import normalise_record
from chalicelib.intake.raw import RawRecord


@pytest.mark.parametrize(
    ("body", "digit"),
    [("400638133393", 1), ("03600029145", 2), ("9638507", 4), ("0001234560001", 2)],
)
def test_check_digit_follows_gs1_mod10(body: str, digit: int) -> None:
    assert gtin_check_digit(body) == digit


@given(st.text(alphabet="0123456789", max_size=17))
def test_check_digit_weighs_every_digit_as_gs1_says(body: str) -> None:
    # The GS1 definition digit by digit: 3 for the rightmost and every second one left.
    weighted = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body))
    )
    assert gtin_check_digit(body) == (10 - weighted % 10) % 10


@given(
    st.sampled_from([8, 12, 13, 14]).flatmap(
        lambda n: st.text("0123456789", min_size=n, max_size=n)
    )
)
def test_a_code_passes_exactly_when_its_last_digit_is_the_check_digit(code: str) -> None:
    # gtin_issue weighs the whole code at once; gtin_check_digit only the digits before
    # the last.
    expected = gtin_check_digit(code[:-1])
    issue = gtin_issue(code)
    if not code.strip("0"):
        assert issue is not None and issue.code == "barcode_placeholder"
    elif int(code[-1]) == expected:
        assert issue is None
    else:
        assert issue is not None and issue.code == "barcode_check_digit"
        assert issue.message.endswith(f"(expected last digit {expected})")


@given(st.text(alphabet="0123456789 -,;/|\r\n\t", max_size=40))
def test_barcodes_split_on_commas_alone_as_on_every_separator(text: str) -> None:
    # A cell with commas alone skips the regex; its pieces must give the same codes.
    pieces = re.split(r"[\r\n,;/|]+", text)
    assert split_barcodes(text) == [code for piece in pieces for code in split_barcodes(piece)]


@pytest.mark.parametrize("body", ["40063813339a", "4006 3813339", "\u0664\u0660\u0660", "４００"])
def test_check_digit_refuses_what_is_not_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError):
        gtin_check_digit(body)


@pytest.mark.parametrize(
    "code",
    ["96385074", "036000291452", "4006381333931", "8801234567893", "00012345600012"],
    ids=["gtin-8", "upc-a", "ean-13", "korean-ean-13", "gtin-14"],
)
def test_valid_gtins_have_no_issue(code: str) -> None:
    assert gtin_issue(code) is None


@pytest.mark.parametrize(
    ("code", "issue"),
    [
        ("4006381333932", "barcode_check_digit"),
        ("036000291453", "barcode_check_digit"),
        ("0885909950", "barcode_length"),
        ("880123456789012", "barcode_length"),
        ("88012345678AB", "barcode_characters"),
        ("8.80123E+12", "barcode_characters"),
        ("0000000000000", "barcode_placeholder"),
        ("８８０１２３４５６７８９３", "barcode_characters"),  # full-width digits
    ],
)
def test_bad_codes_are_named_by_their_fault(code: str, issue: str) -> None:
    found = gtin_issue(code)
    assert found is not None
    assert found.code == issue
    assert code in found.message


def test_check_digit_message_gives_the_expected_digit() -> None:
    found = gtin_issue("4006381333932")
    assert found is not None
    assert "expected last digit 1" in found.message


def test_scientific_notation_message_says_how_to_fix_it() -> None:
    found = gtin_issue("8.80123E+12")
    assert found is not None
    assert "scientific notation" in found.message


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("8801234567893", ["8801234567893"]),
        (" 8801234567893 , 8809876543213\n8805550123450 ", [
            "8801234567893", "8809876543213", "8805550123450"]),
        ("8801234567893;036000291452|96385074/4006381333931", [
            "8801234567893", "036000291452", "96385074", "4006381333931"]),
        ("880-1234-567893", ["8801234567893"]),
        ("880 1234 567893", ["8801234567893"]),
        ("4006381333931 5031000123456", ["4006381333931", "5031000123456"]),
        ("0885909950", ["0885909950"]),
        (",, ;\n", []),
    ],
)  # fmt: skip
def test_split_barcodes(cell: str, codes: list[str]) -> None:
    assert split_barcodes(cell) == codes


def test_space_separated_invalid_codes_stay_one_suspect_code() -> None:
    # Only split on spaces when every part is a valid GTIN: otherwise it is one typo.
    assert split_barcodes("880123 4567890") == ["8801234567890"]


def test_split_kc_certificates_upper_cases_and_keeps_hyphens() -> None:
    cell = "su071356-12001, CB063R1234-5001\nHU07123 - 18001"
    assert split_kc_certificates(cell) == ["SU071356-12001", "CB063R1234-5001", "HU07123-18001"]


@pytest.mark.parametrize(
    "number", ["SU071356-12001", "CB063R1234-5001", "HU07123-18001", "YU07312-20002"]
)
def test_kc_numbers_in_known_shapes_pass(number: str) -> None:
    assert kc_certificate_issue(number) is None


@pytest.mark.parametrize("number", ["인증없음", "12345-678", "SU071356", "R-R-SEC-AB123"])
def test_other_kc_numbers_are_flagged(number: str) -> None:
    found = kc_certificate_issue(number)
    assert found is not None
    assert found.code == "kc_certificate_format"


@pytest.mark.parametrize(
    "number",
    [
        "SU\u0660\u06671356-\u0661\u0662\u0660\u0660\u0661",  # Arabic-Indic digits
        "SU071356-\uff11\uff12\uff10\uff10\uff11",  # fullwidth digits
        "SU071356-12001\n",
    ],
)
def test_kc_numbers_need_ascii_digits_and_nothing_after(number: str) -> None:
    found = kc_certificate_issue(number)
    assert found is not None
    assert found.code == "kc_certificate_format"


def test_a_kc_number_in_other_digits_warns_on_its_row() -> None:
    cell = "SU\u0660\u06671356-\u0661\u0662\u0660\u0660\u0661"
    record = RawRecord(
        row=2,
        locator="row 2",
        fields={"source_reference": "R1", "product_name": "x", "kc_certificates": cell},
    )
    row = normalise_record(
        record, limits=IntakeLimits(), defaults=RegulatorDefaults(jurisdiction="KR")
    )
    assert [problem.code for problem in row.warnings] == ["kc_certificate_format"]


def test_only_ascii_digits_read_as_scientific_notation() -> None:
    found = gtin_issue("\u0668.\u0668\u0660E+12")
    assert found is not None
    assert "scientific notation" not in found.message


def test_no_jurisdiction_name_is_spelled_as_a_code() -> None:
    # A cell holding a code is returned before the names are looked up.
    codes = ISO_3166_ALPHA2 | {UNION_WIDE}
    assert not [name for name in _NAMES if " ".join(name.split()).upper() in codes]
    assert [jurisdiction_code(code) for code in sorted(codes)] == sorted(codes)
