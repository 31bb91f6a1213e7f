"""Compliance reports and the regulator's dashboard: thin adapters over ``chalicelib.api``
and the dashboard's static files."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.api.problems import not_found
from chalicelib.dashboard import SECURITY_HEADERS, asset
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

reports_routes = entry_points()


@reports_routes.route("/v1/reports/compliance", methods=["GET"], authorizer=api_key_authorizer)
def compliance_report() -> Response:
    return api_http.handle("getComplianceReport", reports_routes.current_request, clock.now())


@reports_routes.route("/v1/dashboard", methods=["GET"])
def dashboard_root() -> Response:
    """The page's assets are relative to ``/v1/dashboard/``: send the browser there."""
    mount = api_http.mounted_at(reports_routes.current_request)
    return Response(body="", status_code=301, headers={"Location": f"{mount}/v1/dashboard/"})


@reports_routes.route("/v1/dashboard/{name}", methods=["GET"])
def dashboard_asset(name: str) -> Response:
    """The dashboard's page, style and scripts (public: they hold no data)."""
    found = asset(name)
    if found is None:
        return api_http.problem_response(not_found("such dashboard file").problem)
    headers: dict[str, str | list[str]] = {"Content-Type": found.content_type, **SECURITY_HEADERS}
    return Response(body=found.body, status_code=200, headers=headers)
