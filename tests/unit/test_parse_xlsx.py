"""XLSX: the Korean-header sample workbook, sheet choice, Excel cell types, damage."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile
from samples import make_samples

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
KR = RegulatorDefaults(jurisdiction="KR", language="ko")


def parse(data: bytes, limits: IntakeLimits | None = None) -> ParsedFile:
    return parse_notice_file(
        data,
        filename="notices.xlsx",
        format_hint=None,
        limits=limits or IntakeLimits(),
        defaults=KR,
    )


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_sample_reads_the_notices_sheet_with_spreadsheet_row_numbers() -> None:
    parsed = parse((SAMPLES / "kftc-notices.xlsx").read_bytes())
    assert parsed.refused is None and parsed.format == "xlsx"
    outcome = {
        row.row: ([p.code for p in row.errors], [p.code for p in row.warnings])
        for row in parsed.rows
    }
    assert outcome == {
        2: ([], []),
        3: ([], ["barcode_check_digit"]),
        5: ([], ["barcode_length"]),  # row 4 is blank
        6: (["product_unidentified"], []),
        7: (["jurisdiction_invalid"], []),
    }


def test_sample_excel_dates_numbers_and_korean_headers() -> None:
    rows = {row.row: row for row in parse((SAMPLES / "kftc-notices.xlsx").read_bytes()).rows}
    drone = rows[2].content
    assert drone is not None
    assert drone.source_reference == "KCA-2025-0301"
    assert str(drone.issued_on) == "2025-07-01"  # a datetime cell
    assert drone.product.barcodes == ["8801357924689"]  # a number cell
    assert drone.product.kc_certificates == ["CB063R1234-5001"]
    assert drone.product.manufacturer == "하늘놀이(주)"
    assert drone.target_platforms == ["temu"]
    warmer = rows[3].content
    assert warmer is not None
    assert warmer.product.barcodes == ["8802468135797"]
    assert warmer.product.suspect_barcodes == ["8802468135790"]
    assert warmer.measures == ["판매중지", "리콜"]
    glasses = rows[5].content
    assert glasses is not None
    assert str(glasses.issued_on) == "2025-07-03"  # a text cell holding a date
    assert glasses.product.suspect_barcodes == ["885909950"]  # leading zero lost by Excel


def test_first_sheet_is_used_without_a_notices_sheet() -> None:
    data = workbook(
        ("리콜목록", [["제품명", "리콜번호"], ["보조배터리", "R1"]]),
        ("기타", [["제품명", "리콜번호"], ["다른 제품", "R2"]]),
    )
    parsed = parse(data)
    assert [row.content.product.name for row in parsed.rows if row.content] == ["보조배터리"]


def test_cell_types_become_text() -> None:
    data = workbook(
        (
            "notices",
            [
                ["source_reference", "product_name", "barcodes", "models", "issued_on"],
                [2024118, "드론", 8801234567893.0, 3.5, datetime(2024, 5, 3, 14, 30)],
            ],
        )
    )
    content = parse(data).rows[0].content
    assert content is not None
    assert content.source_reference == "2024118"
    assert content.product.barcodes == ["8801234567893"]
    assert content.product.models == ["3.5"]
    assert str(content.issued_on) == "2024-05-03"


def test_truncated_workbook_is_refused_with_a_reason() -> None:
    parsed = parse((SAMPLES / "hostile" / "truncated.xlsx").read_bytes())
    assert parsed.format == "xlsx"
    assert parsed.refused is not None
    assert parsed.refused.code == "xlsx_corrupt"
    assert "truncated or corrupt" in parsed.refused.message


def test_zip_without_a_workbook_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    parsed = parse(buffer.getvalue())
    assert parsed.refused is not None and parsed.refused.code == "not_xlsx"


def test_workbook_expanding_far_beyond_the_byte_limit_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 200_000)
    data = buffer.getvalue()
    parsed = parse(data, IntakeLimits(max_file_bytes=len(data) + 10))
    assert parsed.refused is not None
    assert parsed.refused.code == "xlsx_too_large"


def test_damaged_workbook_parts_are_refused_not_raised() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<not really a workbook")
    parsed = parse(buffer.getvalue())
    assert parsed.refused is not None and parsed.refused.code == "xlsx_unreadable"


def test_committed_binary_samples_match_their_generator() -> None:
    assert make_samples.workbook_bytes() == (SAMPLES / "kftc-notices.xlsx").read_bytes()
