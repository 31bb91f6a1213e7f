"""The HTTPS API's notification routes (the operations are in ``chalicelib.api``)."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

notification_routes = entry_points()


@notification_routes.route(
    "/v1/notices/{notice_id}/notifications", methods=["GET"], authorizer=api_key_authorizer
)
def list_notifications(notice_id: str) -> Response:
    request = notification_routes.current_request
    return api_http.handle("listNotifications", request, clock.now(), notice_id=notice_id)
