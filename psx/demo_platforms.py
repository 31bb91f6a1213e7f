"""The demo's two marketplaces: simulated webhook endpoints, and how each one behaves.

Temu answers every notice on time; AliExpress stays silent until after its deadlines
and answers late. They answer through the same domain call the HTTPS API makes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

from chalicelib.dispatch.model import Dispatch, DispatchState, WaitKind
from chalicelib.dispatch.services import lifecycle_services
from chalicelib.dispatch.waits import answer
from chalicelib.platforms.model import Platform
from chalicelib.platforms.registration import register_platform
from chalicelib.settings import load_settings
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.signing_secrets import signing_secret_name
from psx.polling import wait_until
from psx.webhook_receiver import WebhookReceiver


@dataclass(frozen=True)
class DemoPlatform:
    platform_id: str
    name: str
    jurisdictions: tuple[str, ...]
    receiver: WebhookReceiver


MARKETPLACES = (
    ("temu", "Temu", ("KR", "EU")),
    ("aliexpress", "AliExpress", ("KR",)),
    ("coupang", "Coupang", ("KR",)),
)


@contextmanager
def demo_platforms(stack_name: str, count: int = 2) -> Iterator[list[DemoPlatform]]:
    """The first ``count`` marketplaces (Temu: Korea and the EU; AliExpress, Coupang:
    Korea), registered with live webhook endpoints."""
    store = PlatformStore(os.environ["PSX_TABLE_NAME"])
    with ExitStack() as stack:
        platforms = []
        for platform_id, name, jurisdictions in MARKETPLACES[:count]:
            receiver = stack.enter_context(WebhookReceiver(secrets=[]))
            secret = register_platform(
                store,
                Platform(
                    platform_id=platform_id,
                    name=name,
                    jurisdictions=list(jurisdictions),
                    webhook_url=receiver.url,
                    signing_secret_ref=signing_secret_name(stack_name, platform_id),
                    languages=["ko", "en"],
                ),
            )
            receiver.trust(secret)
            platforms.append(DemoPlatform(platform_id, name, jurisdictions, receiver))
        yield platforms


def answer_inbox(platform_id: str, at: datetime) -> int:
    """Acknowledge and report the takedown of every open notice in the inbox; returns how many."""
    services = lifecycle_services(load_settings())
    answered = 0
    for dispatch in services.dispatches.inbox(platform_id, limit=1000):
        if dispatch.withdrawal or dispatch.state is DispatchState.CLOSED:
            continue
        for kind, body in (
            (WaitKind.ACKNOWLEDGEMENT, {"contact": f"safety@{platform_id}.example"}),
            (WaitKind.ACTION_REPORT, _takedown(dispatch)),
        ):
            if _wait_for(dispatch, kind):
                answer(dispatch.ref, kind, body, at, services)
        answered += 1
    return answered


def _wait_for(dispatch: Dispatch, kind: WaitKind) -> bool:
    """Until the workflow waits for ``kind`` (False if this dispatch closed meanwhile)."""
    services = lifecycle_services(load_settings())

    def probe() -> str | None:
        current = services.dispatches.get(dispatch.ref)
        if current is None or current.state is DispatchState.CLOSED:
            return "closed"
        return "open" if current.open_wait is kind else None

    return wait_until(probe, f"{dispatch.ref} to wait for {kind.value}") == "open"


def _takedown(dispatch: Dispatch) -> dict[str, object]:
    listing = f"{dispatch.ref.platform_id}-{dispatch.ref.notice_id[-6:]}"
    return {
        "listings": [
            {
                "listing_id": listing,
                "url": f"https://{dispatch.ref.platform_id}.example/item/{listing}",
                "seller_id": "seller-8812",
                "action": "removed",
            }
        ]
    }
