"""What differs between stages: the template parameter ``Stage`` and its settings.

The stage (``dev``/``prod``) is the template parameter ``Stage``; what differs by stage
sits in the ``StageSettings`` mapping. The stack name (``psx-<stage>``) carries the stage
into every generated name.
"""

from __future__ import annotations

from typing import Any

from infra.intrinsics import Template, ref

STAGES = ("dev", "prod")

# What differs between stages. Data (table, buckets) is retained in every stage; see
# docs/infrastructure.md for why deletion policies do not vary.
# LogRetentionDays: valid CloudWatch Logs retention periods only (1, 3, 5, 7, 14, 30,
# ... 731, ...). AuditSchedule: when compliance audits start; ReportSchedule: when the
# compliance reports are brought up to date and published (EventBridge expressions).
STAGE_SETTINGS: dict[str, dict[str, int | str]] = {
    "dev": {
        "LogRetentionDays": 14,
        "AuditSchedule": "rate(1 day)",
        "ReportSchedule": "rate(1 day)",
    },
    "prod": {
        "LogRetentionDays": 731,
        "AuditSchedule": "rate(1 day)",
        "ReportSchedule": "rate(1 day)",
    },
}


def stage_setting(name: str) -> dict[str, list[Any]]:
    return {"Fn::FindInMap": ["StageSettings", ref("Stage"), name]}


def parameters() -> dict[str, Template]:
    return {
        "Stage": {
            "Type": "String",
            "AllowedValues": list(STAGES),
            "Description": "The Chalice stage the template was built for: build/<stage>/sam.json.",
        }
    }


def mappings() -> dict[str, Template]:
    return {"StageSettings": STAGE_SETTINGS}
