"""Affected parties as notification takes them: each checked on its own, normalised, and
keyed by an HMAC of the address (never the address)."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.notification.recipients import (
    Party,
    check_parties,
    months_before,
    within_lookback,
)

SECRET = b"k" * 32


def test_good_recipients_go_on_while_each_bad_one_gets_its_pointer() -> None:
    checked = check_parties(
        {
            "sellers": [
                {"seller_id": "S-1", "email": "seller@shop.example", "listing_ids": ["L-1", "L-2"]},
                {"seller_id": "S-2", "email": "not-an-address", "listing_ids": ["L-3"]},
            ],
            "buyers": [
                {"buyer_ref": "B-1", "email": "kim@mail.example", "language": "ko"},
                {"buyer_ref": "B-2", "phone": "030 1234567"},
                {"buyer_ref": "B-3", "email": "anna@mail.example", "language": "xx"},
                {"buyer_ref": "B-4"},
                {"buyer_ref": "B-5", "phone": "+82 10-2345-6789", "surname": "Lee"},
                {"buyer_ref": "B-6", "phone": "+821023456789"},
            ],
        }
    )
    pointers = {(p.pointer, p.code) for p in checked.problems}
    assert pointers == {
        ("/sellers/1/email", "invalid_email"),
        ("/buyers/1/phone", "invalid_phone"),
        ("/buyers/2/language", "unknown_language"),
        ("/buyers/3", "missing_contact"),
        ("/buyers/4/surname", "invalid"),
    }
    # A seller is owed a statement per listing; the good buyers go on.
    assert [(r.party, r.ref, r.listing_id) for r in checked.recipients] == [
        (Party.SELLER, "S-1", "L-1"),
        (Party.SELLER, "S-1", "L-2"),
        (Party.BUYER, "B-1", None),
        (Party.BUYER, "B-6", None),
    ]
    assert checked.recipients[-1].phone == "+821023456789"


def test_the_key_is_an_hmac_of_the_normalised_address_never_the_address() -> None:
    (first, second) = check_parties(
        {
            "buyers": [
                {"buyer_ref": "B-1", "email": "Kim.Lee@MAIL.Example"},
                {"buyer_ref": "B-2", "email": "Kim.Lee@mail.example"},
            ]
        }
    ).recipients
    assert first.key(SECRET) == second.key(SECRET)  # one person, one key
    assert "kim" not in first.key(SECRET).lower() and "mail" not in first.key(SECRET)
    assert first.key(SECRET) != first.key(b"another secret")


def test_a_seller_is_keyed_per_listing() -> None:
    one, two = check_parties(
        {"sellers": [{"seller_id": "S", "email": "s@shop.example", "listing_ids": ["A", "B"]}]}
    ).recipients
    assert one.key(SECRET) != two.key(SECRET)
    assert one.key(SECRET).endswith("#A") and two.key(SECRET).endswith("#B")


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 8, 31), 6, date(2026, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
        (date(2024, 12, 31), 6, date(2024, 6, 30)),
    ],
)
def test_months_before_keeps_the_day_or_the_months_last(
    day: date, months: int, expected: date
) -> None:
    assert months_before(day, months) == expected


def test_the_lookback_includes_its_first_day_and_buyers_without_a_date() -> None:
    received = date(2026, 12, 1)
    assert within_lookback(date(2026, 6, 1), received, 6)
    assert not within_lookback(date(2026, 5, 31), received, 6)
    assert within_lookback(None, received, 6)
