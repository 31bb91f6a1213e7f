"""Given/When/Then helpers for the notice lifecycle: platforms, uploads, answers, waits."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

from chalicelib.dispatch.model import Dispatch, DispatchRef, WaitKind
from chalicelib.dispatch.services import LifecycleServices, lifecycle_services
from chalicelib.dispatch.waits import AnswerOutcome, answer
from chalicelib.notification.batches import BatchOutcome, accept_batch
from chalicelib.notification.services import notification_services
from chalicelib.platforms.model import Platform
from chalicelib.platforms.registration import register_platform
from chalicelib.settings import load_settings
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.signing_secrets import signing_secret_name
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until
from psx.webhook_receiver import WebhookReceiver
from tests.e2e.intake_steps import accepted_rows, upload

T = TypeVar("T")

HEADER = (
    "source_reference,kind,product_name,brand,models,barcodes,hazard_description,"
    "jurisdiction,target_platforms,status,global_watch\n"
)


def services() -> LifecycleServices:
    return lifecycle_services(load_settings())


def register(platform_id: str, receiver: WebhookReceiver | None, jurisdiction: str = "KR") -> str:
    """Register a platform (with its receiver's URL) as `psx platforms add` does."""
    return register_platform(
        PlatformStore(os.environ["PSX_TABLE_NAME"]),
        Platform(
            platform_id=platform_id,
            name=platform_id.title(),
            jurisdictions=[jurisdiction],
            webhook_url=receiver.url if receiver else None,
            signing_secret_ref=signing_secret_name("psx-dev", platform_id),
            languages=["ko"],
        ),
    )


@contextmanager
def receiving_platforms(*names: str) -> Iterator[dict[str, WebhookReceiver]]:
    """Platforms with running webhook receivers, under ids no other test uses."""
    suffix = uuid.uuid4().hex[:6]
    receivers: dict[str, WebhookReceiver] = {}
    try:
        for name in names:
            platform_id = f"{name}-{suffix}"
            receiver = WebhookReceiver(secrets=[])
            receiver.come_up()
            receivers[platform_id] = receiver
            receiver.trust(register(platform_id, receiver))
        yield receivers
    finally:
        for receiver in receivers.values():
            receiver.go_down()


def notice_row(
    reference: str,
    platforms: list[str],
    status: str = "active",
    model: str = "M-1",
    kind: str = "order",
    global_watch: str = "",
) -> str:
    return (
        f"{reference},{kind},어린이 자석 장난감,키즈블록,{model},8801234567893,자석 삼킴 위험,KR,"
        f'"{",".join(platforms)}",{status},{global_watch}\n'
    )


def publish(runtime: EmbeddedRuntime, regulator_id: str, name: str, *rows: str) -> str:
    """Upload rows through S3; returns the notice id of the first accepted row."""
    report = upload(runtime, regulator_id, name, (HEADER + "".join(rows)).encode())
    rows_accepted = accepted_rows(report)
    assert rows_accepted, report
    return str(rows_accepted[0]["notice_id"])


def dispatch_of(ref: DispatchRef) -> Dispatch | None:
    return services().dispatches.get(ref)


def waiting_for(ref: DispatchRef, kind: WaitKind, seconds: float = 30.0) -> Dispatch:
    def probe() -> Dispatch | None:
        dispatch = dispatch_of(ref)
        return dispatch if dispatch and dispatch.open_wait is kind else None

    return wait_until(probe, f"{ref} to wait for {kind.value}", seconds)


def respond(
    ref: DispatchRef, kind: WaitKind, at: datetime | None = None, **body: Any
) -> AnswerOutcome:
    return answer(ref, kind, body, at or datetime.now(UTC), services())


def notified_by_platform(
    ref: DispatchRef, sellers: int, buyers: int, at: datetime | None = None
) -> BatchOutcome:
    """The platform's own counts, as its last batch (``platform`` mode)."""
    dispatch = dispatch_of(ref)
    assert dispatch is not None
    body = {"notified_by_platform": {"sellers": sellers, "buyers": buyers}, "final": True}
    now = at or datetime.now(UTC)
    return accept_batch(dispatch, body, now, notification_services(load_settings()))


def execution(runtime: EmbeddedRuntime, notice_id: str, version: int) -> dict[str, Any]:
    sfn = runtime.client("stepfunctions")
    arn = runtime.outputs["PsxLifecycleStateMachineArn"].replace(":stateMachine:", ":execution:")
    return dict(sfn.describe_execution(executionArn=f"{arn}:{notice_id}-v{version}"))


def finished(runtime: EmbeddedRuntime, notice_id: str, version: int) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        described = execution(runtime, notice_id, version)
        return described if described["status"] != "RUNNING" else None

    return wait_until(probe, f"execution of {notice_id} v{version} to finish", 60)


def timeline_kinds(notice_id: str, platform_id: str | None = None) -> list[str]:
    return [
        event.kind
        for event in services().notices.timeline(notice_id)
        if platform_id is None or event.details.get("platform_id") == platform_id
    ]


class EscalationSubscriber:
    """A queue subscribed to the escalation topic, as a regulator's system would be."""

    def __init__(self, runtime: EmbeddedRuntime) -> None:
        self._sqs = runtime.client("sqs")
        self._url = self._sqs.create_queue(QueueName=f"escalations-{uuid.uuid4().hex[:8]}")[
            "QueueUrl"
        ]
        queue_arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        runtime.client("sns").subscribe(
            TopicArn=runtime.outputs["EscalationTopicArn"],
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        self.received: list[dict[str, Any]] = []

    def about(self, notice_id: str) -> list[dict[str, Any]]:
        return [m for m in self.received_messages() if m.get("notice_id") == notice_id]

    def breach_about(self, notice_id: str) -> dict[str, Any]:
        """The one missed-deadline alert about the notice, waiting for it to arrive.

        The breach is written to the timeline before it is published, so a test that saw
        the timeline event may still be ahead of the message.
        """
        (breach,) = wait_until(
            lambda: [m for m in self.about(notice_id) if m.get("waiting_for")], "the escalation"
        )
        return breach

    def received_messages(self) -> list[dict[str, Any]]:
        """Every message the topic delivered so far."""
        while True:
            batch = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                break
            for message in batch:
                self.received.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
        return self.received
