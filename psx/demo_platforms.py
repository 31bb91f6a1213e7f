"""The demo's marketplaces: simulated webhook endpoints and listing pages, and how
each one behaves.

Temu answers every notice on time; AliExpress stays silent until after its deadlines
and answers late. Both answer through the HTTPS API with their own API keys. Each
serves listing pages on this machine (its registered listing host), for the live check
of takedowns: one in stock, one removed (404), one out of stock, and a robots.txt.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from chalicelib import clock
from chalicelib.api.keys import issue_key
from chalicelib.api.principal import Principal, PrincipalKind
from chalicelib.dispatch.model import DispatchState
from chalicelib.platforms.model import Platform
from chalicelib.platforms.registration import register_platform
from chalicelib.stores.api_keys_table import ApiKeyStore
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.signing_secrets import signing_secret_name
from psx.api_client import ApiClient
from psx.listing_site import ListingSite, Page, offer, product_page
from psx.webhook_receiver import WebhookReceiver


@dataclass(frozen=True)
class DemoPlatform:
    platform_id: str
    name: str
    jurisdictions: tuple[str, ...]
    receiver: WebhookReceiver
    api_key: str  # shown once when issued, as `psx keys issue` does
    listings: ListingSite


# The listing pages every demo marketplace serves (any other /item/ path is a 404).
IN_STOCK_PATH = "/item/in-stock"
OUT_OF_STOCK_PATH = "/item/out-of-stock"
REMOVED_PATH = "/item/removed"
# Crawlers keep out of accounts, as on real marketplaces.
ROBOTS = "User-agent: *\nDisallow: /account/\n"


def marketplace_site() -> ListingSite:
    """A marketplace's listing pages (not yet serving: enter it)."""
    site = ListingSite(robots=ROBOTS)
    site.page(IN_STOCK_PATH, Page(200, product_page("Magnetic blocks", offer("InStock"))))
    out_of_stock = offer("https://schema.org/OutOfStock")
    site.page(OUT_OF_STOCK_PATH, Page(200, product_page("Magnetic blocks", out_of_stock)))
    site.page(REMOVED_PATH, Page(404, b"<html><body>Item removed</body></html>"))
    return site


MARKETPLACES = (
    ("temu", "Temu", ("KR", "EU")),
    ("aliexpress", "AliExpress", ("KR",)),
    ("coupang", "Coupang", ("KR",)),
)


@contextmanager
def demo_platforms(stack_name: str, count: int = 2) -> Iterator[list[DemoPlatform]]:
    """The first ``count`` marketplaces (Temu: Korea and the EU; AliExpress, Coupang:
    Korea), registered with live webhook endpoints."""
    with ExitStack() as stack:
        yield [_marketplace(stack, stack_name, *entry) for entry in MARKETPLACES[:count]]


@contextmanager
def demo_marketplace(stack_name: str, platform_id: str) -> Iterator[DemoPlatform]:
    """One of the marketplaces, registered on its own later on (the demo's Coupang,
    where an audit finds a product the notice never went to)."""
    [entry] = [entry for entry in MARKETPLACES if entry[0] == platform_id]
    with ExitStack() as stack:
        yield _marketplace(stack, stack_name, *entry)


def _marketplace(
    stack: ExitStack, stack_name: str, platform_id: str, name: str, jurisdictions: tuple[str, ...]
) -> DemoPlatform:
    receiver = stack.enter_context(WebhookReceiver(secrets=[]))
    site = stack.enter_context(marketplace_site())
    secret = register_platform(
        PlatformStore(os.environ["PSX_TABLE_NAME"]),
        Platform(
            platform_id=platform_id,
            name=name,
            jurisdictions=list(jurisdictions),
            webhook_url=receiver.url,
            signing_secret_ref=signing_secret_name(stack_name, platform_id),
            languages=["ko", "en"],
            listing_hosts=[site.host],
        ),
    )
    receiver.trust(secret)
    keys = ApiKeyStore(os.environ["PSX_TABLE_NAME"])
    key = issue_key(keys, Principal(PrincipalKind.PLATFORM, platform_id), clock.now())
    return DemoPlatform(platform_id, name, jurisdictions, receiver, key.key, site)


def demo_regulator_key(regulator_id: str) -> str:
    principal = Principal(PrincipalKind.REGULATOR, regulator_id)
    return issue_key(ApiKeyStore(os.environ["PSX_TABLE_NAME"]), principal, clock.now()).key


OWED = {DispatchState.IN_INBOX, DispatchState.DELIVERED, DispatchState.INBOX_ONLY}


def answer_inbox(api: ApiClient, site: ListingSite, notify_buyers_ourselves: bool) -> int:
    """As a marketplace's integration would, over the HTTPS API: every notice version in
    the inbox that still waits for an answer is acknowledged, its listing (a page of
    ``site`` that answers 404) reported removed, and its seller and buyers reported (or
    only counted, when the marketplace tells them itself). Returns how many notices were
    answered."""
    answered = 0
    for entry in list(api.pages("/v1/inbox")):
        dispatch = entry["dispatch"]
        if dispatch["withdrawal"] or dispatch["status"] not in OWED:
            continue
        path, version = f"/v1/notices/{entry['notice_id']}", entry["version"]
        api.post(f"{path}/acknowledgement", {"version": version, "reference": f"SR-{answered}"})
        listing = demo_listing(entry["notice_id"], dispatch["platform_id"], site)
        api.post(f"{path}/actions", {"version": version, "listings": [listing]})
        parties = affected_parties(version, listing, notify_buyers_ourselves)
        api.post(f"{path}/affected-parties", parties)
        answered += 1
    return answered


def demo_listing(notice_id: str, platform_id: str, site: ListingSite) -> dict[str, Any]:
    listing_id = f"{platform_id}-{notice_id[-6:]}"
    return {
        "listing_id": listing_id,
        "url": f"{site.url}/item/{listing_id}",
        "title": "Listing matched by barcode",
        "seller_id": "seller-8812",
        "action": "removed",
        "acted_at": clock.now().isoformat(),
        "evidence_ref": f"s3://{platform_id}-evidence/{listing_id}.png",
    }


def affected_parties(version: int, listing: dict[str, Any], ourselves: bool) -> dict[str, Any]:
    """The marketplace's one and last batch: its own counts (it tells them itself), or
    its seller and buyers for the exchange to tell: a Korean buyer, a German one (by
    country), and one who bought before the six-month lookback."""
    if ourselves:
        return {
            "version": version,
            "notified_by_platform": {"sellers": 1, "buyers": 14},
            "final": True,
        }
    today = clock.now().date()
    return {
        "version": version,
        "sellers": [
            {
                "seller_id": listing["seller_id"],
                "email": "seller-8812@example.com",
                "language": "en",
                "listing_ids": [listing["listing_id"]],
            }
        ],
        "buyers": [
            _buyer("buyer-kr", "ko", "KR", today - timedelta(days=20), listing),
            _buyer("buyer-de", None, "DE", today - timedelta(days=45), listing),
            _buyer("buyer-old", "ko", "KR", today - timedelta(days=400), listing),
        ],
        "final": True,
    }


def _buyer(
    ref: str, language: str | None, country: str, bought: date, listing: dict[str, Any]
) -> dict[str, Any]:
    buyer = {
        "buyer_ref": ref,
        "email": f"{ref}@example.com",
        "country": country,
        "listing_id": listing["listing_id"],
        "purchased_on": bought.isoformat(),
    }
    return buyer | ({"language": language} if language else {})
