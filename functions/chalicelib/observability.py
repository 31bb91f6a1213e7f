"""Logger, Tracer and Metrics: created once, shared by every entry point.

The logger redacts contact data (e-mail addresses, E.164 phone numbers) from every
line it writes, whatever a handler passes it: affected parties' contacts must never
reach the logs (issue 11), and a stray ``extra`` or exception text must not be the way
they do.
"""

import re
import warnings
from typing import TYPE_CHECKING

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

REDACTED = "[redacted]"
# Loose on purpose: over-redacting a log line costs nothing; leaking an address does.
_CONTACTS = re.compile(r"[^\s\"'<>(),;:@\\]+@[^\s\"'<>(),;:@\\]+\.[A-Za-z]{2,}|\+[1-9][0-9]{6,14}")


class RedactingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: "LogRecord") -> str:
        return _CONTACTS.sub(REDACTED, super().serialize(log))


logger = Logger(logger_formatter=RedactingFormatter())
tracer = Tracer()
metrics = Metrics()

# Handlers that record no business metric (health checks, workflow tasks) are normal;
# Powertools would warn on each of their calls.
warnings.filterwarnings("ignore", message="No application metrics to publish")
