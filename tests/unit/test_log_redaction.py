"""Contacts never reach the logs: the shared logger redacts them from every line."""

from __future__ import annotations

import io
import json

from aws_lambda_powertools import Logger

from chalicelib.observability import REDACTED, RedactingFormatter


def test_addresses_and_phone_numbers_are_redacted_from_message_extras_and_errors() -> None:
    stream = io.StringIO()
    logger = Logger(service="redaction-test", logger_formatter=RedactingFormatter(), stream=stream)
    logger.info(
        "sent to kim.lee@mail.example",
        extra={"recipient": {"email": "Anna@Shop.Example", "phone": "+821023456789"}},
    )
    try:
        raise ValueError("bad address seller+tag@shop.example")
    except ValueError:
        logger.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    text = stream.getvalue()
    for leaked in ("kim.lee", "Anna@", "+821023456789", "seller+tag"):
        assert leaked not in text
    assert lines[0]["message"] == f"sent to {REDACTED}"
    assert lines[0]["recipient"] == {"email": REDACTED, "phone": REDACTED}
    assert lines[1]["level"] == "ERROR" and REDACTED in lines[1]["exception"]


def test_other_values_are_left_alone() -> None:
    stream = io.StringIO()
    logger = Logger(service="redaction-kept", logger_formatter=RedactingFormatter(), stream=stream)
    logger.info("chunk", extra={"notice_id": "ntc-0123", "recipients": 50, "key": "buyer#ab12"})
    line = json.loads(stream.getvalue())
    assert (line["notice_id"], line["recipients"], line["key"]) == ("ntc-0123", 50, "buyer#ab12")
