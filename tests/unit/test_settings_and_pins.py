"""Deployment settings fail loudly; Lambda gets exactly the runtime pins of pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from chalicelib.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_PACKAGES = {
    "aws-lambda-powertools",
    "pydantic",
    "defusedxml",
    "openpyxl",
    "holidays",
    "charset-normalizer",
    "standardwebhooks",
    "tzdata",
    "Jinja2",
    "MarkupSafe",
    "babel",
    "urllib3",
    "rapidfuzz",
    "pyarrow",
    "email-validator",
    "phonenumbers",
}


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PSX_TABLE_NAME", "t")
    monkeypatch.setenv("PSX_INTAKE_BUCKET", "b")
    monkeypatch.setenv("PSX_EVIDENCE_BUCKET", "e")
    monkeypatch.setenv("PSX_LIFECYCLE_STATE_MACHINE_ARN", "arn:sm")
    monkeypatch.setenv("PSX_ESCALATION_TOPIC_ARN", "arn:topic")
    monkeypatch.setenv("PSX_CATALOGUE_BUCKET", "catalogues")
    monkeypatch.setenv("PSX_AUDIT_STATE_MACHINE_ARN", "arn:audit")
    monkeypatch.setenv("PSX_EVIDENCE_BUCKET", "evidence")
    monkeypatch.setenv("PSX_NOTIFICATION_TABLE_NAME", "n")
    monkeypatch.setenv("PSX_NOTIFICATION_QUEUE_URL", "https://sqs/q")
    monkeypatch.setenv("PSX_NOTIFICATION_KEY_ARN", "arn:key")
    monkeypatch.setenv("PSX_AFFECTED_PARTIES_BUCKET", "uploads")
    monkeypatch.setenv("PSX_REGULATORS", '{"kftc": {"jurisdiction": "KR", "language": "ko"}}')
    return monkeypatch


def test_settings_read_limits_and_regulator_defaults(configured: pytest.MonkeyPatch) -> None:
    configured.setenv("PSX_MAX_ROWS", "10")

    settings = load_settings()

    assert settings.limits.max_rows == 10
    assert settings.regulator_defaults("kftc").jurisdiction == "KR"
    assert settings.regulator_defaults("unknown").jurisdiction is None
    assert settings.evidence_retention_days == 1827  # five years unless the stage says
    assert settings.notification.contact_retention_days == 30
    assert settings.notification.sender_identity == "notifications@psx.example"
    assert settings.notification.max_upload_rows == 200_000


def test_evidence_retention_is_read_from_its_setting(configured: pytest.MonkeyPatch) -> None:
    configured.setenv("PSX_EVIDENCE_RETENTION_DAYS", "30")

    assert load_settings().evidence_retention_days == 30


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PSX_TABLE_NAME", "", "PSX_TABLE_NAME is not set"),
        ("PSX_MAX_ROWS", "many", "PSX_MAX_ROWS must be an integer"),
        ("PSX_MAX_FILE_BYTES", "-1", "PSX_MAX_FILE_BYTES must be positive"),
        ("PSX_REGULATORS", "[1, 2]", "PSX_REGULATORS is not a JSON object"),
        ("PSX_EVIDENCE_BUCKET", "", "PSX_EVIDENCE_BUCKET is not set"),
        ("PSX_EVIDENCE_RETENTION_DAYS", "0", "PSX_EVIDENCE_RETENTION_DAYS must be positive"),
    ],
)
def test_bad_settings_name_the_variable(
    configured: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    configured.setenv(name, value)

    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_lambda_requirements_are_the_runtime_pins() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = {
        dependency.split("[")[0].split("==")[0]: dependency
        for dependency in project["project"]["dependencies"]
    }
    lines = (ROOT / "functions" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    bundled = [line for line in lines if line and not line.startswith("#")]

    assert sorted(bundled) == sorted(pinned[name] for name in LAMBDA_PACKAGES)
