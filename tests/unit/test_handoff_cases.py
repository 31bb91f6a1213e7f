"""The cases the hand-off opens: what each capability takes from the dispatch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from chalicelib.dispatch.actions import ActionReport, Listing, ListingAction
from chalicelib.dispatch.cases import CaseStatus, HandOffStatus, hand_off_statuses
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState
from chalicelib.notification.model import NotificationCase
from chalicelib.verification.model import ReportedListing, VerificationCase

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
REF = DispatchRef("N-1", 2, "temu")


def _listing(listing_id: str, seller_id: str, action: ListingAction) -> Listing:
    return Listing(
        listing_id=listing_id,
        url=f"https://shop.example/{listing_id}",
        title="Toy",
        seller_id=seller_id,
        action=action,
        acted_at=AT,
    )


def _dispatch(*listings: Listing) -> Dispatch:
    return Dispatch(
        ref=REF,
        regulator_id="kftc",
        notice_kind="recall",
        jurisdiction="KR",
        withdrawal=False,
        created_at=AT,
        acknowledgement_deadline=None,
        action_deadline=None,
        state=DispatchState.ACTION_REPORTED,
        webhook_attempts=1,
        open_wait=None,
        task_token=None,
        acknowledged_at=AT,
        action_reported_at=AT,
        action_report=ActionReport(listings=list(listings)),
    )


REPORTED = _dispatch(
    _listing("L-2", "S-b", ListingAction.REMOVED),
    _listing("L-1", "S-a", ListingAction.WARNING_SHOWN),
    _listing("L-3", "S-b", ListingAction.ACCESS_DISABLED),
    _listing("L-4", "S-c", ListingAction.NO_MATCH),
)


def test_a_case_is_opened_pending_for_the_dispatch_its_regulator_and_jurisdiction() -> None:
    case = VerificationCase.opened_for(REPORTED, AT)

    assert case.ref == REF
    assert (case.regulator_id, case.jurisdiction, case.opened_at) == ("kftc", "KR", AT)
    assert case.status is CaseStatus.PENDING


def test_verification_checks_every_listing_acted_on_and_not_the_no_matches() -> None:
    case = VerificationCase.opened_for(REPORTED, AT)

    def reported(listing_id: str, seller_id: str, action: str) -> ReportedListing:
        return ReportedListing.model_validate(
            {
                "listing_id": listing_id,
                "url": f"https://shop.example/{listing_id}",
                "action": action,
                "title": "Toy",
                "seller_id": seller_id,
            }
        )

    assert case.reported_listings == [
        reported("L-2", "S-b", "removed"),
        reported("L-1", "S-a", "warning_shown"),
        reported("L-3", "S-b", "access_disabled"),
    ]


def test_notification_owes_each_seller_acted_on_once() -> None:
    assert NotificationCase.opened_for(REPORTED, AT).seller_ids == ["S-a", "S-b"]


def test_a_dispatch_without_an_action_report_opens_cases_with_nothing_to_do() -> None:
    bare = replace(REPORTED, action_report=None)

    assert NotificationCase.opened_for(bare, AT).seller_ids == []
    assert VerificationCase.opened_for(bare, AT).reported_listings == []


def test_a_case_survives_its_stored_form() -> None:
    case = VerificationCase.opened_for(REPORTED, AT)

    assert VerificationCase.model_validate_json(case.model_dump_json()) == case


def test_statuses_pair_each_dispatchs_two_cases() -> None:
    other = replace(REPORTED, ref=DispatchRef("N-1", 2, "ali"))
    statuses = hand_off_statuses(
        [NotificationCase.opened_for(REPORTED, AT)],
        [VerificationCase.opened_for(REPORTED, AT), VerificationCase.opened_for(other, AT)],
    )

    assert statuses == {
        REF: HandOffStatus(CaseStatus.PENDING, CaseStatus.PENDING),
        other.ref: HandOffStatus(None, CaseStatus.PENDING),
    }
