"""The HTTPS API: its functions' roles, its name, and what API Gateway itself answers.

Chalice declares the REST API and its functions; this module only adds what Chalice
cannot say (``api_overrides``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra import notification
from infra.iam import allow, task_tokens
from infra.intrinsics import Template, ref
from infra.lifecycle import SIGNING_SECRETS_ARN, STATE_MACHINE_ARN
from infra.storage import KEEP_EVIDENCE, TABLE_INDEX_QUERIES, table_access
from infra.verification import UPLOAD_SNAPSHOTS

CHALICE_CONFIG = Path(__file__).resolve().parent.parent / "chalice.json"

# Logical ids Chalice gives the API's functions (CamelCase of their names).
API_FUNCTION = "APIHandler"
# The API key authorizer (`@app.authorizer()` in functions/app.py): its own function.
AUTHORIZER_FUNCTION = "ApiKeyAuthorizer"

# Chalice names the REST API resource "RestAPI". Without a name of its own the API would
# be named after the Swagger title ("psx") in every stage, and API Gateway's metrics
# (dimension ApiName) of psx-dev and psx-prod would mix in one account.
API_RESOURCE = "RestAPI"
API_NAME = ref("AWS::StackName")


def function_permissions() -> dict[str, list[Template]]:
    """What the API's functions touch, beyond writing their logs and traces."""
    return {
        # Reads and writes notices, dispatches, idempotency keys and affected parties;
        # starts the lifecycle of versions it stores (new, amended, withdrawn notices);
        # resumes waits answered through it; signs webhook tests and (presigned URLs)
        # platforms' catalogue uploads.
        # ConditionCheckItem: a notice extension's transaction checks the notice's version.
        API_FUNCTION: [
            table_access(
                "BatchGetItem",
                "GetItem",
                "Query",
                "PutItem",
                "UpdateItem",
                "DeleteItem",
                "ConditionCheckItem",
            ),
            TABLE_INDEX_QUERIES,
            allow(["states:StartExecution"], [STATE_MACHINE_ARN]),
            task_tokens("SendTaskSuccess"),
            allow(["secretsmanager:GetSecretValue"], [SIGNING_SECRETS_ARN]),
            KEEP_EVIDENCE,
            UPLOAD_SNAPSHOTS,
            *notification.API_PERMISSIONS,
        ],
        # Looks up one API key by its id.
        AUTHORIZER_FUNCTION: [table_access("GetItem")],
    }


def api_gateway_stage() -> str:
    """The API Gateway stage Chalice deploys the REST API to (chalice.json)."""
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    stage_names: set[str] = {
        str(stage.get("api_gateway_stage", config.get("api_gateway_stage", "api")))
        for stage in config["stages"].values()
    }
    if len(stage_names) != 1:
        # The template is the same for every stage; so must the API Gateway stage be.
        raise ValueError(f"chalice.json stages use different api_gateway_stage: {stage_names}")
    return stage_names.pop()


# What API Gateway itself answers (no key, a refused key, an unknown path), as the same
# RFC 9457 problem details the API answers with (chalicelib/api/problems.py). The local
# server of `psx serve` gives the same answers (psx/embedded/serve.py).
GATEWAY_PROBLEMS: dict[str, dict[str, Any]] = {
    "UNAUTHORIZED": {
        "type": "urn:psx:problem:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "send your API key: Authorization: Bearer psx_...",
    },
    "ACCESS_DENIED": {
        "type": "urn:psx:problem:forbidden",
        "title": "Forbidden",
        "status": 403,
        "detail": "the API key is not valid: unknown, revoked or expired",
    },
    # API Gateway's answer to a path (or method) it does not know.
    "MISSING_AUTHENTICATION_TOKEN": {
        "type": "urn:psx:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no such resource",
    },
}


# Every other answer of the gateway itself (throttled 429, its own 413 over 10 MB, an
# authorizer that failed, integration timeouts): the same shape, keeping the gateway's
# status and message. ``$context.error.messageString`` is a quoted JSON string.
GATEWAY_DEFAULT_PROBLEMS = {
    "DEFAULT_4XX": ("urn:psx:problem:gateway-refused", "Refused by the API gateway"),
    "DEFAULT_5XX": ("urn:psx:problem:gateway-error", "The API gateway failed"),
}
_PROBLEM_JSON_HEADER = {"gatewayresponse.header.Content-Type": "'application/problem+json'"}


def gateway_responses() -> Template:
    responses: Template = {
        name: {
            "statusCode": problem["status"],
            "responseParameters": _PROBLEM_JSON_HEADER,
            "responseTemplates": {"application/json": json.dumps(problem)},
        }
        for name, problem in GATEWAY_PROBLEMS.items()
    }
    for name, (problem_type, title) in GATEWAY_DEFAULT_PROBLEMS.items():
        responses[name] = {
            "responseParameters": _PROBLEM_JSON_HEADER,
            "responseTemplates": {
                "application/json": f'{{"type": "{problem_type}", "title": "{title}", '
                '"detail": $context.error.messageString}'
            },
        }
    return responses


def api_overrides() -> dict[str, Template]:
    return {
        API_RESOURCE: {
            "Properties": {
                "Name": API_NAME,
                "DefinitionBody": {
                    "info": {"title": API_NAME},
                    "x-amazon-apigateway-gateway-responses": gateway_responses(),
                },
            }
        }
    }
