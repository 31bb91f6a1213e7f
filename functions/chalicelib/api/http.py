"""From a Chalice request to an operation and back.

In order: the principal (from the authorizer), whether this kind of principal may call
the operation (403), the request size (413), the ``Idempotency-Key`` of a write (400),
query and body validation against the operation's models (400, every field named), the
``If-Match`` header of a conditional operation (400 when malformed), then the operation
itself, once per idempotency key. Domain exceptions become problem
details in one place (``problems.problem_for``).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import cache
from typing import Any

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api import idempotency
from chalicelib.api.calls import ApiCall, Reply
from chalicelib.api.openapi import openapi_document
from chalicelib.api.operations import OPERATIONS, Operation
from chalicelib.api.principal import InvalidPrincipal, Principal
from chalicelib.api.problems import (
    PROBLEM_JSON,
    ApiProblem,
    FieldError,
    Problem,
    invalid,
    problem_for,
    problem_from_status,
    validation_problem,
)
from chalicelib.api.services import api_services
from chalicelib.observability import logger
from chalicelib.settings import load_settings
from chalicelib.stores.idempotency_keys import StoredResponse

# Notices and reports are small; a batch of 1000 buyers is about 200 KB. API Gateway
# itself stops at 10 MB.
MAX_BODY_BYTES = 1024 * 1024
_IDEMPOTENCY_KEY = re.compile(idempotency.KEY_PATTERN)
IF_MATCH = "If-Match"
# RFC 9110 8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (visible ASCII but DQUOTE).
_ENTITY_TAG = r'(W/)?("[\x21\x23-\x7e]*")'
_IF_MATCH = re.compile(rf"[ \t]*{_ENTITY_TAG}[ \t]*(,[ \t]*{_ENTITY_TAG}[ \t]*)*")
JSON = "application/json"
CSV = "text/csv"
API_ROOT = "/v1/"


def handle(operation_id: str, request: Request, now: datetime, **path: str) -> Response:
    operation = OPERATIONS[operation_id]
    try:
        stored = _handle(operation, request, now, path)
    except Exception as exc:
        api_problem = problem_for(exc)
        if api_problem is None:
            raise  # Chalice logs it and answers 500 (turned into a problem by as_problem)
        logger.info(
            "request refused",
            extra={"operation": operation_id, "status": api_problem.problem.status},
        )
        return problem_response(api_problem.problem, api_problem.headers)
    headers: dict[str, str | list[str]] = dict(stored.headers)
    return Response(body=stored.body, status_code=stored.status, headers=headers)


def _handle(
    operation: Operation, request: Request, now: datetime, path: dict[str, str]
) -> StoredResponse:
    principal = _principal(request)
    if principal.kind not in operation.principals:
        allowed = " or ".join(sorted(kind.value + "s" for kind in operation.principals))
        raise ApiProblem(403, "wrong-principal", "Not for you", f"this is for {allowed}")
    raw_body = _raw_body(request)
    services = api_services(load_settings())
    call = ApiCall(
        principal=principal,
        now=now,
        notice_id=path.get("notice_id"),
        upload_id=path.get("upload_id"),
        query=_query(operation, request),
        body=_body(operation, raw_body),
        if_match=_if_match(request) if operation.conditional else None,
        idempotency_key=_idempotency_key(request) if operation.writes else None,
    )
    if call.idempotency_key is None:
        reply = operation.handler(call, services)
        if operation.csv and _wants_csv(request):
            return _csv(reply)
        return _stored(reply, mounted_at(request))
    return idempotency.run_once(
        services.idempotency,
        str(principal),
        call.idempotency_key,
        _fingerprint(operation, call),
        now,
        lambda: _stored(operation.handler(call, services), mounted_at(request)),
    )


def _principal(request: Request) -> Principal:
    authorizer: dict[str, Any] = (request.context or {}).get("authorizer") or {}
    try:
        return Principal.parse(str(authorizer.get("principalId", "")))
    except InvalidPrincipal as exc:
        # Only reachable if a route lost its authorizer: refuse rather than guess.
        raise ApiProblem(401, "unauthorized", "Unauthorized", "send your API key") from exc


def _raw_body(request: Request) -> bytes:
    raw = request.raw_body or b""
    body = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(body) > MAX_BODY_BYTES:
        raise ApiProblem(
            413,
            "request-too-large",
            "Request too large",
            f"the body has {len(body)} bytes; the limit is {MAX_BODY_BYTES}",
        )
    # Chalice (and API Gateway) take a body without Content-Type for JSON: only a
    # body that says what it is is read as one.
    if body and "content-type" not in request.headers:
        raise ApiProblem(
            415,
            "unsupported-media-type",
            "Unsupported media type",
            f"send the body with Content-Type: {JSON}",
        )
    return body


def _query(operation: Operation, request: Request) -> BaseModel | None:
    params: Any = request.query_params or {}
    values: dict[str, str] = {name: params[name] for name in params}
    if operation.query is None:
        if values:
            raise invalid(
                [
                    FieldError(detail="unknown parameter", code="extra_forbidden", parameter=name)
                    for name in values
                ]
            )
        return None
    try:
        return operation.query.model_validate(values)
    except ValidationError as exc:
        raise validation_problem(exc, "query", values) from exc


def _body(operation: Operation, raw_body: bytes) -> BaseModel | None:
    if operation.body is None:
        return None
    try:
        return operation.body.model_validate_json(raw_body or b"{}")
    except ValidationError as exc:
        raise validation_problem(exc, "body", _parsed(raw_body)) from exc


def _parsed(raw_body: bytes) -> Any:
    """The body as data, to locate validation errors in (None when it is not JSON)."""
    try:
        return json.loads(raw_body or b"{}")
    except (ValueError, RecursionError):
        return None


def _idempotency_key(request: Request) -> str:
    key = str(request.headers.get(idempotency.HEADER.lower(), ""))
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise invalid(
            [
                FieldError(
                    detail="every POST needs an Idempotency-Key of 1 to 255 visible ASCII "
                    "characters (a UUID is a good choice)",
                    code="idempotency_key",
                    header=idempotency.HEADER,
                )
            ]
        )
    return key


def _if_match(request: Request) -> frozenset[str] | None:
    """The strong entity tags of ``If-Match`` ("*" for any). Weak tags are left out:
    If-Match compares strongly, so they never match (RFC 9110 13.1.1)."""
    value = request.headers.get(IF_MATCH.lower())
    if value is None:
        return None
    if value.strip() == "*":
        return frozenset({"*"})
    if not _IF_MATCH.fullmatch(value):
        raise invalid(
            [
                FieldError(
                    detail="expected * or quoted entity tags, such as the ETag of "
                    "GET /v1/notices/{notice_id}",
                    code="if_match",
                    header=IF_MATCH,
                )
            ]
        )
    return frozenset(tag for weak, tag in re.findall(_ENTITY_TAG, value) if not weak)


def _fingerprint(operation: Operation, call: ApiCall) -> str:
    """What makes two requests the same: the operation, its notice, the body as
    validated (so whitespace and key order do not matter) and its precondition."""
    body = call.body.model_dump(mode="json", exclude_unset=True) if call.body else None
    parts: list[Any] = [operation.operation_id, call.notice_id, body]
    if call.if_match is not None:
        parts.append(sorted(call.if_match))
    material = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _wants_csv(request: Request) -> bool:
    """``Accept`` names text/csv before (or without) JSON; JSON is the default."""
    accept = str(request.headers.get("accept", "")).lower()
    ranked = [part.split(";")[0].strip() for part in accept.split(",")]
    if CSV not in ranked:
        return False
    return JSON not in ranked or ranked.index(CSV) < ranked.index(JSON)


def _csv(reply: Reply) -> StoredResponse:
    assert reply.csv is not None, "an operation that offers CSV replies with it"
    return StoredResponse(reply.status, {"Content-Type": f"{CSV}; charset=utf-8"}, reply.csv)


def mounted_at(request: Request) -> str:
    """The path the API is served under: API Gateway's stage on AWS (``/api``: the
    request's full path is ``/api/v1/…``), nothing locally. Locations must include it."""
    full_path = str((request.context or {}).get("path", ""))
    mount = full_path.find(API_ROOT)
    return full_path[:mount] if mount > 0 else ""


