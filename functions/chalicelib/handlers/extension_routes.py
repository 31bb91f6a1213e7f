"""The HTTPS API's notice extensions (issue 12): a regulator sends its notice to more
platforms. A thin adapter over ``chalicelib.api``, behind the same API key authorizer."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

extension_routes = entry_points()


@extension_routes.route(
    "/v1/notices/{notice_id}/extensions", methods=["POST"], authorizer=api_key_authorizer
)
def extend_notice(notice_id: str) -> Response:
    return api_http.handle(
        "extendNotice", extension_routes.current_request, clock.now(), notice_id=notice_id
    )
