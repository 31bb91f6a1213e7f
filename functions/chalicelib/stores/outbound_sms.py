"""Sending SMS through Amazon SNS, to buyers the platform knows only by phone number."""

from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients
from chalicelib.stores.aws_errors import error_code
from chalicelib.stores.outbound_mail import raise_if_throttled


class OutboundSms:
    def __init__(self) -> None:
        self._sns = aws_clients.sns()

    def send(self, phone: str, text: str) -> str | None:
        """None when SNS accepted it, else the error. Raises ``SendingThrottled``."""
        try:
            self._sns.publish(
                PhoneNumber=phone,
                Message=text,
                MessageAttributes={
                    # A recall is not marketing: carriers deliver transactional SMS first.
                    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}
                },
            )
        except ClientError as exc:
            raise_if_throttled(exc)
            return error_code(exc)
        return None
