"""The API's feed routes: a regulator reads the state of the feeds pulled as it."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

feeds_routes = entry_points()


@feeds_routes.route("/v1/feeds", methods=["GET"], authorizer=api_key_authorizer)
def list_feeds() -> Response:
    return api_http.handle("listFeeds", feeds_routes.current_request, clock.now())
