"""Sending e-mail through Amazon SES: one templated bulk call for up to 50 recipients of
the same content, one plain call for a message of its own (a statement of reasons).

SES's v1 ``SendBulkTemplatedEmail`` is the bulk path: the template holds the shared
subject, HTML and text (SES sends them as one ``multipart/alternative`` message) and
each destination brings its own replacement data. moto implements it (not v2's
``SendBulkEmail``), so the same calls run locally and on AWS. A message of its own goes
as a raw MIME message (``SendRawEmail``), so it carries headers saying what it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from email.message import EmailMessage

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
            self._ses.send_raw_email(
                Source=sender.source,
                Destinations=[address],
                RawMessage={"Data": message.as_bytes()},
            )
        except ClientError as exc:
            raise_if_throttled(exc)
            return error_code(exc)
        return None


def _reply_to(sender: Sender) -> dict[str, list[str]]:
    return {"ReplyToAddresses": [sender.reply_to]} if sender.reply_to else {}
