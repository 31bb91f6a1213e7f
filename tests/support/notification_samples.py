"""Notices, platforms and listings for the notification rendering tests and bench."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalicelib.dispatch.actions import Listing, ListingAction
from chalicelib.notices.model import (
    Hazard,
    Notice,
    NoticeContent,
    NoticeKind,
    NoticeStatus,
    Product,
)
from chalicelib.platforms.model import Platform

NOTICE_URL = "https://psx.example/v1/notices/ntc-sample/recall-notice"


def korean_notice(**changes: object) -> Notice:
    """A KFTC notice written in Korean: its text must never look like fixed wording."""
    content = NoticeContent(
        source_reference="KFTC-2026-0412",
        kind=NoticeKind.ORDER,
        issued_on=date(2026, 11, 20),
        jurisdiction="KR",
        language="ko",
        product=Product(
            name="어린이용 전기 히터",
            brand="따뜻한아이",
            models=["WK-200", "WK-210"],
            barcodes=["8801234567893"],
            suspect_barcodes=["880123456789"],
            batch_numbers=["B2026-11"],
            pictures=["https://img.example/heater.jpg"],
        ),
        hazard=Hazard(
            types=["화재", "감전"],
            description="과열로 화재가 발생할 수 있습니다.",
            risk_level="심각한 위험",
        ),
        measures=["리콜 명령"],
        remedy="무상 환불",
        consumer_contact="따뜻한아이 고객센터 080-000-0000",
        source_url="https://www.safetykorea.kr/recall/KFTC-2026-0412",
    )
    content = content.model_copy(update=changes)
    return Notice(
        notice_id="ntc-0123456789abcdef01234567",
        regulator_id="kftc",
        version=1,
        status=NoticeStatus.ACTIVE,
        received_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        source_format="csv",
        content=content,
        content_hash=content.content_hash(),
    )


def temu(**changes: object) -> Platform:
    platform = Platform(
        platform_id="temu",
        name="Temu",
        jurisdictions=["KR", "EU"],
        contact_email="product-safety@temu.example",
    )
    return platform.model_copy(update=changes)


def listing(action: ListingAction = ListingAction.REMOVED, **changes: object) -> Listing:
    return Listing(
        listing_id="TM-778899",
        url="https://www.temu.example/goods/778899",
        title="Kids electric heater WK-200",
        seller_id="seller-42",
        action=action,
        acted_at=datetime(2026, 11, 22, 8, 30, tzinfo=UTC),
    ).model_copy(update=changes)
