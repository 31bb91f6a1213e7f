"""Notification messages over HTTPS: thin routes over ``chalicelib.api.notification_api``."""

from __future__ import annotations

from chalice.app import Response

from chalicelib import clock
from chalicelib.api import http as api_http
from chalicelib.handlers import entry_points
from chalicelib.handlers.api_routes import api_key_authorizer

notification_routes = entry_points()
_KEY = {"authorizer": api_key_authorizer}


def _api(operation_id: str, **path: str) -> Response:
    return api_http.handle(operation_id, notification_routes.current_request, clock.now(), **path)


@notification_routes.route("/v1/notices/{notice_id}/recall-notice", methods=["GET"], **_KEY)
def get_recall_notice(notice_id: str) -> Response:
    return _api("getRecallNotice", notice_id=notice_id)


@notification_routes.route("/v1/notices/{notice_id}/statements-of-reasons", methods=["GET"], **_KEY)
def get_statements_of_reasons(notice_id: str) -> Response:
    return _api("getStatementsOfReasons", notice_id=notice_id)


@notification_routes.route("/v1/notices/{notice_id}/notifications", methods=["GET"], **_KEY)
def list_notifications(notice_id: str) -> Response:
    return _api("listNotifications", notice_id=notice_id)


@notification_routes.route(
    "/v1/notices/{notice_id}/affected-parties/uploads", methods=["POST"], **_KEY
)
def create_affected_parties_upload(notice_id: str) -> Response:
    return _api("createAffectedPartiesUpload", notice_id=notice_id)


@notification_routes.route(
    "/v1/notices/{notice_id}/affected-parties/uploads/{upload_id}", methods=["GET"], **_KEY
)
def get_affected_parties_upload(notice_id: str, upload_id: str) -> Response:
    return _api("getAffectedPartiesUpload", notice_id=notice_id, upload_id=upload_id)
