"""The HTTPS API: its routes and the API key authorizer, thin adapters over ``chalicelib.api``."""

from __future__ import annotations

from typing import Any

from chalice.app import AuthRequest, Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.api.authorizer import authorizer_response
from chalicelib.api.services import api_key_store
from chalicelib.handlers import entry_points
from chalicelib.settings import load_settings

api_routes = entry_points()


@api_routes.route("/v1/health", methods=["GET"])
def health() -> dict[str, str]:
    """Liveness for load balancers and `psx serve`: the app loaded and is configured.
    Public, like the OpenAPI document; every other route needs an API key."""
    settings = load_settings()
    return {"status": "ok", "table": settings.table_name}


@api_routes.authorizer(ttl_seconds=0)  # no caching: a revoked key fails on its next request
def api_key_authorizer(auth_request: AuthRequest) -> dict[str, Any]:
    """``Authorization: Bearer psx_…`` -> principal ``platform:<id>`` / ``regulator:<id>``."""
    store = api_key_store(load_settings())
    return authorizer_response(store, auth_request.token, auth_request.method_arn, clock.now())


def _api(operation_id: str, **path: str) -> Response:
    return api_http.handle(operation_id, api_routes.current_request, clock.now(), **path)


_KEY = {"authorizer": api_key_authorizer}


@api_routes.route("/v1/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    return api_http.openapi_response()


@api_routes.route("/v1/inbox", methods=["GET"], **_KEY)
def list_inbox() -> Response:
    return _api("listInbox")


@api_routes.route("/v1/notices", methods=["GET"], **_KEY)
def list_notices() -> Response:
    return _api("listNotices")


@api_routes.route("/v1/notices", methods=["POST"], **_KEY)
def submit_notice() -> Response:
    return _api("submitNotice")


@api_routes.route("/v1/notices/{notice_id}", methods=["GET"], **_KEY)
def get_notice(notice_id: str) -> Response:
    return _api("getNotice", notice_id=notice_id)


@api_routes.route("/v1/notices/{notice_id}/timeline", methods=["GET"], **_KEY)
def get_timeline(notice_id: str) -> Response:
    return _api("getTimeline", notice_id=notice_id)


@api_routes.route("/v1/notices/{notice_id}/acknowledgement", methods=["POST"], **_KEY)
def acknowledge(notice_id: str) -> Response:
    return _api("acknowledge", notice_id=notice_id)


@api_routes.route("/v1/notices/{notice_id}/actions", methods=["POST"], **_KEY)
def report_actions(notice_id: str) -> Response:
    return _api("reportActions", notice_id=notice_id)


@api_routes.route("/v1/notices/{notice_id}/affected-parties", methods=["POST"], **_KEY)
def report_affected_parties(notice_id: str) -> Response:
    return _api("reportAffectedParties", notice_id=notice_id)


@api_routes.route("/v1/notices/{notice_id}/withdrawal", methods=["POST"], **_KEY)
def withdraw_notice(notice_id: str) -> Response:
    return _api("withdrawNotice", notice_id=notice_id)


@api_routes.route("/v1/notices/{notice_id}/amendment", methods=["POST"], **_KEY)
def amend_notice(notice_id: str) -> Response:
    return _api("amendNotice", notice_id=notice_id)


@api_routes.route("/v1/webhook-test", methods=["POST"], **_KEY)
def test_webhook() -> Response:
    return _api("testWebhook")
