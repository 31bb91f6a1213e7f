"""The notice store against moto's DynamoDB: versions, idempotency, crash recovery."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.notices.extensions import AlreadyExtended
from chalicelib.notices.model import Notice, NoticeContent, Product, notice_id_for
from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.notices.versions import CurrentState, SaveOutcome, VersionConflict
from chalicelib.stores import aws_clients
from chalicelib.stores.index_pages import PageRequest
from chalicelib.stores.notices_table import KnownVersions, NoticeStore
from psx.embedded.runtime import EmbeddedRuntime

RECEIVED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def notices(runtime: EmbeddedRuntime) -> NoticeStore:
    return NoticeStore(os.environ["PSX_TABLE_NAME"])


def _content(reference: str, name: str = "USB charger", withdrawn: bool = False) -> NoticeContent:
    return NoticeContent(
        source_reference=reference,
        jurisdiction="KR",
        product=Product(name=name, barcodes=["8801234567893"]),
        withdrawn=withdrawn,
    )


def _save(
    store: NoticeStore,
    regulator_id: str,
    content: NoticeContent,
    known: CurrentState | None = None,
    based_on_known: bool = False,
) -> tuple[int, SaveOutcome]:
    saved = store.save(
        content,
        regulator_id=regulator_id,
        source_format="csv",
        source_file="f.csv",
        received_at=RECEIVED,
        known=known,
        based_on_known=based_on_known,
    )
    return saved.current.version, saved.outcome


def _state(store: NoticeStore, regulator_id: str, reference: str) -> CurrentState:
    state = store.current_state(notice_id_for(regulator_id, reference))
    assert state is not None
    return state


def _version(regulator_id: str, content: NoticeContent, version: int) -> Notice:
    return Notice(
        notice_id=notice_id_for(regulator_id, content.source_reference),
        regulator_id=regulator_id,
        version=version,
        status="amended",
        received_at=RECEIVED,
        source_format="csv",
        content=content,
        content_hash=content.content_hash(),
    )


def test_versions_follow_content(notices: NoticeStore, regulator_id: str) -> None:
    assert _save(notices, regulator_id, _content("R-1")) == (1, SaveOutcome.CREATED)
    assert _save(notices, regulator_id, _content("R-1")) == (1, SaveOutcome.UNCHANGED)
    assert _save(notices, regulator_id, _content("R-1", "USB-C charger")) == (
        2,
        SaveOutcome.NEW_VERSION,
    )
    assert _save(notices, regulator_id, _content("R-1", withdrawn=True)) == (
        3,
        SaveOutcome.WITHDRAWN,
    )
    notice_id = notice_id_for(regulator_id, "R-1")
    current = notices.get(notice_id)
    assert current is not None and current.status == "withdrawn"
    assert notices.get_version(notice_id, 2).content.product.name == "USB-C charger"  # type: ignore[union-attr]


def test_a_version_claimed_by_a_crashed_attempt_is_completed_not_duplicated(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-2"))
    amended = _content("R-2", "Charger v2")
    assert notices._claim_version(_version(regulator_id, amended, 2))  # crash before META moved

    assert _save(notices, regulator_id, amended) == (2, SaveOutcome.UNCHANGED)
    assert notices.current_state(notice_id_for(regulator_id, "R-2")).version == 2  # type: ignore[union-attr]


def test_a_version_taken_by_another_writer_pushes_ours_to_the_next_number(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-3"))
    notices._claim_version(_version(regulator_id, _content("R-3", "Other writer"), 2))

    assert _save(notices, regulator_id, _content("R-3", "Ours")) == (3, SaveOutcome.NEW_VERSION)
    current = notices.get(notice_id_for(regulator_id, "R-3"))
    assert current is not None and current.content.product.name == "Ours"


def test_a_change_based_on_a_version_another_writer_replaced_is_refused_not_reapplied(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-6"))
    read = _state(notices, regulator_id, "R-6")
    notices._claim_version(_version(regulator_id, _content("R-6", "Other writer"), 2))

    with pytest.raises(VersionConflict) as refused:
        _save(notices, regulator_id, _content("R-6", "Ours"), read, based_on_known=True)

    assert (refused.value.based_on, refused.value.current.version) == (1, 2)
    assert _state(notices, regulator_id, "R-6").version == 2  # the winner's move completed
    assert notices.get_version(notice_id_for(regulator_id, "R-6"), 3) is None


def test_the_same_change_twice_from_one_version_is_refused_the_second_time(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-7"))
    read = _state(notices, regulator_id, "R-7")
    withdrawal = _content("R-7", withdrawn=True)
    assert _save(notices, regulator_id, withdrawal, read, based_on_known=True) == (
        2,
        SaveOutcome.WITHDRAWN,
    )

    # Another withdrawal computed from the same version: not "unchanged", refused (the
    # second request's reason must not vanish behind a success).
    with pytest.raises(VersionConflict):
        _save(notices, regulator_id, withdrawal, read, based_on_known=True)


def test_a_full_replacement_never_reissues_a_withdrawal_it_did_not_know_of(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-8"))
    read = _state(notices, regulator_id, "R-8")
    _save(notices, regulator_id, _content("R-8", withdrawn=True), read)

    with pytest.raises(VersionConflict) as refused:
        _save(notices, regulator_id, _content("R-8", "Changed"), read)

    assert refused.value.current.status == "withdrawn"
    assert _state(notices, regulator_id, "R-8").version == 2


def test_a_full_replacement_after_a_withdrawal_it_knew_of_reissues_the_notice(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-9"))
    _save(
        notices, regulator_id, _content("R-9", withdrawn=True), _state(notices, regulator_id, "R-9")
    )
    withdrawn = _state(notices, regulator_id, "R-9")

    again = _save(notices, regulator_id, _content("R-9", withdrawn=True, name="Other"), withdrawn)
    reissued = _save(notices, regulator_id, _content("R-9"), withdrawn)

    assert again == (2, SaveOutcome.UNCHANGED)  # withdrawn is final: withdrawing again is a no-op
    assert reissued == (3, SaveOutcome.REISSUED)
    assert _state(notices, regulator_id, "R-9").status == "active"


def test_a_full_replacement_replaces_a_version_written_meanwhile_and_says_which(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-10"))
    read = _state(notices, regulator_id, "R-10")
    _save(notices, regulator_id, _content("R-10", "Other writer"), read)

    saved = notices.save(
        _content("R-10", "Ours"),
        regulator_id=regulator_id,
        source_format="csv",
        source_file="f.csv",
        received_at=RECEIVED,
        known=read,
    )

    assert (saved.current.version, saved.outcome, saved.replaced_version) == (
        3,
        SaveOutcome.NEW_VERSION,
        2,
    )


def test_current_states_reads_many_notices_at_once(notices: NoticeStore, regulator_id: str) -> None:
    references = [f"B-{n}" for n in range(130)]
    for reference in references:
        _save(notices, regulator_id, _content(reference))
    ids = [notice_id_for(regulator_id, r) for r in references] + ["ntc-not-stored"]

    states = notices.current_states(ids)

    assert len(states) == 130 and "ntc-not-stored" not in states


def test_only_the_current_version_can_be_marked_started(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("R-4"))
    _save(notices, regulator_id, _content("R-4", "Amended"))
    notice_id = notice_id_for(regulator_id, "R-4")

    notices.mark_lifecycle_started(notice_id, 1)
    assert not notices.current_state(notice_id).lifecycle_started  # type: ignore[union-attr]
    notices.mark_lifecycle_started(notice_id, 2)
    assert notices.current_state(notice_id).lifecycle_started  # type: ignore[union-attr]


def test_a_version_is_read_from_dynamodb_once_and_an_absent_one_every_time(
    notices: NoticeStore, regulator_id: str
) -> None:
    reads: list[str] = []
    events = aws_clients.dynamodb().meta.events

    def count(params: dict[str, Any], **_: object) -> None:
        reads.append(params["Key"]["SK"]["S"])

    notice_id = notice_id_for(regulator_id, "R-6")
    events.register("before-parameter-build.dynamodb.GetItem", count)
    try:
        assert notices.get_version(notice_id, 1) is None
        _save(notices, regulator_id, _content("R-6"))
        first = notices.get_version(notice_id, 1)
        again = notices.get_version(notice_id, 1)
        unknown = notices.get_version(notice_id, 2)
    finally:
        events.unregister("before-parameter-build.dynamodb.GetItem", count)

    assert first is not None and again == first and unknown is None
    assert first.content == _content("R-6")
    assert reads == ["V#000001", "V#000001", "V#000002"]


def test_known_versions_drop_the_oldest_beyond_their_bytes(regulator_id: str) -> None:
    content = _content("R-7")
    versions = [_version(regulator_id, content, number) for number in (1, 2, 3)]
    known = KnownVersions(max_bytes=250)
    for notice in versions:
        known.keep(notice, 100)
    known.keep(_version(regulator_id, content, 4), 251)  # larger than the whole: not kept

    notice_id = versions[0].notice_id
    assert [known.get(notice_id, n) for n in (1, 2, 3, 4)] == [None, versions[1], versions[2], None]


def test_timeline_events_are_written_once(notices: NoticeStore, regulator_id: str) -> None:
    notice_id = notice_id_for(regulator_id, "R-5")
    event = TimelineEvent(
        notice_id, event_key_for(1, "received"), EventKind.RECEIVED, RECEIVED, "regulator:x", {}
    )

    assert notices.append_event(event) is True
    assert notices.append_event(event) is False
    assert [e.kind for e in notices.timeline(notice_id)] == ["received"]


def test_a_regulators_list_is_in_time_order_within_a_second(
    notices: NoticeStore, regulator_id: str
) -> None:
    # A whole second and a moment later in the same second: the index's sort keys are
    # fixed-width times, so the two order by time however their ISO forms would.
    on_the_second = RECEIVED.replace(second=30, microsecond=0)
    moments = [on_the_second, on_the_second.replace(microsecond=500_000)]
    for number, moment in enumerate(moments):
        notices.save(
            _content(f"ORDER-{number}"),
            regulator_id=regulator_id,
            source_format="api",
            source_file=None,
            received_at=moment,
        )

    page = notices.page_for_regulator(regulator_id, PageRequest(limit=10))

    newest_first = [summary.state.source_reference for summary in page.items]
    assert newest_first == ["ORDER-1", "ORDER-0"]


def test_an_extension_is_written_once_and_only_at_the_version_it_was_computed_from(
    notices: NoticeStore, regulator_id: str
) -> None:
    _save(notices, regulator_id, _content("EXT-1"))
    notice_id = notice_id_for(regulator_id, "EXT-1")

    made = notices.extend(notice_id, 1, ["coupang", "gmarket"], RECEIVED, "regulator:kftc")

    assert [(e.platform_id, e.version) for e in made] == [("coupang", 1), ("gmarket", 1)]
    assert sorted(e.platform_id for e in notices.extensions(notice_id)) == ["coupang", "gmarket"]
    # All or none: one platform already extended leaves the other unwritten.
    with pytest.raises(AlreadyExtended):
        notices.extend(notice_id, 1, ["shop-x", "coupang"], RECEIVED, "regulator:kftc")
    assert "shop-x" not in {e.platform_id for e in notices.extensions(notice_id)}
    # The notice moved on: refused, as an amendment computed from version 1 would be.
    _save(notices, regulator_id, _content("EXT-1", name="USB charger v2"))
    with pytest.raises(VersionConflict) as conflict:
        notices.extend(notice_id, 1, ["shop-x"], RECEIVED, "regulator:kftc")
    assert conflict.value.current.version == 2
    assert len(notices.extensions(notice_id)) == 2
    # Extensions are not timeline events, nor events extensions.
    assert notices.timeline(notice_id) == []
