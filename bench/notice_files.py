"""Realistic synthetic notice files for benchmarks: many rows, a few typos, Korean text."""

from __future__ import annotations

import csv
import io
import random

PRODUCTS = [
    "어린이 블록 장난감",
    "USB 고속 충전기",
    "유아용 보행기",
    "Baby teether",
    "Hair dryer",
    "Phone charger",
    "Magnetic building set",
    "LED night light",
    "Kids rain boots",
]
BRANDS = ["Toyco", "Voltix", "Mamabear", "Sunwin", "KidsJoy", "Brightly"]
HAZARDS = [
    "질식 위험 (작은 부품)",
    "감전 위험",
    "Chemical: phthalates (DEHP) above limit",
    "Fire: overheating battery",
    "Injuries: sharp edges",
]


def _gtin13(rng: random.Random, prefix: str = "880") -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(12 - len(prefix)))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def canonical_csv(rows: int, seed: int = 47) -> bytes:
    """A canonical CSV with ``rows`` notices; ~5% carry a barcode typo (a warning)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "source_reference",
            "kind",
            "issued_on",
            "jurisdiction",
            "product_name",
            "brand",
            "models",
            "barcodes",
            "hazard_types",
            "hazard_description",
            "measures",
            "target_platforms",
        ]
    )
    for number in range(rows):
        barcode = _gtin13(rng)
        if rng.random() < 0.05:
            barcode = barcode[:-1] + str((int(barcode[-1]) + 1) % 10)
        writer.writerow(
            [
                f"KR-2026-{number:06d}",
                rng.choice(["order", "notice"]),
                "2026-11-20",
                "KR",
                rng.choice(PRODUCTS),
                rng.choice(BRANDS),
                f"M-{rng.randint(100, 999)}",
                f"{barcode}, {_gtin13(rng)}",
                "Choking",
                rng.choice(HAZARDS),
                "Withdrawal from the market",
                "temu;aliexpress",
            ]
        )
    return out.getvalue().encode("utf-8")


SAFETY_GATE_NOTIFICATION = """  <notifications>
    <caseNumber>A12/{number:05d}/26</caseNumber>
    <reference>A12/{number:05d}/26</reference>
    <category>{category}</category>
    <product><![CDATA[{product}]]></product>
    <name><![CDATA[{name} "{brand} {number}"]]></name>
    <brand>{brand}</brand>
    <type_numberOfModel><![CDATA[{code}-{number}, {code}-{number}B]]></type_numberOfModel>
    <batchNumber>LOT 2309-{number}</batchNumber>
    <barcode><![CDATA[{barcode_1}
 {barcode_2} ,  {barcode_3}]]></barcode>
    <companyRecallCode xsi:nil="true"/>
    <productionDates>09/2025</productionDates>
    <description><![CDATA[{description}
Sold in a cardboard box; the label carries the CE marking.]]></description>
    <riskType>{risk}</riskType>
    <danger><![CDATA[{danger}
The product does not comply with the relevant European standard.]]></danger>
    <level>Serious risk</level>
    <measures><![CDATA[{measures}]]></measures>
    <URLrecall>https://ec.europa.eu/safety-gate-alerts/screen/webReport/alertDetail/{number}</URLrecall>
    <notifyingCountry>{country}</notifyingCountry>
    <countryOfOrigin>China</countryOfOrigin>
    <type>Consumer</type>
    <pictures>
      <picture>https://ec.europa.eu/safety-gate-alerts/public/api/notification/image/{number}1</picture>
      <picture>https://ec.europa.eu/safety-gate-alerts/public/api/notification/image/{number}2</picture>
    </pictures>
  </notifications>
"""
SAFETY_GATE_PRODUCTS = [
    (
        "Toys",
        "Soft toy",
        "Plush bear with rattle",
        "Choking, Injuries",
        "The eyes detach easily; a small child may put them in the mouth and choke.",
    ),
    (
        "Electrical appliances and equipment",
        "Power bank",
        "Power bank 20 000 mAh",
        "Fire, Burns",
        "The battery cells overheat during charging and may catch fire.",
    ),
    (
        "Cosmetics",
        "Nail polish",
        "Children's nail polish set",
        "Chemical",
        "The product contains dibutyl phthalate (DBP), prohibited in cosmetic products.",
    ),
    (
        "Childcare articles and children's equipment",
        "Baby walker",
        "Baby walker",
        "Injuries",
        "The walker can pass through a doorway and tip over at a step.",
    ),
]
SAFETY_GATE_MEASURES = [
    "Withdrawal of the product from the market\nRecall of the product from end users",
    "Compulsory measures: Sales ban; Import rejected at the border",
]
SAFETY_GATE_COUNTRIES = ["Germany", "France", "Poland", "Spain", "Hungary", "Czechia"]


def safety_gate_week(notifications: int, seed: int = 10) -> bytes:
    """An EU Safety Gate weekly report shaped like the real one: ``notifications``
    alerts, multi-line multi-code barcode cells, CDATA prose (353 make ~460 KB)."""
    rng = random.Random(seed)
    alerts = []
    for number in range(1, notifications + 1):
        category, product, name, risk, danger = rng.choice(SAFETY_GATE_PRODUCTS)
        brand = rng.choice(BRANDS)
        alerts.append(
            SAFETY_GATE_NOTIFICATION.format(
                number=number,
                category=category,
                product=product,
                name=name,
                brand=brand,
                code=brand[:2].upper(),
                barcode_1=_gtin13(rng, prefix="50"),
                barcode_2=_gtin13(rng, prefix="50"),
                barcode_3=_gtin13(rng, prefix="50"),
                description=f"{product} by {brand}, model {number}.",
                risk=risk,
                danger=danger,
                measures=rng.choice(SAFETY_GATE_MEASURES),
                country=rng.choice(SAFETY_GATE_COUNTRIES),
            )
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Safety-Gate xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "  <report_date>2026-03-06</report_date>\n" + "".join(alerts) + "</Safety-Gate>\n"
    ).encode("utf-8")
