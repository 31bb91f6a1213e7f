"""Product Safety Exchange's Chalice app: the wiring of every Lambda entry point.

The entry points are thin adapters, one blueprint per capability in
``chalicelib/handlers/``: ``api_routes`` (the HTTPS API and its authorizer),
``notification_routes`` (rendered recall notices and statements of reasons), ``intake``
(the SQS intake of notice files), ``lifecycle`` (the Step Functions tasks and the
deadline schedule), ``reports`` (the compliance reports' schedule and workflow tasks).
Here: the app, its middleware, and the blueprints' registration.
"""

from __future__ import annotations

from collections.abc import Callable

from chalice import Chalice, ConvertToMiddleware  # type: ignore[attr-defined]
from chalice.app import Request, Response

from chalicelib.api import http as api_http
from chalicelib.handlers.api_routes import api_key_authorizer, api_routes
from chalicelib.handlers.extension_routes import extension_routes
from chalicelib.handlers.feeds import feeds, pull_feeds_task
from chalicelib.handlers.feeds_routes import feeds_routes
from chalicelib.handlers.intake import intake, intake_notice_files
from chalicelib.handlers.lifecycle import (
    enforce_deadlines_task,
    escalate_task,
    fall_back_to_inbox_task,
    hand_off_task,
    lifecycle,
    open_wait_task,
    plan_dispatch_task,
    push_webhook_task,
    record_received_task,
)
from chalicelib.handlers.notification import (
    notification,
    notify_recipients,
    take_affected_parties_uploads,
)
from chalicelib.handlers.notification_routes import notification_routes
from chalicelib.handlers.reports import (
    publish_compliance_reports_task,
    reports,
    start_compliance_reports_task,
    update_report_summaries_task,
)
from chalicelib.handlers.reports_routes import reports_routes
from chalicelib.handlers.verification import (
    check_takedowns_task,
    match_catalogue_part_task,
    prepare_audit_task,
    start_compliance_audits_task,
    store_findings_task,
    verification,
)
from chalicelib.handlers.verification_routes import verification_routes
from chalicelib.observability import logger, metrics, tracer

# Lambda imports each function as app.<handler> (chalicelib/handlers/__init__.py): these
# are the names the template gives, and importing them here is what runs the wiring below.
__all__ = [
    "api_key_authorizer",
    "app",
    "check_takedowns_task",
    "enforce_deadlines_task",
    "escalate_task",
    "fall_back_to_inbox_task",
    "hand_off_task",
    "intake_notice_files",
    "match_catalogue_part_task",
    "notify_recipients",
    "open_wait_task",
    "plan_dispatch_task",
    "prepare_audit_task",
    "publish_compliance_reports_task",
    "pull_feeds_task",
    "push_webhook_task",
    "record_received_task",
    "start_compliance_audits_task",
    "start_compliance_reports_task",
    "store_findings_task",
    "take_affected_parties_uploads",
    "update_report_summaries_task",
]

app = Chalice(app_name="psx")
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context))
app.register_middleware(ConvertToMiddleware(tracer.capture_lambda_handler))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))


@app.middleware("http")
def problem_details(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Chalice's own error answers (405, 415, 500) become problem details like ours."""
    return api_http.as_problem(get_response(event))


for blueprint in (
    api_routes,
    intake,
    lifecycle,
    notification_routes,
    feeds,
    feeds_routes,
    extension_routes,
    verification,
    verification_routes,
    reports_routes,
    reports,
    notification,
):
    app.register_blueprint(blueprint)
