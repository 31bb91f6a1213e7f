"""EU Safety Gate weekly report XML: CDATA, xsi:nil, multi-value cells, unsafe XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from chalicelib.intake.rows import ParsedFile
from chalicelib.notices.model import NoticeContent, NoticeKind

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SAMPLE = SAMPLES / "safety-gate-week.xml"
NOTIFICATION = """
  <notifications>
    <caseNumber>{case}</caseNumber>
    <name>{name}</name>
    <measures>{measures}</measures>
  </notifications>"""


def parse(data: bytes) -> ParsedFile:
    return parse_notice_file(
        data,
        filename="week.xml",
        format_hint=None,
        limits=IntakeLimits(),
        defaults=RegulatorDefaults(jurisdiction="DE", language="de"),
    )


def report(*notifications: str, root: str = "Safety-Gate") -> bytes:
    body = "".join(notifications)
    return f'<?xml version="1.0"?><{root}>{body}</{root}>'.encode()


def content(parsed: ParsedFile, index: int) -> NoticeContent:
    found = parsed.rows[index].content
    assert found is not None, parsed.rows[index].errors
    return found


def test_sample_notifications_are_numbered_and_judged() -> None:
    parsed = parse(SAMPLE.read_bytes())
    assert (parsed.format, parsed.refused, parsed.warnings) == ("safety-gate", None, [])
    assert [(row.row, row.locator, row.accepted) for row in parsed.rows] == [
        (1, "notification 1 (A12/00188/24)", True),
        (2, "notification 2 (SR/02362/26)", True),
        (3, "notification 3 (A11/00412/26)", True),
        (4, "notification 4 (A12/00731/26)", False),
    ]
    assert [p.code for p in parsed.rows[2].warnings] == ["barcode_check_digit"]
    assert [p.code for p in parsed.rows[3].errors] == ["product_unidentified"]


def test_sample_cdata_multi_barcode_and_nested_pictures() -> None:
    bear = content(parse(SAMPLE.read_bytes()), 0)
    assert bear.source_reference == "A12/00188/24"
    assert (bear.jurisdiction, bear.language, bear.kind) == ("EU", "en", NoticeKind.NOTICE)
    assert bear.title == "Soft toy (notified by Germany)"
    assert bear.product.name == 'Plush bear with rattle "Teddy Dreams"'
    assert bear.product.barcodes == ["5031000123456", "5031000123449", "4006381333931"]
    assert bear.product.models == ["TD-3021", "TD-3022"]
    assert bear.product.batch_numbers == ["LOT 2309-A"]
    assert bear.product.production_dates == ["09/2023"]
    assert bear.product.description == (
        "Brown plush bear, 25 cm, with a plastic rattle sewn inside.\nSold in a cardboard box."
    )
    assert bear.product.company_recall_code is None  # xsi:nil
    assert bear.product.pictures == [
        "https://ec.europa.eu/safety-gate-alerts/public/api/notification/image/100001",
        "https://ec.europa.eu/safety-gate-alerts/public/api/notification/image/100002",
    ]
    assert bear.hazard.types == ["Choking", "Injuries"]
    assert bear.hazard.risk_level == "Serious risk"
    assert bear.measures == [
        "Withdrawal of the product from the market",
        "Recall of the product from end users",
    ]
    assert bear.source_url is not None and bear.source_url.endswith("/10000188")


def test_sample_nil_name_falls_back_to_product_and_compulsory_means_order() -> None:
    bank = content(parse(SAMPLE.read_bytes()), 1)
    assert bank.source_reference == "SR/02362/26"
    assert bank.kind is NoticeKind.ORDER
    assert bank.product.name == "Power bank"
    assert bank.product.batch_numbers == []
    assert bank.product.company_recall_code == "VM-RC-2026-01"
    assert bank.source_url is None
    assert len(bank.product.pictures) == 2  # comma-separated URLs in one element


@pytest.mark.parametrize(
    ("measures", "kind"),
    [
        ("Compulsory measures: Sales ban", NoticeKind.ORDER),
        ("Withdrawal ordered by the market surveillance authority", NoticeKind.ORDER),
        ("Voluntary measures: Recall of the product from end users", NoticeKind.NOTICE),
    ],
)
def test_kind_follows_who_ordered_the_measures(measures: str, kind: NoticeKind) -> None:
    parsed = parse(report(NOTIFICATION.format(case="A1/1/26", name="Toy", measures=measures)))
    assert content(parsed, 0).kind is kind


def test_reference_is_used_when_case_number_is_nil() -> None:
    xml = report(
        '<notifications xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<caseNumber xsi:nil="true"/><reference>A12/00001/26</reference><name>Toy</name>'
        "</notifications>"
    )
    assert content(parse(xml), 0).source_reference == "A12/00001/26"


def test_namespaced_report_is_read() -> None:
    xml = (
        b'<sg:Safety-Gate xmlns:sg="urn:example:sg"><sg:notifications>'
        b"<sg:caseNumber>A2/2/26</sg:caseNumber><sg:name>Kettle</sg:name>"
        b"</sg:notifications></sg:Safety-Gate>"
    )
    assert content(parse(xml), 0).product.name == "Kettle"


def test_report_without_notifications_warns() -> None:
    parsed = parse(report("<report_week>10</report_week>"))
    assert parsed.rows == []
    assert [w.code for w in parsed.warnings] == ["no_records"]


def test_other_xml_root_is_refused_clearly() -> None:
    parsed = parse(report("<item/>", root="rss"))
    assert parsed.refused is not None
    assert parsed.refused.code == "xml_unknown_root"
    assert "<rss>" in parsed.refused.message and "Safety-Gate" in parsed.refused.message


def test_truncated_report_is_refused_with_its_line() -> None:
    data = SAMPLE.read_bytes()
    cut = data.index(b"<riskType>Fire")
    last_line = data[:cut].count(b"\n") + 1
    assert last_line == 48
    parsed = parse(data[:cut])
    assert parsed.refused is not None
    assert parsed.refused.code == "xml_malformed"
    assert (
        parsed.refused.message == f"the XML is truncated or malformed at line {last_line}, column 4"
    )


@pytest.mark.parametrize("name", ["entity-bomb.xml", "external-entity.xml"])
def test_entities_and_dtds_are_refused(name: str) -> None:
    parsed = parse((SAMPLES / "hostile" / name).read_bytes())
    assert parsed.refused is not None
    assert (parsed.refused.code, parsed.refused.message) == (
        "xml_unsafe",
        "XML declares entities/DTD, refused for safety",
    )
    assert parsed.rows == []
