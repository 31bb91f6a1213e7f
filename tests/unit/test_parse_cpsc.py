"""US CPSC Recall API JSON, where most fields are empty or null."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile
from chalicelib.notices.model import NoticeContent

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
# The CPSC as a regulator has its own defaults; the feed sets US/en regardless.
KR = RegulatorDefaults(jurisdiction="KR", language="ko")


def parse(data: bytes, filename: str = "recalls.json") -> ParsedFile:
    return parse_notice_file(
        data, filename=filename, format_hint=None, limits=IntakeLimits(), defaults=KR
    )


def parse_recalls(document: Any) -> ParsedFile:
    return parse(json.dumps(document).encode())


def sample() -> ParsedFile:
    return parse((SAMPLES / "cpsc-recalls.json").read_bytes(), "cpsc-recalls.json")


def content(parsed: ParsedFile, index: int = 0) -> NoticeContent:
    found = parsed.rows[index].content
    assert found is not None, parsed.rows[index].errors
    return found


def test_sample_is_detected_and_judged_per_recall() -> None:
    parsed = sample()
    assert (parsed.format, parsed.refused, parsed.warnings) == ("cpsc", None, [])
    assert [(row.row, row.locator, row.accepted) for row in parsed.rows] == [
        (1, "item 1", True),
        (2, "item 2", True),
        (3, "item 3", False),
    ]
    assert [p.code for p in parsed.rows[1].warnings] == ["barcode_length"]
    assert [p.code for p in parsed.rows[2].errors] == ["product_unidentified"]


def test_sample_field_mapping() -> None:
    tiles = content(sample())
    assert tiles.source_reference == "25-118"
    assert str(tiles.issued_on) == "2025-03-20"
    assert (tiles.jurisdiction, tiles.language, tiles.kind) == ("US", "en", "notice")
    assert tiles.measures == ["recall"]
    assert tiles.title is not None and "Sold Exclusively on Temu" in tiles.title
    assert tiles.target_platforms == []  # the same product sold elsewhere must be found too
    assert tiles.product.name == "BrightBlocks Magnetic Building Tiles"
    assert tiles.product.description is not None
    assert tiles.product.description.startswith("This recall involves magnetic building tile")
    assert tiles.product.models == ["BB-64", "BB-100"]
    assert tiles.product.category == "Toys"
    assert tiles.product.manufacturer == "Shantou BrightBlocks Toys Co."
    assert tiles.product.country_of_origin == "China"
    assert tiles.product.pictures == [
        "https://www.cpsc.gov/s3fs-public/example-tiles-1.png",
        "https://www.cpsc.gov/s3fs-public/example-tiles-2.png",
    ]
    assert tiles.hazard.types == ["Ingestion"]
    assert tiles.hazard.description is not None
    assert tiles.hazard.description.endswith("\nInjuries: None reported")
    assert tiles.remedy is not None and tiles.remedy.endswith("\nRemedy options: Refund")
    assert (
        tiles.consumer_contact is not None
        and "recall@brightblocks.example" in tiles.consumer_contact
    )
    assert tiles.source_url is not None and tiles.source_url.startswith("https://www.cpsc.gov/")


def test_sample_upcs_and_null_fields() -> None:
    bank = content(sample(), 1)
    assert bank.product.barcodes == ["036000291452"]
    assert bank.product.suspect_barcodes == ["0360002914"]
    assert bank.product.country_of_origin == "China, Vietnam"
    assert bank.product.manufacturer is None  # Manufacturers: []
    assert bank.remedy is not None and bank.remedy.endswith("Remedy options: Replace, Refund")


def test_title_names_the_product_when_products_are_empty() -> None:
    parsed = parse_recalls(
        {"RecallNumber": "25-200", "Title": "Kids' Hoodies Recalled Due to Strangulation Hazard",
         "Products": [], "Hazards": None}
    )  # fmt: skip
    found = content(parsed)
    assert found.product.name == "Kids' Hoodies Recalled Due to Strangulation Hazard"
    assert found.hazard.description is None


def test_recall_id_stands_in_for_a_missing_recall_number() -> None:
    found = content(parse_recalls([{"RecallID": 9001, "RecallNumber": "", "Title": "Lamp"}]))
    assert found.source_reference == "9001"


def test_odd_shapes_inside_a_recall_are_tolerated() -> None:
    parsed = parse_recalls(
        [
            {
                "RecallNumber": "25-300",
                "Products": ["not an object", {"Name": None}, {"Name": "Heater", "Model": 42}],
                "Images": {"URL": "not a list"},
                "ProductUPCs": [{"UPC": None}, {"UPC": 36000291452}],
                "Hazards": [{"Name": "  "}],
            }
        ]
    )
    found = content(parsed)
    assert found.product.name == "Heater"
    assert found.product.models == ["42"]
    assert found.product.pictures == []
    assert found.product.suspect_barcodes == ["36000291452"]  # number lost its leading zero


def test_non_object_recall_is_rejected_alone() -> None:
    parsed = parse_recalls([{"RecallNumber": "25-1", "Title": "Lamp"}, None])
    assert [row.accepted for row in parsed.rows] == [True, False]
    assert parsed.rows[1].errors[0].message == "item 2 is a JSON null, not an object"
