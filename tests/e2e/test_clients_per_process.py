"""Every handler reuses the process's AWS clients: many concurrent invocations (a file's
lifecycles, API calls) create each client once, not once per invocation or per thread."""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.stores import aws_clients
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import Api, key_for
from tests.e2e.intake_steps import accepted_rows, upload
from tests.e2e.lifecycle_steps import HEADER, notice_row, register, waiting_for

pytestmark = pytest.mark.e2e

NOTICES = 12


@pytest.fixture
def created_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Service name -> clients the exchange's code created (the test's own don't count)."""
    created: Counter[str] = Counter()
    original = boto3.session.Session.client

    def counting_client(session: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_globals["__name__"] == aws_clients.__name__:
            created[args[0] if args else kwargs["service_name"]] += 1
        return original(session, *args, **kwargs)

    aws_clients.reset_clients()
    monkeypatch.setattr(boto3.session.Session, "client", counting_client)
    yield created


def test_concurrent_invocations_of_every_handler_create_each_client_once(
    runtime: EmbeddedRuntime, regulator_id: str, created_clients: Counter[str]
) -> None:
    platform_id = f"plat-{uuid.uuid4().hex[:6]}"
    receiver = WebhookReceiver(secrets=[])
    receiver.come_up()
    try:
        receiver.trust(register(platform_id, receiver))
        rows = "".join(notice_row(f"C-{n}", [platform_id]) for n in range(NOTICES))
        report = upload(runtime, regulator_id, "clients.csv", (HEADER + rows).encode())
        notice_ids = [row["notice_id"] for row in accepted_rows(report)]
        assert len(notice_ids) == NOTICES, report
        wait_until(lambda: len(receiver.deliveries) >= NOTICES or None, "every webhook", 120)
    finally:
        receiver.go_down()
    api = Api(runtime)
    platform = key_for(PrincipalKind.PLATFORM, platform_id)
    for notice_id in notice_ids:
        waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.ACKNOWLEDGEMENT)
        acknowledged = api.post(f"/v1/notices/{notice_id}/acknowledgement", {}, platform)
        assert acknowledged.status == 201, acknowledged.body
    for notice_id in notice_ids:
        waiting_for(DispatchRef(notice_id, 1, platform_id), WaitKind.ACTION_REPORT)

    # Intake, RecordReceived, PlanDispatch, PushWebhook, OpenWait (twice per notice), the
    # authorizer and the API all ran, many of them at the same time.
    assert {"dynamodb", "s3", "stepfunctions", "sns"} <= set(created_clients), created_clients
    assert max(created_clients.values()) == 1, created_clients
