"""The checked-in brand aliases: well formed, used by the audit's notice index, and part
of the index's key (so an index built before a change is not reused after it)."""

from __future__ import annotations

from chalicelib.identifiers.brand_aliases import BRAND_ALIASES, fingerprint
from chalicelib.matching import MatchTier
from chalicelib.matching.text import brand_names
from chalicelib.stores.notice_index_bucket import index_key
from tests.unit.test_matching import listing, matcher, notice, only


def test_every_alias_is_a_brand_name_and_in_one_group_only() -> None:
    owner: dict[str, str] = {}
    for brand, aliases in BRAND_ALIASES.items():
        for written in (brand, *aliases):
            keys = ["".join(name) for name in brand_names(written)]
            assert keys, f"{written!r} ({brand}) gives no brand key"
            for key in keys:
                assert owner.setdefault(key, brand) == brand, f"{key!r} in two groups"


def test_a_hangul_brand_notice_matches_a_latin_listing_through_the_table() -> None:
    samsung = notice(brand="삼성전자", models=["SM-T100"], barcodes=[], kc_certificates=[])

    found = only(
        matcher(samsung, aliases=BRAND_ALIASES).match(listing("Samsung SM T100 tablet charger"))
    )

    assert found.tier is MatchTier.CERTAIN
    assert matcher(samsung).match(listing("Samsung SM T100 tablet charger")) == []


def test_the_index_key_changes_with_the_alias_table() -> None:
    versions = [("ntc-1", 1)]
    other = fingerprint({**BRAND_ALIASES, "키즈블록": ("KidsBlock",)})

    assert fingerprint() == fingerprint(dict(BRAND_ALIASES))
    assert index_key(versions, fingerprint()) != index_key(versions, other)
