"""The OpenAPI 3.1 document of the API, generated from the operation table and the
pydantic models (Chalice itself only speaks Swagger 2.0). Served at ``/v1/openapi.json``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api import idempotency
from chalicelib.api.calls import NOTICE_ID_PATTERN, UPLOAD_ID_PATTERN
from chalicelib.api.operations import OPERATIONS, Operation
from chalicelib.api.problems import PROBLEM_JSON, Problem

SECURITY_SCHEME = "apiKey"

_DESCRIPTION = """\
The HTTPS API of Product Safety Exchange, for marketplaces (platforms) and regulators.

- **Authentication**: `Authorization: Bearer psx_…` with an API key from `psx keys issue`.
  No key: 401. An unknown, revoked or expired key: 403.
- **Isolation**: a platform sees its own dispatches only, a regulator its own notices;
  anything else is 404, whether it exists or not.
- **Writes** (every POST) need an `Idempotency-Key`: a retry with the same key and body
  gets the first response again (`Idempotent-Replayed: true`); the same key with another
  body is 409.
- **Concurrent changes**: `GET /v1/notices/{notice_id}` returns the notice version's
  `ETag`; an amendment or a withdrawal sent with `If-Match: <that ETag>` is 412 when the
  notice moved on. Without If-Match it applies to the version it was computed from, or
  is 409 `concurrent-update`: never to a newer version.
- **Errors** are RFC 9457 problem details (`application/problem+json`) with a `type`
  to branch on and, for invalid input, `errors` located by JSON pointer or parameter.
