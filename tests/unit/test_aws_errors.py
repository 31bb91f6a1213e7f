"""Which failures fail one item (recorded against it) and which fail the moment (retried)."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from chalicelib.stores.aws_errors import error_name, is_permanent


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "…"}}, "PutItem")


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ValidationException"),  # DynamoDB's item-size refusal among others
        _client_error("ItemCollectionSizeLimitExceededException"),
        _client_error("InvalidName"),
        ParamValidationError(report="bad parameter"),
        KeyError("a fault met with this item's data"),
    ],
)
def test_failures_about_the_item_are_permanent(error: Exception) -> None:
    assert is_permanent(error)


@pytest.mark.parametrize(
    "error",
    [
        _client_error("ProvisionedThroughputExceededException"),
        _client_error("ThrottlingException"),
        _client_error("InternalServerError"),
        _client_error("AccessDeniedException"),  # a deployment fault: fixed, a retry works
        EndpointConnectionError(endpoint_url="https://dynamodb.example"),
        ReadTimeoutError(endpoint_url="https://dynamodb.example"),
        ConnectionResetError(),
    ],
)
def test_failures_of_the_moment_are_transient(error: Exception) -> None:
    assert not is_permanent(error)


def test_a_failure_is_named_by_its_aws_code_or_its_type() -> None:
    assert error_name(_client_error("ValidationException")) == "ValidationException"
    assert error_name(KeyError("x")) == "KeyError"
