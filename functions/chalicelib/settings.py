"""Typed settings read from the environment at the edge, never at import time.

Chalice's test client sets a stage's environment variables only during a call, and
the embedded runtime sets them after provisioning, so settings are read lazily.

``SETTINGS`` declares every environment variable the project reads, here and in the
``psx`` CLI; docs/configuration.md is generated from it (``python -m psx.configuration``)
and tests/unit/test_configuration.py fails on a variable read but not declared, or
declared (here or in the template) but not read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults

# How long a feed pull waits to connect and for each read (chalicelib/feeds/fetch.py).
FEED_TIMEOUT_SECONDS = 20
# Five years, leap days included: how long evidence stays locked unless the stage says
# otherwise (infra/stack.py declares the same default for every function).
EVIDENCE_RETENTION_DAYS = 1827
CONTACT_RETENTION_DAYS = 30
# The most rows of one uploaded file of affected parties: a large marketplace's buyers of
# one recall, read in one invocation of the upload function (docs/api.md).
AFFECTED_PARTIES_MAX_ROWS = 200_000
DEFAULT_SENDER_IDENTITY = "notifications@psx.example"
DEFAULT_NOTICE_URL = "https://psx.example/notices/{notice_id}"


class Reader(StrEnum):
    FUNCTIONS = "functions"  # load_settings below, in every Lambda function
    POWERTOOLS = "Powertools"  # aws-lambda-powertools, in every Lambda function
    CLI = "psx"  # the command-line tool and its embedded runtime


@dataclass(frozen=True)
class Setting:
    name: str
    read_by: Reader
    meaning: str
    # None: required, so the template (chalice.json or infra/stack.py) must set it.
    default: str | None = None


_LIMITS = IntakeLimits()
SETTINGS = (
    Setting("PSX_TABLE_NAME", Reader.FUNCTIONS, "The single DynamoDB table."),
    Setting("PSX_INTAKE_BUCKET", Reader.FUNCTIONS, "Bucket regulators upload notice files to."),
    Setting("PSX_EVIDENCE_BUCKET", Reader.FUNCTIONS, "Object Lock bucket for evidence."),
    Setting(
        "PSX_EVIDENCE_RETENTION_DAYS",
        Reader.FUNCTIONS,
        "Days each evidence object stays locked (COMPLIANCE mode).",
        str(EVIDENCE_RETENTION_DAYS),
    ),
    Setting(
        "PSX_LIFECYCLE_STATE_MACHINE_ARN",
        Reader.FUNCTIONS,
        "The notice lifecycle state machine each new version starts.",
    ),
    Setting("PSX_ESCALATION_TOPIC_ARN", Reader.FUNCTIONS, "SNS topic for missed deadlines."),
    Setting(
        "PSX_CATALOGUE_BUCKET",
        Reader.FUNCTIONS,
        "Bucket of platforms' catalogue snapshots, the audits' work and the notice indexes.",
    ),
    Setting(
        "PSX_AUDIT_STATE_MACHINE_ARN",
        Reader.FUNCTIONS,
        "The compliance audit state machine (one execution per platform snapshot).",
    ),
    Setting(
        "PSX_REPORTS_BUCKET",
        Reader.FUNCTIONS,
        "Bucket the scheduled compliance reports are published to (docs/reports.md).",
    ),
    Setting(
        "PSX_REPORT_STATE_MACHINE_ARN",
        Reader.FUNCTIONS,
        "The compliance report state machine (one execution a day).",
    ),
    Setting(
        "PSX_MAX_FILE_BYTES",
        Reader.FUNCTIONS,
        "Largest notice file accepted.",
        str(_LIMITS.max_file_bytes),
    ),
    Setting("PSX_MAX_ROWS", Reader.FUNCTIONS, "Most rows in one file.", str(_LIMITS.max_rows)),
    Setting(
        "PSX_MAX_CELL_CHARS",
        Reader.FUNCTIONS,
        "Longest cell accepted.",
        str(_LIMITS.max_cell_chars),
    ),
    Setting(
        "PSX_REGULATORS",
        Reader.FUNCTIONS,
        "JSON object: each regulator's default jurisdiction and language.",
        "{}",
    ),
    Setting(
        "PSX_FEED_TIMEOUT_SECONDS",
        Reader.FUNCTIONS,
        "Seconds a feed pull waits to connect, and for each read, before it retries.",
        str(FEED_TIMEOUT_SECONDS),
    ),
    Setting(
        "PSX_LIVE_CHECK_CONTACT_URL",
        Reader.FUNCTIONS,
        "Where site operators reach us, named in the live check's User-Agent.",
        "unset: the User-Agent names no contact",
    ),
    Setting(
        "PSX_LIVE_CHECK_INTERVAL_SECONDS",
        Reader.FUNCTIONS,
        "Least time between two live-check requests to one listing host.",
        "2",
    ),
    Setting(
        "PSX_LIVE_CHECK_ALLOW_LOOPBACK",
        Reader.FUNCTIONS,
        "`true`: the live check may fetch listing hosts on 127.0.0.1 (the embedded "
        "runtime sets it for its simulated marketplaces; never on AWS).",
        "unset: loopback addresses are refused",
    ),
    Setting(
        "PSX_NOTIFICATION_TABLE_NAME",
        Reader.FUNCTIONS,
        "DynamoDB table of affected parties' contacts and deliveries (own KMS key, TTL).",
    ),
    Setting("PSX_NOTIFICATION_QUEUE_URL", Reader.FUNCTIONS, "SQS queue of recipients to notify."),
    Setting(
        "PSX_NOTIFICATION_KEY_ARN",
        Reader.FUNCTIONS,
        "KMS key of the contacts; it also wraps the HMAC key recipients are keyed by.",
    ),
    Setting(
        "PSX_AFFECTED_PARTIES_BUCKET",
        Reader.FUNCTIONS,
        "Bucket of the files of affected parties platforms upload, and their results "
        "(the contacts' KMS key).",
    ),
    Setting(
        "PSX_AFFECTED_PARTIES_MAX_ROWS",
        Reader.FUNCTIONS,
        "Most rows in one uploaded file of affected parties.",
        str(AFFECTED_PARTIES_MAX_ROWS),
    ),
    Setting(
        "PSX_SENDER_IDENTITY",
        Reader.FUNCTIONS,
        "The exchange's verified SES identity, for platforms without one of their own.",
        DEFAULT_SENDER_IDENTITY,
    ),
    Setting(
        "PSX_CONTACT_RETENTION_DAYS",
        Reader.FUNCTIONS,
        "Days contacts are kept after the last delivery attempt (DynamoDB TTL).",
        str(CONTACT_RETENTION_DAYS),
    ),
    Setting(
        "PSX_NOTICE_URL",
        Reader.FUNCTIONS,
        "Link to a notice in recall messages; {notice_id} is replaced.",
        DEFAULT_NOTICE_URL,
    ),
    Setting("POWERTOOLS_SERVICE_NAME", Reader.POWERTOOLS, "Service name in logs and metrics."),
    Setting("POWERTOOLS_METRICS_NAMESPACE", Reader.POWERTOOLS, "CloudWatch metrics namespace."),
    Setting("POWERTOOLS_LOG_LEVEL", Reader.POWERTOOLS, "Log level, per stage."),
    Setting(
        "PSX_ENDPOINT_URL",
        Reader.CLI,
        "AWS endpoint of `psx serve` (same as `--endpoint-url`).",
        "unset: real AWS",
    ),
    Setting(
        "AWS_DEFAULT_REGION",
        Reader.CLI,
        "Region of the stack the CLI talks to, and of the embedded runtime.",
        "us-east-1",
    ),
    Setting("AWS_REGION", Reader.CLI, "Region in the embedded runtime's events.", "us-east-1"),
)


class SettingsError(RuntimeError):
    """A required setting is missing or malformed: a deployment mistake, not user input."""


@dataclass(frozen=True)
class NotificationSettings:
    table_name: str
    queue_url: str
    key_arn: str
    sender_identity: str
    contact_retention_days: int
    notice_url: str
    uploads_bucket: str
    max_upload_rows: int


@dataclass(frozen=True)
class Settings:
    table_name: str
    intake_bucket: str
    evidence_bucket: str
    lifecycle_state_machine_arn: str
    escalation_topic_arn: str
    catalogue_bucket: str
    audit_state_machine_arn: str
    limits: IntakeLimits
    regulators: dict[str, RegulatorDefaults]
    # How long each evidence object is locked (docs/evidence.md).
    evidence_retention_days: int
    notification: NotificationSettings
    feed_timeout_seconds: int = FEED_TIMEOUT_SECONDS

    def regulator_defaults(self, regulator_id: str) -> RegulatorDefaults:
        return self.regulators.get(regulator_id, RegulatorDefaults())


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"environment variable {name} is not set")
    return value


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {value}")
    return value


def _regulators(raw: str) -> dict[str, RegulatorDefaults]:
    if not raw.strip():
        return {}
    try:
        entries = json.loads(raw)
        return {
            regulator_id: RegulatorDefaults(
                jurisdiction=entry.get("jurisdiction"), language=entry.get("language")
            )
            for regulator_id, entry in entries.items()
        }
    except (ValueError, AttributeError) as exc:
        raise SettingsError(f"PSX_REGULATORS is not a JSON object of objects: {exc}") from exc


def load_settings() -> Settings:
    defaults = IntakeLimits()
    return Settings(
        table_name=_required("PSX_TABLE_NAME"),
        intake_bucket=_required("PSX_INTAKE_BUCKET"),
        evidence_bucket=_required("PSX_EVIDENCE_BUCKET"),
        lifecycle_state_machine_arn=_required("PSX_LIFECYCLE_STATE_MACHINE_ARN"),
        escalation_topic_arn=_required("PSX_ESCALATION_TOPIC_ARN"),
        catalogue_bucket=_required("PSX_CATALOGUE_BUCKET"),
        audit_state_machine_arn=_required("PSX_AUDIT_STATE_MACHINE_ARN"),
        limits=IntakeLimits(
            max_file_bytes=_int("PSX_MAX_FILE_BYTES", defaults.max_file_bytes),
            max_rows=_int("PSX_MAX_ROWS", defaults.max_rows),
            max_cell_chars=_int("PSX_MAX_CELL_CHARS", defaults.max_cell_chars),
        ),
        regulators=_regulators(os.environ.get("PSX_REGULATORS", "")),
        evidence_retention_days=_int("PSX_EVIDENCE_RETENTION_DAYS", EVIDENCE_RETENTION_DAYS),
        feed_timeout_seconds=_int("PSX_FEED_TIMEOUT_SECONDS", FEED_TIMEOUT_SECONDS),
        notification=NotificationSettings(
            table_name=_required("PSX_NOTIFICATION_TABLE_NAME"),
            queue_url=_required("PSX_NOTIFICATION_QUEUE_URL"),
            key_arn=_required("PSX_NOTIFICATION_KEY_ARN"),
            sender_identity=os.environ.get("PSX_SENDER_IDENTITY", "").strip()
            or DEFAULT_SENDER_IDENTITY,
            contact_retention_days=_int("PSX_CONTACT_RETENTION_DAYS", CONTACT_RETENTION_DAYS),
            notice_url=os.environ.get("PSX_NOTICE_URL", "").strip() or DEFAULT_NOTICE_URL,
            uploads_bucket=_required("PSX_AFFECTED_PARTIES_BUCKET"),
            max_upload_rows=_int("PSX_AFFECTED_PARTIES_MAX_ROWS", AFFECTED_PARTIES_MAX_ROWS),
        ),
    )


def live_check_contact_url() -> str | None:
    """``PSX_LIVE_CHECK_CONTACT_URL``: read by whoever builds a live checker, not by every
    function (``load_settings``), so the functions that never fetch a listing need no value."""
    return os.environ.get("PSX_LIVE_CHECK_CONTACT_URL", "").strip() or None


@dataclass(frozen=True)
class ReportSettings:
    table_name: str
    bucket: str
    state_machine_arn: str


def report_settings() -> ReportSettings:
    """What the scheduled compliance reports read (only there: no other function needs
    their bucket nor their workflow)."""
    return ReportSettings(
        table_name=_required("PSX_TABLE_NAME"),
        bucket=_required("PSX_REPORTS_BUCKET"),
        state_machine_arn=_required("PSX_REPORT_STATE_MACHINE_ARN"),
    )


@dataclass(frozen=True)
class LiveCheckSettings:
    contact_url: str | None
    min_interval_seconds: float
    allow_loopback: bool


def live_check_settings(default_interval_seconds: float) -> LiveCheckSettings:
    """What the audit's live check reads (as ``live_check_contact_url``, only there)."""
    raw = os.environ.get("PSX_LIVE_CHECK_INTERVAL_SECONDS", "").strip()
    try:
        interval = float(raw) if raw else default_interval_seconds
    except ValueError as exc:
        raise SettingsError(
            f"PSX_LIVE_CHECK_INTERVAL_SECONDS must be a number, got {raw!r}"
        ) from exc
    if interval < 0:
        raise SettingsError(f"PSX_LIVE_CHECK_INTERVAL_SECONDS must not be negative, got {raw!r}")
    loopback = os.environ.get("PSX_LIVE_CHECK_ALLOW_LOOPBACK", "").strip().lower() == "true"
    return LiveCheckSettings(live_check_contact_url(), interval, loopback)
