"""Regenerate the binary and non-UTF-8 sample files: ``python samples/make_samples.py``.

The text samples (UTF-8 CSV, JSON, JSON Lines, CPSC, Safety Gate XML and the hostile
XML files) are written by hand; this script makes the ones an editor cannot: the
CP949 CSV, the XLSX workbook and the hostile binary files. Output is deterministic.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

SAMPLES = Path(__file__).resolve().parent
HOSTILE = SAMPLES / "hostile"
# A fixed time instead of "now" keeps the workbook bytes stable across regenerations.
FIXED_TIME = datetime(2026, 1, 5, 9, 0, 0)
FIXED_STAMP = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")

KOREAN_HEADER = [
    "리콜번호", "조치구분", "공표일", "국가", "제품명", "브랜드", "모델명", "바코드",
    "KC인증번호", "제조사", "위해유형", "위해내용", "조치내용", "대상플랫폼", "상태", "비고",
]  # fmt: skip

CP949_ROWS = [
    ["KATS-2024-1187", "리콜명령", "2024.06.03", "KR", "어린이용 물놀이 튜브", "아쿠아키즈",
     "AK-70, AK-90", "8801234567893", "CB063R1234-5001", "(주)아쿠아키즈", "Drowning",
     "공기 주입구 밸브 불량으로 공기가 빠짐", "리콜; 판매중지", "temu, aliexpress", "", "긴급"],
    ["KATS-2024-1188", "리콜권고", "20240604", "KR", "보조배터리 20000mAh", "에너지원",
     "EW-20K", "8809876543213 / 8805550123451", "HU07123-18001, SU071356-12001", "에너지원",
     "Fire", "과충전 보호회로 미작동으로 발화 위험", "리콜", "", "", ""],
    ["KATS-2024-1189", "자진리콜", "2024년 6월 5일", "KR", "유아용 식판 세트", "꼬마밥상",
     "KB-3", "88012345678", "", "꼬마밥상", "Chemical", "폼알데하이드 기준치 초과", "리콜",
     "", "철회", "공급자 요청으로 철회"],
    ["", "리콜명령", "작년 여름", "KR", "", "", "", "", "", "미상", "Injuries",
     "제품 정보 없음", "판매중지", "", "", ""],
    ["KATS-2024-1191", "리콜명령", "2024/06/07", "KOR", "전동 킥보드 충전기", "씽씽",
     "SS-42V", "8801112223330", "XU100123-15002", "씽씽모빌리티", "Electric shock",
     "절연 불량으로 감전 위험", "리콜", "", "", ""],
]  # fmt: skip

XLSX_HEADER = [
    "리콜번호", "공표일", "국가", "제품명", "브랜드", "모델명", "바코드", "인증번호",
    "제조업체", "위해유형", "결함내용", "리콜조치", "대상플랫폼",
]  # fmt: skip

XLSX_ROWS: list[list[object] | None] = [
    ["KCA-2025-0301", datetime(2025, 7, 1), "KR", "어린이 장난감 드론", "하늘놀이",
     "HD-10", 8801357924689, "CB063R1234-5001", "하늘놀이(주)", "Injuries",
     "프로펠러 보호대가 쉽게 분리되어 손가락 베임 위험", "리콜", "temu"],
    ["KCA-2025-0302", datetime(2025, 7, 2), "KR", "휴대용 전기 손난로", "따끈",
     "TK-5000", "8802468135797,\n 8802468135790", "HU07123-18001", "따끈전자", "Burns",
     "표면 온도가 기준을 초과하여 화상 위험", "판매중지, 리콜", ""],
    None,  # a blank row regulators leave between blocks
    ["KCA-2025-0303", "2025-07-03", "KR", "아동용 썬글라스", "반짝눈", "BN-1",
     885909950, "", "반짝눈", "Injuries", "렌즈가 쉽게 깨짐", "리콜", ""],
    ["KCA-2025-0304", datetime(2025, 7, 4), "KR", None, "없음", None, None, None,
     "알수없음", "Chemical", "제품 식별 정보 누락", "판매중지", ""],
    ["KCA-2025-0305", datetime(2025, 7, 5), "KO", "무선 이어폰 충전 케이스", "소리샘",
     "SS-P2", 8801112223330, "", "소리샘", "Fire", "충전 중 발열", "리콜", ""],
]  # fmt: skip


def write_cp949_csv() -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")  # as Excel on Windows saves it
    writer.writerow(KOREAN_HEADER)
    writer.writerows(CP949_ROWS)
    (SAMPLES / "kftc-notices-cp949.csv").write_bytes(buffer.getvalue().encode("cp949"))


def workbook_bytes() -> bytes:
    workbook = Workbook()
    guide = workbook.active
    assert guide is not None
    guide.title = "안내"
    guide.append(["이 시트는 작성 안내입니다. 리콜 목록은 notices 시트에 있습니다."])
    sheet = workbook.create_sheet("notices")
    sheet.append(XLSX_HEADER)
    for row in XLSX_ROWS:
        sheet.append(row or [])
    workbook.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _with_fixed_zip_times(buffer.getvalue())


def _with_fixed_zip_times(data: bytes) -> bytes:
    """Rewrite the archive with fixed timestamps so regeneration is byte-stable (openpyxl
    stamps the save time into docProps/core.xml and every ZIP entry)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + FIXED_STAMP + rb"\g<2>", content)
            stable = zipfile.ZipInfo(entry.filename, date_time=FIXED_TIME.timetuple()[:6])
            stable.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(stable, content)
    return output.getvalue()


def write_hostile(workbook: bytes) -> None:
    HOSTILE.mkdir(exist_ok=True)
    # Cut off before the ZIP central directory, as an interrupted upload would.
    (HOSTILE / "truncated.xlsx").write_bytes(workbook[: len(workbook) // 2])
    (HOSTILE / "binary-junk.csv").write_bytes(random.Random(20260105).randbytes(4096))
    long_cell = "위험 " * 10_000  # 30,000 characters
    rows = [
        "source_reference,jurisdiction,product_name,hazard_description",
        "LONG-1,KR,어린이 장난감,짧은 설명",
        f"LONG-2,KR,보조배터리,{long_cell}",
    ]
    (HOSTILE / "long-cell.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def main() -> None:
    write_cp949_csv()
    workbook = workbook_bytes()
    (SAMPLES / "kftc-notices.xlsx").write_bytes(workbook)
    write_hostile(workbook)


if __name__ == "__main__":
    main()
