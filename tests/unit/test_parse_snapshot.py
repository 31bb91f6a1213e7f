"""Parsing gives byte-for-byte the outcome it gave before the issue-9 speed work.

The snapshot (``fixtures/parse_snapshot/outcomes.json.gz``) was written by the parser as it
was before that work; any change to accepted/rejected rows, problems, normalised content
or content hashes fails here. Inputs: every file in samples/ (read with and without
regulator defaults), the benchmark's generated files, and ``messy.csv``, a generated
file whose cells mix the awkward spellings normalisation must handle.

After an intended change of outcome, regenerate it and review the diff:
``PYTHONPATH=functions:. .venv/bin/python -m tests.unit.test_parse_snapshot``.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from pathlib import Path
from typing import Any

from bench.notice_files import canonical_csv, safety_gate_week
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "parse_snapshot" / "outcomes.json.gz"
DEFAULTS = {
    "none": RegulatorDefaults(),
    "kr": RegulatorDefaults(jurisdiction="KR", language="ko"),
}

# Awkward spellings per column; messy.csv combines them at random (fixed seed).
MESSY_CELLS: dict[str, list[str]] = {
    "source_reference": ["", "  KR-1  ", "R\u00a0 2", "x" * 201, "ref\r\nline", "A/1;B"],
    "kind": ["", "order", "ORDER", "notice", "리콜명령", "리콜권고", "자진리콜", "warn"],
    "issued_on": [
        "",
        "2024-05-03",
        "2024-5-3 10:00:00",
        "20240503",
        "2024. 5. 3.",
        "2024/05/03",
        "2024년 5월 3일",
        "03/05/2024",
        "3.5.2024",
        "2024-02-30",
        "05/13/2024",
        "yesterday",
        "  ",
    ],
    "jurisdiction": ["", "KR", "kr", "EU", "Korea", "ZZ", " de "],
    "language": ["", "ko", "EN-us", "en_GB", "korean", "x"],
    "title": ["", "  Recall\t\tof   toys ", "line 1\n\n\n\nline 2", "a\r\nb\rc"],
    "product_name": ["", "Toy", "  블록  장난감 ", "Name\n\nwith\n\n\n\nbreaks"],
    "brand": ["", "Toyco", " toyco "],
    "models": ["", "M-1", "M-1, m-1; M-2", "A\nB\n\nC", ",,;"],
    "barcodes": [
        "",
        "8801234567893",
        "8801234567890",
        "880 1234 567893",
        "88012345678931",
        "4006381333931 8801234567893",
        "8.80123E+12",
        "ABC-123",
        "0000000000000",
        "12345",
        "96385074 | 036000291452/",
        "8801234567893;8801234567893",
    ],
    "kc_certificates": ["", "SU071356-12001", "cb063r1234-5001, HU07123-18001", "KC 123", "x"],
    "pictures": [
        "",
        "https://a.example/1.jpg https://a.example/2,3.jpg",
        "https://a.example/1.jpg;https://a.example/x;y.jpg",
        "https://a.example/1.jpg|https://b.example/2.jpg",
    ],
    "hazard_types": ["", "Choking", "Choking, choking; Fire"],
    "risk_level": ["", "Serious", "  high "],
    "measures": ["", "Recall\nWithdrawal", "Recall; recall"],
    "target_platforms": ["", "Temu;AliExpress", "temu, TEMU"],
    "status": ["", "withdrawn", "철회", "Active", "amended", "Y", "0", "maybe", "철회됨"],
    "source_url": ["", "https://example.org/n/1"],
}


def messy_csv(rows: int = 300, seed: int = 9) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MESSY_CELLS)
    for _ in range(rows):
        writer.writerow(rng.choice(values) for values in MESSY_CELLS.values())
    return out.getvalue().encode("utf-8")


def inputs() -> dict[str, bytes]:
    files = {
        str(path.relative_to(SAMPLES)): path.read_bytes()
        for path in sorted(SAMPLES.rglob("*"))
        if path.is_file() and path.suffix != ".py"
    }
    files["bench.csv"] = canonical_csv(100)
    files["bench-safety-gate.xml"] = safety_gate_week(20)
    files["messy.csv"] = messy_csv()
    return files


def outcome(parsed: ParsedFile) -> dict[str, Any]:
    return {
        "format": parsed.format,
        "refused": parsed.refused and parsed.refused.to_dict(),
        "warnings": [problem.to_dict() for problem in parsed.warnings],
        "rows": [
            {
                "row": row.row,
                "locator": row.locator,
                "accepted": row.accepted,
                "content": row.content and row.content.model_dump(mode="json"),
                "content_hash": row.content and row.content.content_hash(),
                "errors": [problem.to_dict() for problem in row.errors],
                "warnings": [problem.to_dict() for problem in row.warnings],
            }
            for row in parsed.rows
        ],
    }


def outcomes() -> dict[str, Any]:
    return {
        f"{name} [{defaults_name}]": outcome(
            parse_notice_file(
                data, filename=name, format_hint=None, limits=IntakeLimits(), defaults=defaults
            )
        )
        for name, data in inputs().items()
        for defaults_name, defaults in DEFAULTS.items()
    }


def test_every_outcome_is_the_snapshots() -> None:
    expected = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
    actual = json.loads(json.dumps(outcomes()))  # tuples and the like as JSON has them
    assert actual.keys() == expected.keys()
    for name in expected:
        assert actual[name] == expected[name], name


def test_the_messy_file_reaches_every_kind_of_outcome() -> None:
    """The snapshot only guards what its inputs exercise."""
    parsed = outcome(
        parse_notice_file(
            messy_csv(),
            filename="messy.csv",
            format_hint=None,
            limits=IntakeLimits(),
            defaults=RegulatorDefaults(),
        )
    )
    codes = {p["code"] for row in parsed["rows"] for p in row["errors"] + row["warnings"]}
    assert {
        "date_unreadable",
        "barcode_check_digit",
        "barcode_characters",
        "barcode_length",
        "barcode_placeholder",
        "kc_certificate_format",
        "kind_unknown",
        "status_unknown",
        "language_invalid",
        "jurisdiction_invalid",
        "jurisdiction_missing",
        "source_reference_derived",
        "invalid_value",
    } <= codes
    assert any(row["accepted"] for row in parsed["rows"])


if __name__ == "__main__":
    # Compressed: the outcomes take ~900 KB as text. mtime=0 keeps the bytes reproducible.
    text = json.dumps(outcomes(), ensure_ascii=False, indent=0, sort_keys=True)
    SNAPSHOT.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