def _stored(reply: Reply, mount: str) -> StoredResponse:
    headers = {"Content-Type": JSON}
    if reply.location:
        headers["Location"] = mount + reply.location
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.language:
        headers["Content-Language"] = reply.language
    if isinstance(reply.body, str):
        headers["Content-Type"] = f"{reply.media_type}; charset=utf-8"
        return StoredResponse(reply.status, headers, reply.body)
    return StoredResponse(reply.status, headers, reply.body.model_dump_json())


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response:
    all_headers: dict[str, str | list[str]] = {"Content-Type": PROBLEM_JSON, **(headers or {})}
    return Response(
        body=problem.model_dump_json(exclude_none=True),
        status_code=problem.status,
        headers=all_headers,
    )


def as_problem(response: Response) -> Response:
    """Chalice's own error answers (405, 415, 500: ``{"Code", "Message"}``) as problems."""
    content_type = str(response.headers.get("Content-Type", JSON))
    if response.status_code < 400 or content_type.startswith(PROBLEM_JSON):
        return response
    message = response.body.get("Message") if isinstance(response.body, dict) else None
    problem = problem_from_status(response.status_code, str(message) if message else None)
    kept = {name: str(value) for name, value in response.headers.items() if name == "Allow"}
    return problem_response(problem, kept)


@cache
def _openapi_text() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False)


def openapi_response() -> Response:
    return Response(body=_openapi_text(), status_code=200, headers={"Content-Type": JSON})
