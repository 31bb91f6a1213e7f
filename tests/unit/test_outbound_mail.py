"""What OutboundMail asks SES (API v2) and how it reads the answers: per destination
sent or its error, and a refusal for rate retried later, never a recipient's failure."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from chalicelib.notification.channels import Destination, Email, Sender, SendingThrottled
from chalicelib.stores import aws_clients
from chalicelib.stores.outbound_mail import OutboundMail

SENDER = Sender("notifications@psx.example", "help@shop.example")
EMAIL = Email("Recall", "Stop using it.", "<p>Stop using it.</p>")
KIM = Destination("kim@mail.example", {"order_date": "2026년 10월 1일"})
ANNA = Destination("anna@mail.example", {"order_date": ""})


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client(
        "sesv2", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    monkeypatch.setattr(aws_clients, "sesv2", lambda: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _bulk_request() -> dict[str, Any]:
    def entry(destination: Destination) -> dict[str, Any]:
        data = json.dumps(destination.replacements)
        return {
            "Destination": {"ToAddresses": [destination.address]},
            "ReplacementEmailContent": {"ReplacementTemplate": {"ReplacementTemplateData": data}},
        }

    default = {"TemplateName": "psx-t", "TemplateData": json.dumps(KIM.replacements)}
    return {
        "FromEmailAddress": SENDER.source,
        "ReplyToAddresses": [SENDER.reply_to],
        "DefaultContent": {"Template": default},
        "BulkEmailEntries": [entry(KIM), entry(ANNA)],
    }


def _results(*statuses: str) -> dict[str, Any]:
    return {"BulkEmailEntryResults": [{"Status": status} for status in statuses]}


def test_a_bulk_send_names_the_template_and_each_entrys_data(ses: Stubber) -> None:
    ses.add_response("send_bulk_email", _results("SUCCESS", "MESSAGE_REJECTED"), _bulk_request())

    errors = OutboundMail().send_bulk(SENDER, "psx-t", [KIM, ANNA])

    assert errors == [None, "MESSAGE_REJECTED"]


def test_a_bulk_send_refused_for_rate_is_retried_not_failed(ses: Stubber) -> None:
    ses.add_client_error("send_bulk_email", "TooManyRequestsException", http_status_code=429)
    ses.add_response("send_bulk_email", _results("ACCOUNT_THROTTLED", "ACCOUNT_THROTTLED"))
    ses.add_client_error("send_bulk_email", "MessageRejected", http_status_code=400)
    mail = OutboundMail()

    with pytest.raises(SendingThrottled):
        mail.send_bulk(SENDER, "psx-t", [KIM, ANNA])
    with pytest.raises(SendingThrottled):  # no entry went
        mail.send_bulk(SENDER, "psx-t", [KIM, ANNA])
    assert mail.send_bulk(SENDER, "psx-t", [KIM, ANNA]) == ["MessageRejected"] * 2


def test_a_template_is_created_once_and_an_existing_one_is_the_same(ses: Stubber) -> None:
    content = {"Subject": EMAIL.subject, "Text": EMAIL.text, "Html": EMAIL.html}
    expected = {"TemplateName": "psx-t", "TemplateContent": content}
    ses.add_client_error(
        "create_email_template", "AlreadyExistsException", expected_params=expected
    )
    mail = OutboundMail()

    mail.ensure_template("psx-t", EMAIL)
    mail.ensure_template("psx-t", EMAIL)  # no second call: the stubber has none to answer


def test_a_message_of_its_own_goes_as_raw_content_to_its_one_address(ses: Stubber) -> None:
    expected = {
        "FromEmailAddress": SENDER.source,
        "Destination": {"ToAddresses": [KIM.address]},
        "Content": {"Raw": {"Data": ANY}},  # MIME with a boundary of its own
    }
    ses.add_response("send_email", {"MessageId": "m-1"}, expected)
    ses.add_client_error("send_email", "MessageRejected", expected_params=expected)
    mail = OutboundMail()

    assert mail.send(SENDER, KIM.address, EMAIL, {"X-PSX-Kind": "statement"}) is None
    assert mail.send(SENDER, KIM.address, EMAIL, {}) == "MessageRejected"
