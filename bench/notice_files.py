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


def _gtin13(rng: random.Random) -> str:
    body = "880" + "".join(rng.choice("0123456789") for _ in range(9))
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
