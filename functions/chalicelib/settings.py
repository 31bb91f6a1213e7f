"""Typed settings read from the environment at the edge, never at import time.

Chalice's test client sets a stage's environment variables only during a call, and
the embedded runtime sets them after provisioning, so settings are read lazily.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults

# Five years, leap days included: how long evidence stays locked unless the stage says
# otherwise (infra/stack.py declares the same default for every function).
EVIDENCE_RETENTION_DAYS = 1827


class SettingsError(RuntimeError):
    """A required setting is missing or malformed: a deployment mistake, not user input."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    intake_bucket: str
    lifecycle_state_machine_arn: str
    escalation_topic_arn: str
    limits: IntakeLimits
    regulators: dict[str, RegulatorDefaults]
    agreements_json: str
    # Where evidence is kept, and for how long each object is locked (docs/evidence.md).
    evidence_bucket: str
    evidence_retention_days: int

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
        lifecycle_state_machine_arn=_required("PSX_LIFECYCLE_STATE_MACHINE_ARN"),
        escalation_topic_arn=_required("PSX_ESCALATION_TOPIC_ARN"),
        limits=IntakeLimits(
            max_file_bytes=_int("PSX_MAX_FILE_BYTES", defaults.max_file_bytes),
            max_rows=_int("PSX_MAX_ROWS", defaults.max_rows),
            max_cell_chars=_int("PSX_MAX_CELL_CHARS", defaults.max_cell_chars),
        ),
        regulators=_regulators(os.environ.get("PSX_REGULATORS", "")),
        # Per regulator-platform deadline agreements (chalicelib/deadlines/policy.py).
        agreements_json=os.environ.get("PSX_AGREEMENTS", "").strip() or "{}",
        evidence_bucket=_required("PSX_EVIDENCE_BUCKET"),
        evidence_retention_days=_int("PSX_EVIDENCE_RETENTION_DAYS", EVIDENCE_RETENTION_DAYS),
    )
