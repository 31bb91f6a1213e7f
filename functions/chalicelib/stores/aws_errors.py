"""Which AWS failures are about the item written (permanent) and which are about the moment
(transient: throttling, a service error, the network, a deployment fault fixed later).

A caller that writes many independent items (intake, one per file row) records a
permanent failure against its item and goes on; a transient one fails the whole delivery,
which is retried and converges because every write is idempotent.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

# Errors AWS answers for the request's content: the same item fails the same way again.
# (DynamoDB's item-size refusal is a ValidationException; a partition over 10 GB with a
# local index is ItemCollectionSizeLimitExceededException; Step Functions refuses a bad
# name or input with InvalidName / InvalidExecutionInput.)
_ITEM_ERRORS = frozenset(
    {
        "ValidationException",
        "ItemCollectionSizeLimitExceededException",
        "InvalidName",
        "InvalidExecutionInput",
    }
)


def is_permanent(exc: Exception) -> bool:
    """Would writing the same item fail the same way again?

    Anything that is not an AWS or network error is a fault met with this item's data,
    so it is permanent too: retrying the delivery would only meet it again.
    """
    if isinstance(exc, ClientError):
        return error_code(exc) in _ITEM_ERRORS
    if isinstance(exc, BotoCoreError):
        return isinstance(exc, ParamValidationError)
    return not isinstance(exc, (ConnectionError, TimeoutError))


def error_name(exc: Exception) -> str:
    """A short name for a failure, fit for a report: AWS's error code, else the type."""
    return error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
