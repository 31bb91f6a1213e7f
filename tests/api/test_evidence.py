"""Evidence end to end: a file uploaded through S3 and a platform's answers through the
HTTPS API leave locked objects in the evidence bucket, each named (key and version) by
the timeline event it backs; `psx evidence` exports them as a bundle whose manifest
verifies, and a bundle altered afterwards does not. Contact data of sellers and buyers
never reaches the evidence bucket."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.deadlines.policy import ANY_REGULATOR, DeadlinePolicy, NotificationMode
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.stores.evidence_bucket import EvidenceBucket, EvidenceRef
from chalicelib.stores.intake_bucket import version_result_key_for
from chalicelib.stores.platforms_table import PlatformStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.evidence import EvidenceError, export_bundle, verify_bundle
from psx.target import Target
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import Api, listing, new_regulator, unique
from tests.api.support import key_for as api_key_for
from tests.e2e.intake_steps import accepted_rows, upload
from tests.e2e.lifecycle_steps import (
    HEADER,
    finished,
    notice_row,
    receiving_platforms,
    services,
    waiting_for,
)

pytestmark = pytest.mark.e2e

SELLER = {"seller_id": "S-77", "name": "Kim Seller", "email": "seller@shop.example"}
BUYER = {"buyer_ref": "B-9-buyer-ref", "email": "buyer@mail.example", "language": "ko"}
CONTACT_DATA = [b"seller@shop.example", b"Kim Seller", b"buyer@mail.example", b"B-9-buyer-ref"]


@pytest.fixture
def platform(runtime: EmbeddedRuntime) -> Iterator[tuple[str, WebhookReceiver]]:
    with receiving_platforms("shop") as receivers:
        yield next(iter(receivers.items()))


@pytest.fixture
def answered(
    runtime: EmbeddedRuntime,
    api: Api,
    regulator_id: str,
    platform: tuple[str, WebhookReceiver],
) -> dict[str, Any]:
    """A notice uploaded in a file, pushed to the platform, answered through the API."""
    platform_id, _ = platform
    # The exchange tells the platform's sellers and buyers, so it holds their contacts.
    agreement = DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE)
    PlatformStore(runtime.outputs["PsxTableName"]).set_agreement(
        platform_id, ANY_REGULATOR, agreement
    )
    body = (HEADER + notice_row("EV-1", [platform_id])).encode()
    report = upload(runtime, regulator_id, "evidence.csv", body)
    notice_id = accepted_rows(report)[0]["notice_id"]
    ref = DispatchRef(notice_id, 1, platform_id)
    caller = api_key_for(PrincipalKind.PLATFORM, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    path = f"/v1/notices/{notice_id}"
    assert api.post(f"{path}/acknowledgement", {"reference": "T-1"}, caller).status == 201
    assert api.post(f"{path}/actions", {"listings": [listing()]}, caller).status == 201
    parties = {"sellers": [{**SELLER, "listing_ids": ["L-1"]}], "buyers": [BUYER], "final": True}
    assert api.post(f"{path}/affected-parties", parties, caller).status == 201
    runtime.pump()  # the notify function tells them, and notification completes
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    return {"notice_id": notice_id, "file": body, "report": report, "regulator_id": regulator_id}


def _evidence(runtime: EmbeddedRuntime) -> EvidenceBucket:
    return EvidenceBucket(runtime.outputs["PsxEvidenceBucket"], 1)


def _named(notice_id: str, kind: str) -> list[dict[str, Any]]:
    return [
        event.details["evidence"]
        for event in services().notices.timeline(notice_id)
        if event.kind == kind
    ]


def _read(runtime: EmbeddedRuntime, named: dict[str, str]) -> bytes:
    return _evidence(runtime).read(EvidenceRef(named["key"], named["version_id"]))


def test_every_answer_and_the_file_are_kept_and_named_by_their_events(
    runtime: EmbeddedRuntime, answered: dict[str, Any], platform: tuple[str, WebhookReceiver]
) -> None:
    notice_id = answered["notice_id"]
    platform_id, receiver = platform

    (kept,) = _named(notice_id, "source_file_kept")
    assert _read(runtime, kept["file"]) == answered["file"]
    upload_version = answered["report"]["file"]["version_id"]
    sent_report = runtime.client("s3").get_object(
        Bucket=runtime.outputs["PsxIntakeBucket"],
        Key=version_result_key_for(answered["regulator_id"], "evidence.csv", upload_version),
    )
    assert _read(runtime, kept["result_report"]) == sent_report["Body"].read()

    (attempt,) = _named(notice_id, "webhook_delivered")
    pushed = json.loads(_read(runtime, attempt))
    (delivery,) = receiver.deliveries
    assert json.loads(pushed["payload"]) == delivery.body
    assert pushed["headers"]["webhook-signature"] == delivery.headers["webhook-signature"]
    assert pushed["outcome"] == {"delivered": True, "status_code": 200, "reason": None}

    (ack,) = _named(notice_id, "acknowledgement_received")
    assert json.loads(_read(runtime, ack))["body"]["reference"] == "T-1"
    (actions,) = _named(notice_id, "action_report_received")
    assert json.loads(_read(runtime, actions))["body"]["listings"][0]["listing_id"] == "L-1"
    (parties,) = _named(notice_id, "affected_parties_received")
    counts = json.loads(_read(runtime, parties))
    assert (counts["sellers"], counts["buyers"]) == (1, 1)
    for named in (kept["file"], kept["result_report"], attempt, ack, actions, parties):
        stored = _evidence(runtime).describe(EvidenceRef(named["key"], named["version_id"]))
        assert stored.lock_mode == "COMPLIANCE"
    assert all(
        key["key"].startswith(f"notices/{notice_id}/v000001/")
        for key in (attempt, ack, actions, parties)
    )
    assert f"/{platform_id}/" in attempt["key"]


def test_contact_data_never_reaches_the_evidence_bucket(
    runtime: EmbeddedRuntime, answered: dict[str, Any]
) -> None:
    evidence = _evidence(runtime)
    everything = list(evidence.versions_under(""))

    assert any(ref.key.startswith(f"notices/{answered['notice_id']}/") for ref in everything)
    for ref in everything:
        body = evidence.read(ref)
        assert not [contact for contact in CONTACT_DATA if contact in body], ref.key


def test_the_exported_bundle_verifies_and_a_tampered_one_does_not(
    runtime: EmbeddedRuntime, answered: dict[str, Any], tmp_path: Path
) -> None:
    notice_id = answered["notice_id"]
    directory = tmp_path / "bundle"

    exported = export_bundle(Target(), notice_id, directory)
    zipped = export_bundle(Target(), notice_id, tmp_path / "bundle.zip")

    assert exported is not None and zipped is not None
    named = {
        (event["details"]["evidence"]["key"], event["details"]["evidence"]["version_id"])
        for event in exported.manifest["timeline"]
        if "key" in (event["details"].get("evidence") or {})
    }
    listed = {(entry["key"], entry["version_id"]) for entry in exported.manifest["objects"]}
    assert len(named) == 4 and named < listed  # and the file and its report
    assert verify_bundle(directory).ok and verify_bundle(tmp_path / "bundle.zip").ok
    for taken in (directory, tmp_path / "bundle.zip"):
        with pytest.raises(EvidenceError, match="export into a new"):
            export_bundle(Target(), notice_id, taken)
    with zipfile.ZipFile(tmp_path / "bundle.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["objects"] == exported.manifest["objects"]

    first, second = exported.manifest["objects"][:2]
    (directory / first["path"]).write_bytes(b"altered")
    (directory / second["path"]).unlink()
    (directory / "objects" / "smuggled.txt").write_bytes(b"not evidence")
    problems = verify_bundle(directory).problems

    assert problems == [
        f"{first['path']}: 7 bytes, the manifest says {first['size']}",
        f"{second['path']}: missing",
        "objects/smuggled.txt: not in the manifest",
    ]


def test_a_file_of_the_same_size_but_other_bytes_fails_verification(
    runtime: EmbeddedRuntime, answered: dict[str, Any], tmp_path: Path
) -> None:
    exported = export_bundle(Target(), answered["notice_id"], tmp_path)
    assert exported is not None
    entry = exported.manifest["objects"][0]
    original = (tmp_path / entry["path"]).read_bytes()

    (tmp_path / entry["path"]).write_bytes(bytes([original[0] ^ 1]) + original[1:])

    assert verify_bundle(tmp_path).problems == [
        f"{entry['path']}: SHA-256 differs from the manifest"
    ]


def test_each_webhook_attempt_is_kept_with_its_outcome_in_our_words(
    runtime: EmbeddedRuntime, regulator_id: str, platform: tuple[str, WebhookReceiver]
) -> None:
    platform_id, receiver = platform
    receiver.fail_next(1, status=500, body=b"<pre>DB_PASSWORD=hunter2</pre>")

    body = (HEADER + notice_row("EV-2", [platform_id])).encode()
    notice_id = accepted_rows(upload(runtime, regulator_id, "attempts.csv", body))[0]["notice_id"]
    waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.ACKNOWLEDGEMENT, seconds=60)

    (failed,) = _named(notice_id, "webhook_failed")
    (delivered,) = _named(notice_id, "webhook_delivered")
    first, second = json.loads(_read(runtime, failed)), json.loads(_read(runtime, delivered))
    assert (first["attempt"], second["attempt"]) == (1, 2)
    assert first["outcome"] == {
        "delivered": False,
        "status_code": 500,
        "reason": "HTTP 500 from the platform's endpoint",
    }
    assert second["outcome"]["delivered"] is True
    # The same message, signed anew for each attempt.
    assert first["payload"] == second["payload"]
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]
    assert b"DB_PASSWORD" not in _read(runtime, failed)


def test_an_answer_whose_evidence_cannot_be_kept_is_not_recorded_and_a_retry_is(
    runtime: EmbeddedRuntime,
    api: Api,
    regulator_id: str,
    platform: tuple[str, WebhookReceiver],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    platform_id, _ = platform
    body = (HEADER + notice_row("EV-3", [platform_id])).encode()
    notice_id = accepted_rows(upload(runtime, regulator_id, "ev3.csv", body))[0]["notice_id"]
    ref = DispatchRef(notice_id, 1, platform_id)
    waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
    caller = api_key_for(PrincipalKind.PLATFORM, platform_id)
    original = EvidenceBucket.put
    refused: list[str] = []

    def refuse_once(self: EvidenceBucket, key: str, data: bytes, content_type: str) -> EvidenceRef:
        if "/acknowledgement/" in key and not refused:
            refused.append(key)
            raise ConnectionResetError
        return original(self, key, data, content_type)

    monkeypatch.setattr(EvidenceBucket, "put", refuse_once)
    path = f"/v1/notices/{notice_id}/acknowledgement"

    failed = api.post(path, {"reference": "T-3"}, caller, idempotency_key="ack-ev3")
    answered_meanwhile = services().dispatches.get(ref)
    retried = api.post(path, {"reference": "T-3"}, caller, idempotency_key="ack-ev3")

    assert failed.status == 500 and refused
    assert answered_meanwhile is not None and answered_meanwhile.acknowledged_at is None
    assert retried.status == 201
    (ack,) = _named(notice_id, "acknowledgement_received")
    assert json.loads(_read(runtime, ack))["body"]["reference"] == "T-3"
    waiting_for(ref, WaitKind.ACTION_REPORT)  # the workflow moved on


REGULATOR_NOTICE = {
    "kind": "order",
    "jurisdiction": "KR",
    "title": "Magnetic toy recall",
    "product": {"name": "Magnetic toy", "brand": "KidBlocks"},
    "hazard": {"types": ["Injuries"], "description": "Magnets can be swallowed"},
    "target_platforms": ["nobody-registered"],
}


def _regulator_requests(runtime: EmbeddedRuntime, notice_id: str) -> list[str]:
    prefix = f"notices/{notice_id}/"
    return [
        ref.key
        for ref in _evidence(runtime).versions_under(prefix)
        if "/regulator-request/" in ref.key
    ]


def _kept_request(runtime: EmbeddedRuntime, notice_id: str, kind: str) -> dict[str, Any]:
    (named,) = _named(notice_id, kind)
    kept: dict[str, Any] = json.loads(_read(runtime, named))
    assert _evidence(runtime).describe(EvidenceRef(**named)).lock_mode == "COMPLIANCE"
    return {"key": named["key"], **kept}


def test_each_regulator_request_is_kept_as_sent_and_named_by_its_event(
    runtime: EmbeddedRuntime, api: Api, tmp_path: Path
) -> None:
    regulator = new_regulator()
    sent = {**REGULATOR_NOTICE, "source_reference": unique("EV-API")}
    notice_id = api.post("/v1/notices", sent, regulator, idempotency_key="ev-send").body[
        "notice_id"
    ]
    path = f"/v1/notices/{notice_id}"
    amendment = {"changes": {"remedy": "Full refund"}, "reason": "remedy agreed"}
    withdrawal = {"reason": "recall complete"}

    assert api.post(f"{path}/amendment", amendment, regulator).status == 201
    refused = api.post(f"{path}/amendment", {"changes": {"status": "withdrawn"}}, regulator)
    assert api.post(f"{path}/withdrawal", withdrawal, regulator).status == 201

    assert refused.status == 400
    submitted = _kept_request(runtime, notice_id, "submission_requested")
    amended = _kept_request(runtime, notice_id, "amendment_requested")
    withdrawn = _kept_request(runtime, notice_id, "withdrawal_requested")
    assert submitted["request"] == sent and submitted["idempotency_key"] == "ev-send"
    assert submitted["principal"] == f"regulator:{regulator.id}"
    assert (amended["request"], withdrawn["request"]) == (amendment, withdrawal)
    assert [kept["key"].split("/")[2] for kept in (submitted, amended, withdrawn)] == [
        "v000001",
        "v000002",
        "v000003",
    ]
    # One object per request that made a version: the refused amendment kept nothing.
    assert len(_regulator_requests(runtime, notice_id)) == 3

    exported = export_bundle(Target(), notice_id, tmp_path / "bundle")
    assert exported is not None and verify_bundle(tmp_path / "bundle").ok
    listed = {entry["key"] for entry in exported.manifest["objects"]}
    assert {submitted["key"], amended["key"], withdrawn["key"]} <= listed


def test_a_retried_or_unchanged_request_keeps_nothing_more(
    runtime: EmbeddedRuntime, api: Api
) -> None:
    regulator = new_regulator()
    sent = {**REGULATOR_NOTICE, "source_reference": unique("EV-API")}

    first = api.post("/v1/notices", sent, regulator, idempotency_key="ev-retry")
    retried = api.post("/v1/notices", sent, regulator, idempotency_key="ev-retry")
    unchanged = api.post("/v1/notices", sent, regulator)

    assert (first.status, retried.status, unchanged.status) == (201, 201, 200)
    notice_id = first.body["notice_id"]
    assert len(_regulator_requests(runtime, notice_id)) == 1
    assert len(_named(notice_id, "submission_requested")) == 1


def test_a_request_whose_evidence_cannot_be_kept_stores_nothing_and_a_retry_does(
    runtime: EmbeddedRuntime, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    regulator = new_regulator()
    notice_id = api.post(
        "/v1/notices", {**REGULATOR_NOTICE, "source_reference": unique("EV-API")}, regulator
    ).body["notice_id"]
    original = EvidenceBucket.put
    refused: list[str] = []

    def refuse_once(self: EvidenceBucket, key: str, data: bytes, content_type: str) -> EvidenceRef:
        if "/regulator-request/amendment" in key and not refused:
            refused.append(key)
            raise ConnectionResetError
        return original(self, key, data, content_type)

    monkeypatch.setattr(EvidenceBucket, "put", refuse_once)
    path = f"/v1/notices/{notice_id}/amendment"
    amendment = {"changes": {"remedy": "Full refund"}}

    failed = api.post(path, amendment, regulator, idempotency_key="ev-amend")
    stored_meanwhile = services().notices.current_state(notice_id)
    retried = api.post(path, amendment, regulator, idempotency_key="ev-amend")

    assert failed.status == 500 and refused
    assert stored_meanwhile is not None and stored_meanwhile.version == 1
    assert retried.status == 201 and retried.body["version"] == 2
    assert _kept_request(runtime, notice_id, "amendment_requested")["request"] == amendment