- **Unknown fields** in a body or the query are rejected (400), never ignored.
"""

_ERRORS = {
    400: "The request is not valid: see errors.",
    401: "No API key.",
    403: "The key is not valid, or the operation is not for your kind of principal.",
    404: "No such notice here (or not yours).",
    409: "Conflicts with the current state (concurrent-update: another change won), or an "
    "Idempotency-Key reused.",
    412: "If-Match names a version that is no longer current: nothing changed.",
    413: "The body is larger than 1 MiB.",
    415: "The body is not application/json, or says nothing of its type.",
}


@cache
def openapi_document() -> dict[str, Any]:
    refs, schemas = _schemas()
    paths: dict[str, dict[str, Any]] = _public_paths()
    for operation in OPERATIONS.values():
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(
            operation, refs, schemas
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Product Safety Exchange API",
            "version": "1",
            "description": _DESCRIPTION,
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: psx_<key id>_<secret>.",
                }
            },
        },
        "security": [{SECURITY_SCHEME: []}],
    }


# models_json_schema keys its refs by (model, mode); typed loosely as pydantic does.
Refs = dict[tuple[Any, JsonSchemaMode], dict[str, Any]]


def _schemas() -> tuple[Refs, dict[str, Any]]:
    inputs = {m for op in OPERATIONS.values() for m in (op.body, op.query) if m is not None}
    outputs = {op.response for op in OPERATIONS.values()} | {Problem}
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((model, "validation") for model in sorted(inputs, key=lambda m: m.__name__)),
        *((model, "serialization") for model in sorted(outputs, key=lambda m: m.__name__)),
    ]
    refs, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return refs, definitions.get("$defs", {})


def _operation(operation: Operation, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": sorted(kind.value for kind in operation.principals),
        # Who may call it (a 403 for anyone else); tests pick their key by it.
        "x-psx-principals": sorted(kind.value for kind in operation.principals),
        "parameters": _parameters(operation, schemas),
        "responses": _responses(operation, refs),
    }
    if operation.description:
        document["description"] = operation.description
    if operation.body is not None:
        document["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(refs, operation.body, "validation")}},
        }
    return document


_ETAG_HEADER = {
    "ETag": {
        "description": "The notice version's strong entity tag (regulators): send it as "
        "If-Match with an amendment or a withdrawal.",
        "schema": {"type": "string"},
    }
}


def _responses(operation: Operation, refs: Refs) -> dict[str, Any]:
    successes = ((operation.status, "Success."), *operation.also)
    responses = {
        str(status): {
            "description": description,
            "content": {"application/json": {"schema": _ref(refs, operation.response)}}
            | {media_type: {"schema": {"type": "string"}} for media_type in operation.documents}
            | ({"text/csv": {"schema": {"type": "string"}}} if operation.csv else {}),
        }
        | ({"headers": _ETAG_HEADER} if operation.etag else {})
        for status, description in successes
    }
    return responses | {
        str(status): _problem(status, refs) for status in _error_statuses(operation)
    }


def _ref(refs: Refs, model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> Any:
    return refs[(model, mode)]


def _parameters(operation: Operation, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    if "{notice_id}" in operation.path:
        parameters.append(
            {
                "name": "notice_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": NOTICE_ID_PATTERN},
            }
        )
    if "{upload_id}" in operation.path:
        parameters.append(
            {
                "name": "upload_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": UPLOAD_ID_PATTERN},
            }
        )
    if operation.query is not None:
        model = schemas[operation.query.__name__]
        required = set(model.get("required", []))
        parameters.extend(
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": schema.get("description", ""),
                "schema": _without_null(schema),
            }
            for name, schema in model["properties"].items()
        )
    if operation.conditional:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "The ETag of the version your change was computed from "
                "(GET /v1/notices/{notice_id}): 412 when the notice moved on.",
                "schema": {"type": "string"},
            }
        )
    if operation.writes:
        parameters.append(
            {
                "name": idempotency.HEADER,
                "in": "header",
                "required": True,
                "description": "Your unique key for this request (a UUID); retries reuse it.",
                "schema": {"type": "string", "pattern": idempotency.KEY_PATTERN},
            }
        )
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent or has a value; it is never JSON null."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    kept = {key: value for key, value in schema.items() if key not in {"anyOf", "default"}}
    if len(options) == 1:
        return {**kept, **options[0]}
    return {**kept, "anyOf": options} if options else kept


def _error_statuses(operation: Operation) -> list[int]:
    statuses = {401, 403, *operation.problems}
    if operation.query or operation.body or operation.writes:
        statuses.add(400)
    if "{notice_id}" in operation.path:
        statuses.add(404)
    if operation.writes:
        statuses |= {409, 413, 415}
    if operation.conditional:
        statuses.add(412)
    return sorted(statuses)


def _problem(status: int, refs: Refs) -> dict[str, Any]:
    return {
        "description": _ERRORS[status],
        "content": {PROBLEM_JSON: {"schema": _ref(refs, Problem)}},
    }


def _public_paths() -> dict[str, dict[str, Any]]:
    """Reachable without a key: liveness, this document (clients generate from it) and
    the dashboard's files (they hold no data: the page reads the API with the key)."""

    def public(
        operation_id: str,
        summary: str,
        schema: dict[str, Any],
        media_type: str = "application/json",
        **extra: Any,
    ) -> dict[str, Any]:
        return {
            "get": {
                "operationId": operation_id,
                "summary": summary,
                "tags": ["public"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "Success.",
                        "content": {media_type: {"schema": schema}},
                    }
                },
                **extra,
            }
        }

    text = {"type": "string"}
    dashboard_file = public(
        "dashboardFile",
        "The dashboard's files: index.html, its CSS and JavaScript",
        text,
        "text/html",
        parameters=[{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
    )
    dashboard_file["get"]["responses"]["404"] = {
        "description": "No such file.",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }

    return {
        "/v1/health": public(
            "health",
            "Liveness",
            {
                "type": "object",
                "properties": {"status": {"type": "string"}, "table": {"type": "string"}},
                "required": ["status"],
            },
        ),
        "/v1/openapi.json": public("openapi", "This document", {"type": "object"}),
        "/v1/dashboard": public(
            "dashboardPage", "The regulator's dashboard (also at /v1/dashboard/)", text, "text/html"
        ),
        "/v1/dashboard/{name}": dashboard_file,
    }
