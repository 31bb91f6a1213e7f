"""The platform model: what a registration may contain, and which notices reach whom."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.identifiers.jurisdictions import EU_MEMBER_STATES
from chalicelib.platforms.model import Platform, select_targets


def _platform(platform_id: str = "temu", **fields: Any) -> Platform:
    values: dict[str, Any] = {"name": platform_id.title(), "jurisdictions": ["KR"]} | fields
    return Platform(platform_id=platform_id, **values)


def test_codes_are_normalised_and_deduplicated() -> None:
    platform = _platform(jurisdictions=["kr", " eu ", "KR"], languages=["KO", "en", "ko"])
    assert platform.jurisdictions == ["KR", "EU"]
    assert platform.languages == ["ko", "en"]
    assert platform.active


def test_a_complete_registration_is_accepted() -> None:
    platform = _platform(
        webhook_url="https://hooks.example.com/psx?v=1",
        signing_secret_ref="psx/psx-dev/webhook-signing/temu",
        contact_email="safety@example.com",
    )
    assert Platform.model_validate_json(platform.model_dump_json()) == platform


@pytest.mark.parametrize("platform_id", ["a", "Temu", "-temu", "te_mu", "t" * 64, "temu!"])
def test_platform_ids_are_slugs(platform_id: str) -> None:
    with pytest.raises(ValidationError, match="platform_id"):
        _platform(platform_id)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"jurisdictions": []}, "at least 1"),
        ({"jurisdictions": ["XX"]}, "not an ISO 3166-1 alpha-2 code or EU"),
        ({"jurisdictions": ["EUR"]}, "not an ISO 3166-1"),
        ({"languages": ["kor"]}, "not an ISO 639-1"),
        ({"contact_email": "safety.example.com"}, "not an email"),
        ({"webhook_url": "ftp://example.com/x", "signing_secret_ref": "s"}, "http"),
        ({"webhook_url": "http://hooks.example.com/x", "signing_secret_ref": "s"}, "https"),
        ({"webhook_url": "https:///path-only", "signing_secret_ref": "s"}, "http"),
        ({"webhook_url": "https://a b.example/x", "signing_secret_ref": "s"}, "whitespace"),
        ({"webhook_url": "https://u:p@example.com/", "signing_secret_ref": "s"}, "credentials"),
        ({"webhook_url": "https://example.com/x"}, "needs a signing_secret_ref"),
        ({"signing_secret_ref": "no spaces allowed"}, "Secrets Manager"),
        ({"name": ""}, "at least 1 character"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_invalid_registrations_are_refused(fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        _platform(**fields)


def test_platforms_are_immutable() -> None:
    with pytest.raises(ValidationError):
        _platform().active = False  # type: ignore[misc]


@pytest.mark.parametrize(
    ("listed", "jurisdiction", "served"),
    [
        (["KR"], "KR", True),
        (["KR"], "kr", True),
        (["KR"], "US", False),
        (["EU"], "DE", True),  # EU-wide platform, member-state notice
        (["EU"], "EU", True),
        (["EU"], "NO", False),  # EEA but not EU: listed by name or not at all
        (["EU"], "GB", False),
        (["DE"], "EU", True),  # a union-wide measure applies in Germany too
        (["DE"], "FR", False),
        (["US", "KR"], "EU", False),
        (["NO"], "EU", False),
    ],
)
def test_serves(listed: list[str], jurisdiction: str, served: bool) -> None:
    assert _platform(jurisdictions=listed).serves(jurisdiction) is served


def test_the_union_has_27_member_states() -> None:
    assert len(EU_MEMBER_STATES) == 27
    assert {"GB", "NO", "CH"}.isdisjoint(EU_MEMBER_STATES)


REGISTERED = [
    _platform("temu", jurisdictions=["KR", "EU"]),
    _platform("aliexpress", jurisdictions=["KR", "FR"]),
    _platform("shop-us", jurisdictions=["US"]),
    _platform("dormant", jurisdictions=["KR"], active=False),
]


def _ids(platforms: list[Platform]) -> list[str]:
    return [platform.platform_id for platform in platforms]


def test_without_names_every_active_platform_serving_the_jurisdiction_is_targeted() -> None:
    assert _ids(select_targets(REGISTERED, "KR", [])[0]) == ["temu", "aliexpress"]
    assert _ids(select_targets(REGISTERED, "FR", [])[0]) == ["temu", "aliexpress"]
    assert _ids(select_targets(REGISTERED, "EU", [])[0]) == ["temu", "aliexpress"]
    assert select_targets(REGISTERED, "JP", []) == ([], [])


def test_named_platforms_are_targeted_whatever_their_jurisdictions() -> None:
    targets, unknown = select_targets(
        REGISTERED, "KR", ["shop-us", "nobody", "temu", "shop-us", "dormant"]
    )
    assert _ids(targets) == ["shop-us", "temu"]  # in the regulator's order, once each
    assert unknown == ["nobody"]  # inactive "dormant" is registered: skipped, not unknown


def test_listing_hosts_are_names_or_loopback_with_optional_ports() -> None:
    platform = Platform(
        platform_id="temu",
        name="Temu",
        jurisdictions=["KR"],
        listing_hosts=["WWW.Temu.com", "www.temu.com", "127.0.0.1:8080", "localhost"],
    )
    assert platform.listing_hosts == ["www.temu.com", "127.0.0.1:8080", "localhost"]


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("10.0.0.7", "not IP addresses"),
        ("203.0.113.9:443", "not IP addresses"),
        ("https://temu.com", "port must be a number"),
        ("temu.com/item", "not a host name"),
        ("temu.com:0", "port must be a number"),
        ("-temu.com", "not a host name"),
    ],
)
def test_listing_hosts_that_are_not_host_names_are_refused(host: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Platform(platform_id="temu", name="Temu", jurisdictions=["KR"], listing_hosts=[host])
