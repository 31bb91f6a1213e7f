"""Sending e-mail through Amazon SES: one templated bulk call for up to 50 recipients of
the same content, one plain call for a message of its own (a statement of reasons).

SES's v1 ``SendBulkTemplatedEmail`` is the bulk path: the template holds the shared
subject, HTML and text (SES sends them as one ``multipart/alternative`` message) and
each destination brings its own replacement data. moto implements it (not v2's
``SendBulkEmail``), so the same calls run locally and on AWS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from botocore.exceptions import ClientError

from chalicelib.notification.channels import Destination, Email, Sender, SendingThrottled
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_errors import error_code

# What SES answers when the account's sending rate is exceeded: retried later, not a
# failure of the recipient (boto3's own retries come first).
_THROTTLING = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException"})


def raise_if_throttled(exc: ClientError) -> None:
    if error_code(exc) in _THROTTLING:
        raise SendingThrottled(error_code(exc)) from exc


class OutboundMail:
    def __init__(self) -> None:
        self._ses = aws_clients.ses()
        self._templates: set[str] = set()

    def ensure_template(self, name: str, email: Email) -> None:
        """Create the template once (named by its content, so an existing one is the same)."""
        if name in self._templates:
            return
        template = {
            "TemplateName": name,
            "SubjectPart": email.subject,
            "TextPart": email.text,
            "HtmlPart": email.html,
        }
        try:
            self._ses.create_template(Template=template)
        except ClientError as exc:
            raise_if_throttled(exc)
            if error_code(exc) != "AlreadyExists":
                raise
        self._templates.add(name)

    def send_bulk(
        self, sender: Sender, template: str, destinations: Sequence[Destination]
    ) -> list[str | None]:
        """Send ``template`` to each destination (≤ ``BULK_DESTINATIONS``); per destination
        None when SES accepted it, else its error. Raises ``SendingThrottled``."""
        try:
            response = self._ses.send_bulk_templated_email(
                Source=sender.source,
                **_reply_to(sender),
                Template=template,
                DefaultTemplateData=json.dumps(destinations[0].replacements),
                Destinations=[
                    {
                        "Destination": {"ToAddresses": [destination.address]},
                        "ReplacementTemplateData": json.dumps(destination.replacements),
                    }
                    for destination in destinations
                ],
            )
        except ClientError as exc:
            raise_if_throttled(exc)
            return [error_code(exc)] * len(destinations)  # refused whole: each one failed
        return [
            None if status.get("Status", "Success") == "Success" else str(status["Status"])
            for status in response["Status"]
        ]

    def send(self, sender: Sender, address: str, email: Email) -> str | None:
        """Send one message of its own; None when SES accepted it, else the error."""
        try:
            self._ses.send_email(
                Source=sender.source,
                **_reply_to(sender),
                Destination={"ToAddresses": [address]},
                Message={
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                },
            )
        except ClientError as exc:
            raise_if_throttled(exc)
            return error_code(exc)
        return None


def _reply_to(sender: Sender) -> dict[str, list[str]]:
    return {"ReplyToAddresses": [sender.reply_to]} if sender.reply_to else {}
