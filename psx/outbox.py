"""What the embedded exchange sent to sellers and buyers: moto's record of SES and SNS,
read back as one line per recipient and message, each e-mail as an ``.eml`` a person
can open.

moto keeps what SES and SNS were asked to send (``/moto-api/data.json`` of `psx serve`'s
AWS endpoint; its backends in process; the seam records SES v2 bulk sends there too). A
bulk e-mail is put together as SES would: the stored template (read back with SES v2's
``GetEmailTemplate``) with each destination's replacement data, as one
``multipart/alternative`` message. Real SES keeps no such record, so this is a local tool.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.request import urlopen

from chalicelib.notification.placeholders import substitute

# chalicelib/notification/delivery.py: template_name
_TEMPLATE = re.compile(r"psx-(?P<notice>[0-9a-f]{24})-(?P<kind>[a-z_]+)-(?P<language>[a-z]{2})-")
SENT = "sent"  # moto accepted it: as far as a local run goes, it went


@dataclass(frozen=True)
class OutboxMessage:
    channel: str  # email | sms
    recipient: str
    notice_id: str | None
    kind: str | None
    language: str | None
    subject: str
    status: str
    eml: bytes | None  # None for an SMS
    text: str  # the plain-text part (the SMS itself)

    def as_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "recipient": self.recipient,
            "notice_id": self.notice_id,
            "kind": self.kind,
            "language": self.language,
            "subject": self.subject,
            "status": self.status,
        }


# A stored template's parts by its name: {"Subject": …, "Text": …, "Html": …}.
Templates = Callable[[str], dict[str, str]]


def stored_templates(sesv2: Any) -> Templates:
    """The templates SES keeps, read through an SES v2 client."""

    def template(name: str) -> dict[str, str]:
        content: dict[str, str] = sesv2.get_email_template(TemplateName=name)["TemplateContent"]
        return content

    return template


def served_data(endpoint_url: str) -> dict[str, Any]:
    """moto's model data from `psx serve`'s AWS endpoint."""
    with urlopen(f"{endpoint_url.rstrip('/')}/moto-api/data.json", timeout=30) as response:
        data: dict[str, Any] = json.load(response)
        return data


def in_process_data(region: str) -> dict[str, Any]:
    """The same shape from moto's backends in this process (the demo, tests)."""
    # Imported here: the embedded runtime brings all of moto, which a `psx` command that
    # reads a served outbox (or does anything else) has no use for.
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    from psx.embedded.runtime import ACCOUNT_ID

    sent: dict[str, list[dict[str, Any]]] = {}
    for message in ses_backends[ACCOUNT_ID][region].sent_messages:
        sent.setdefault(type(message).__name__, []).append(dict(vars(message)))
    sms = [
        {"phone_number": phone, "message": text}
        for phone, text in sns_backends[ACCOUNT_ID][region].sms_messages.values()
    ]
    return {"ses": sent, "sns": {"SMS": sms}}


def messages(data: dict[str, Any], templates: Templates) -> Iterator[OutboxMessage]:
    ses = data.get("ses", {})
    # A bulk send is recorded as a TemplateMessage; the BulkTemplateMessage moto also
    # makes (and data.json lists) is only its answer, the same send again.
    for sent in ses.get("TemplateMessage", []):
        yield from _templated(sent, templates)
    for sent in ses.get("RawMessage", []):
        yield _raw(sent)
    for sms in data.get("sns", {}).get("SMS", []):
        text = str(sms["message"])
        yield OutboxMessage("sms", sms["phone_number"], None, None, None, "", SENT, None, text)


def _templated(sent: dict[str, Any], templates: Templates) -> Iterator[OutboxMessage]:
    template = templates(sent["template"])
    named = _TEMPLATE.match(sent["template"])
    for destination in sent["destinations"]:
        data = json.loads(destination.get("ReplacementTemplateData") or "{}")
        parts = {name: substitute(template.get(name, ""), data) for name in _PARTS}
        for address in destination["Destination"]["ToAddresses"]:
            eml = _eml(sent["source"], address, parts)
            yield OutboxMessage(
                "email",
                address,
                f"ntc-{named['notice']}" if named else None,
                named["kind"] if named else None,
                named["language"] if named else None,
                parts["Subject"],
                SENT,
                eml,
                parts["Text"],
            )


_PARTS = ("Subject", "Text", "Html")


def _eml(source: str, address: str, parts: dict[str, str]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = source, address, parts["Subject"]
    message.set_content(parts["Text"])
    message.add_alternative(parts["Html"], subtype="html")
    return message.as_bytes()


def _raw(sent: dict[str, Any]) -> OutboxMessage:
    raw = sent["raw_data"].encode("utf-8")
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body(preferencelist=("plain",))
    return OutboxMessage(
        "email",
        str(parsed["To"]),
        parsed["X-PSX-Notice"],
        parsed["X-PSX-Kind"],
        parsed["X-PSX-Language"],
        str(parsed["Subject"]),
        SENT,
        raw,
        body.get_content() if body is not None else "",
    )
