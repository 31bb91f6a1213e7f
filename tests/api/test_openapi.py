"""The OpenAPI 3.1 document: valid, in step with the routes, and true of the API.

The property run sends schemathesis-generated requests (a bounded, deterministic number
per operation) through Chalice's test client, with a key of the principal each
operation is for, and fails on any 5xx or on a response its schema does not describe.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.api.models import MAX_PARTY_COUNT
from chalicelib.api.openapi import openapi_document
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api, Caller, new_platform, new_regulator, seed_notice

MAX_EXAMPLES = 40


def test_the_document_is_valid_openapi_3_1(api: Api) -> None:
    document = api.get("/v1/openapi.json").body

    validate(document)
    assert document["openapi"] == "3.1.0"


def test_every_route_is_documented_and_every_operation_routed(
    api: Api, runtime: EmbeddedRuntime
) -> None:
    document = api.get("/v1/openapi.json").body
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    routed = {
        (path, method) for path, methods in runtime.app.app.routes.items() for method in methods
    }

    assert documented == routed


def test_the_document_states_the_bounds_of_numbers_and_times(api: Api) -> None:
    schemas = api.get("/v1/openapi.json").body["components"]["schemas"]
    version = schemas["Acknowledgement"]["properties"]["version"]["anyOf"][0]
    buyers = schemas["SelfNotified"]["properties"]["buyers"]
    acted_at = schemas["Listing"]["properties"]["acted_at"]

    assert (version["type"], version["minimum"], version["maximum"]) == ("integer", 1, 999_999)
    assert (buyers["minimum"], buyers["maximum"]) == (0, MAX_PARTY_COUNT)
    assert acted_at["format"] == "date-time"
    assert re.search(acted_at["pattern"], "2026-11-23T09:30:00+09:00")
    assert not re.search(acted_at["pattern"], "2026-11-23T09:30:00")  # no zone
    assert "1970-01-01 to 2099-12-31" in acted_at["description"]


def test_the_notice_view_documents_each_dispatchs_hand_off_cases(api: Api) -> None:
    schemas = api.get("/v1/openapi.json").body["components"]["schemas"]
    dispatches = schemas["NoticeView"]["properties"]["dispatches"]["items"]["$ref"]
    dispatch = schemas[dispatches.rsplit("/", 1)[-1]]

    for capability in ("notification", "verification"):
        assert capability in dispatch["required"]
        status = dispatch["properties"][capability]["anyOf"][0]["$ref"].rsplit("/", 1)[-1]
        assert schemas[status]["enum"] == [
            "pending",
            "in_progress",
            "overdue",
            "completed",
            "verified",
            "findings_open",
        ]
        assert "null: not handed off" in dispatch["properties"][capability]["description"]


class _ChaliceAsWsgi:
    """Chalice's test client (its local gateway and the authorizer) as a WSGI app, so
    schemathesis can call the API in-process."""

    def __init__(self, api: Api) -> None:
        self._api = api

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = quote(environ.get("PATH_INFO", ""))
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        headers = {
            name[5:].replace("_", "-").title(): value
            for name, value in environ.items()
            if name.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = self._api.raw(environ["REQUEST_METHOD"], path, headers, body)
        status = f"{response.status_code} {HTTPStatus(response.status_code).phrase}"
        # As Chalice's local server and API Gateway do for a view returning a dict.
        response_headers = {"Content-Type": "application/json", **response.headers}
        start_response(status, list(response_headers.items()))
        return [response.body]


@dataclass(frozen=True)
class Seeded:
    keys: dict[str, Caller]
    notice_id: str  # sent by the regulator to the platform


@pytest.fixture(scope="module")
def seeded(api: Api) -> Seeded:
    platform, regulator = new_platform(), new_regulator()
    notice_id = seed_notice(regulator, [platform])
    return Seeded({"platform": platform, "regulator": regulator}, notice_id)


@pytest.fixture(scope="module")
def api_schema(api: Api, seeded: Seeded) -> Any:
    """The served document, with the seeded notice's id as the only notice id: random
    ids only ever reach the 404 (tested elsewhere); this one reaches the logic behind it."""
    document = copy.deepcopy(api.get("/v1/openapi.json").body)
    for item in document["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "notice_id":
                    parameter["schema"] = {"type": "string", "enum": [seeded.notice_id]}
    return schemathesis.openapi.from_dict(document)


# (path, method) of every operation, read from the generated document (no app needed).
OPERATIONS = sorted(
    (path, method) for path, item in openapi_document()["paths"].items() for method in item
)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_generated_requests_get_no_server_error(
    api: Api, api_schema: Any, seeded: Seeded, path: str, method: str
) -> None:
    operation = api_schema[path][method]
    principals = operation.definition.raw.get("x-psx-principals", [])
    key = seeded.keys[principals[0]].key if principals else None
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    app = _ChaliceAsWsgi(api)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def property_holds(case: Any) -> None:
        case.call_and_validate(
            headers=headers,
            app=app,
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
        )

    property_holds()
