"""Sending e-mail through Amazon SES API v2: one bulk call for up to 50 recipients of the
same content, one plain call for a message of its own (a statement of reasons).

``SendBulkEmail`` is the bulk path: a stored template (``CreateEmailTemplate``) holds the
shared subject, HTML and text (SES sends them as one ``multipart/alternative`` message)
and each entry brings its own replacement data. A message of its own goes as raw MIME
content of ``SendEmail``, so it carries headers saying what it is. moto has no v2
templates or bulk sending; the embedded runtime's seam (``psx/embedded/moto_seam.py``)
answers them from moto's SES backend, so the same calls run locally and on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.message import EmailMessage
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.notification.channels import Destination, Email, Sender, SendingThrottled
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_errors import error_code

# Refusals for rate or quota, retried later: not a failure of the recipient (boto3's own
# retries come first). SES v2 answers TooManyRequestsException for the sending rate and
# LimitExceededException for an account limit; SNS (the SMS path) answers Throttled.
_THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "Throttled",
        "TooManyRequestsException",
        "LimitExceededException",
    }
)
# A bulk entry SES did not send because of the account's rate or daily quota.
_THROTTLED_ENTRIES = frozenset({"ACCOUNT_THROTTLED", "ACCOUNT_DAILY_QUOTA_EXCEEDED"})
_SENT = "SUCCESS"


def raise_if_throttled(exc: ClientError) -> None:
    if error_code(exc) in _THROTTLING:
        raise SendingThrottled(error_code(exc)) from exc


class OutboundMail:
    def __init__(self) -> None:
        self._ses = aws_clients.sesv2()
        self._templates: set[str] = set()

    def ensure_template(self, name: str, email: Email) -> None:
        """Create the template once (named by its content, so an existing one is the same)."""
        if name in self._templates:
            return
        content = {"Subject": email.subject, "Text": email.text, "Html": email.html}
        try:
            self._ses.create_email_template(TemplateName=name, TemplateContent=content)
        except ClientError as exc:
            raise_if_throttled(exc)
            if error_code(exc) != "AlreadyExistsException":
                raise
        self._templates.add(name)

    def send_bulk(
        self, sender: Sender, template: str, destinations: Sequence[Destination]
    ) -> list[str | None]:
        """Send ``template`` to each destination (≤ ``BULK_DESTINATIONS``); per destination
        None when SES accepted it, else its error. Raises ``SendingThrottled`` when SES
        refused the call, or every entry, for rate."""
        try:
            response = self._ses.send_bulk_email(
                FromEmailAddress=sender.source,
                **_reply_to(sender),
                DefaultContent={
                    "Template": {
                        "TemplateName": template,
                        "TemplateData": json.dumps(destinations[0].replacements),
                    }
                },
                BulkEmailEntries=[_entry(destination) for destination in destinations],
            )
        except ClientError as exc:
            raise_if_throttled(exc)
            return [error_code(exc)] * len(destinations)  # refused whole: each one failed
        statuses = [str(result["Status"]) for result in response["BulkEmailEntryResults"]]
        if statuses and all(status in _THROTTLED_ENTRIES for status in statuses):
            raise SendingThrottled(statuses[0])  # nothing went: the whole group is retried
        return [None if status == _SENT else status for status in statuses]

    def send(
        self, sender: Sender, address: str, email: Email, headers: dict[str, str]
    ) -> str | None:
        """Send one message of its own (``headers`` say what it is: never who it is for
        beyond ``To``); None when SES accepted it, else the error."""
        message = EmailMessage()
        message["From"] = sender.source
        message["To"] = address
        if sender.reply_to:
            message["Reply-To"] = sender.reply_to
        message["Subject"] = email.subject
        for name, value in headers.items():
            message[name] = value
        message.set_content(email.text)
        message.add_alternative(email.html, subtype="html")  # multipart/alternative
        try:
            self._ses.send_email(
                FromEmailAddress=sender.source,
                Destination={"ToAddresses": [address]},
                Content={"Raw": {"Data": message.as_bytes()}},
            )
        except ClientError as exc:
            raise_if_throttled(exc)
            return error_code(exc)
        return None


def _entry(destination: Destination) -> dict[str, Any]:
    replacements = json.dumps(destination.replacements)
    return {
        "Destination": {"ToAddresses": [destination.address]},
        "ReplacementEmailContent": {
            "ReplacementTemplate": {"ReplacementTemplateData": replacements}
        },
    }


def _reply_to(sender: Sender) -> dict[str, list[str]]:
    return {"ReplyToAddresses": [sender.reply_to]} if sender.reply_to else {}
