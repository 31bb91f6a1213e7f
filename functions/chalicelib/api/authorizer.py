"""The API Gateway (TOKEN) authorizer's answer for a bearer API key.

A valid key gets a policy allowing every route of this API stage, with the principal
(``platform:<id>`` / ``regulator:<id>``) as ``principalId``: which notice a principal
may see is decided per request by the API itself (tenant isolation answers 404, which a
gateway policy cannot). Anything else gets an explicit Deny: API Gateway answers 403,
as Chalice's local gateway does, so both worlds behave alike. (A missing header never
reaches the authorizer: API Gateway answers 401.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.api.keys import authenticate
from chalicelib.stores.api_keys_table import ApiKeyStore

ANONYMOUS = "anonymous"


def authorizer_response(
    store: ApiKeyStore, authorization: str, method_arn: str, now: datetime
) -> dict[str, Any]:
    principal = authenticate(store, authorization, now)
    if principal is None:
        return _policy(ANONYMOUS, "Deny", method_arn, {})
    context = {"principal_kind": principal.kind.value, "principal_id": principal.id}
    return _policy(str(principal), "Allow", _every_route(method_arn), context)


def _every_route(method_arn: str) -> str:
    """``arn:…:execute-api:region:account:api-id/stage/GET/v1/inbox`` -> ``…/stage/*/*``."""
    prefix, _, resource = method_arn.partition(":execute-api:")
    region, account, path = resource.split(":", 2)  # the path may itself hold colons
    api_id, stage = path.split("/")[:2]
    return f"{prefix}:execute-api:{region}:{account}:{api_id}/{stage}/*/*"


def _policy(
    principal_id: str, effect: str, resource: str, context: dict[str, str]
) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
            ],
        },
        "context": context,
    }
