"""What the notify function hands the channels (SES, SNS), and how they refuse."""

from __future__ import annotations

from dataclasses import dataclass

# SES's limit of destinations per bulk call.
BULK_DESTINATIONS = 50


class SendingThrottled(RuntimeError):
    """SES or SNS refused for rate: nothing was sent; the delivery is retried later."""


@dataclass(frozen=True)
class Sender:
    source: str  # a verified SES identity
    reply_to: str | None


@dataclass(frozen=True)
class Destination:
    address: str
    replacements: dict[str, str]


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
