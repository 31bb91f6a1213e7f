"""The HTTPS API of compliance verification: catalogue snapshot uploads and findings
(thin adapters over ``chalicelib.api.verification_api``, behind the API's authorizer)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

verification_routes = entry_points()

_KEY = {"authorizer": api_key_authorizer}


def _api(operation_id: str, **path: str) -> Response:
    return api_http.handle(operation_id, verification_routes.current_request, clock.now(), **path)


@verification_routes.route("/v1/catalogue-snapshots", methods=["POST"], **_KEY)
def create_catalogue_snapshot() -> Response:
    return _api("createCatalogueSnapshot")


@verification_routes.route("/v1/findings", methods=["GET"], **_KEY)
def list_findings() -> Response:
    return _api("listFindings")


@verification_routes.route("/v1/notices/{notice_id}/findings", methods=["GET"], **_KEY)
def get_notice_findings(notice_id: str) -> Response:
    return _api("getNoticeFindings", notice_id=notice_id)
