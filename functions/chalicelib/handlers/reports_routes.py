"""Compliance reports and the regulator's dashboard: thin adapters over ``chalicelib.api``
and the dashboard's static files."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.api.problems import not_found
from chalicelib.dashboard import INDEX, SECURITY_HEADERS, asset, cache_control, page
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

reports_routes = entry_points()


@reports_routes.route("/v1/reports/compliance", methods=["GET"], authorizer=api_key_authorizer)
def compliance_report() -> Response:
    return api_http.handle("getComplianceReport", reports_routes.current_request, clock.now())


@reports_routes.route("/v1/dashboard", methods=["GET"])
def dashboard_page() -> Response:
    """The dashboard's page (also ``/v1/dashboard/``: the local server and API Gateway
    route both here)."""
    return _file(INDEX)


@reports_routes.route("/v1/dashboard/{name}", methods=["GET"])
def dashboard_asset(name: str) -> Response:
    """The dashboard's page, style and scripts (public: they hold no data)."""
    return _file(name)


def _file(name: str) -> Response:
    found = asset(name)
    if found is None:
        return api_http.problem_response(not_found("such dashboard file").problem)
    request = reports_routes.current_request
    # The page's relative links resolve against /v1/dashboard/ under whatever the API is
    # mounted at (API Gateway's stage), whichever of its addresses was asked for.
    body = page(api_http.mounted_at(request)) if name == INDEX else found.body
    version = request.query_params.get("v") if request.query_params else None
    headers: dict[str, str | list[str]] = {
        "Content-Type": found.content_type,
        "Cache-Control": cache_control(name, version),
        **SECURITY_HEADERS,
    }
    return Response(body=body, status_code=200, headers=headers)
