"""Given/When/Then helpers for compliance audits: catalogue rows, snapshot uploads
through the API's presigned URLs, audits started as the schedule starts them."""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from typing import Any

import requests

from chalicelib.settings import load_settings
from chalicelib.verification.services import VerificationServices, verification_services
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until
from psx.scheduled import scheduled_event
from tests.api.support import Api, Caller

AUDIT_MACHINE_OUTPUT = "PsxAuditStateMachineArn"


def services() -> VerificationServices:
    return verification_services(load_settings())


def row(listing_id: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"id": listing_id, "title": title, "availability": "in_stock", **fields}


def jsonl_gz(rows: list[dict[str, Any]]) -> bytes:
    return gzip.compress("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())


def upload_snapshot(
    api: Api, platform: Caller, parts: dict[str, bytes], rows: dict[str, int], taken_at: datetime
) -> str:
    """Ask the API for URLs, PUT every part, then the manifest; the snapshot's id."""
    answer = api.post("/v1/catalogue-snapshots", {"parts": sorted(parts)}, platform)
    assert answer.status == 201, answer.body
    for name, data in parts.items():
        assert requests.put(answer.body["part_urls"][name], data=data, timeout=30).ok
    manifest = {
        "snapshot_time": taken_at.isoformat(),
        "parts": [{"name": name, "rows": rows[name]} for name in sorted(parts)],
    }
    put = requests.put(answer.body["manifest_url"], data=json.dumps(manifest), timeout=30)
    assert put.ok, put.text
    return str(answer.body["snapshot_id"])


def run_audits(
    runtime: EmbeddedRuntime, at: datetime, platform_id: str | None = None, rerun: bool = False
) -> list[dict[str, Any]]:
    """What the schedule (or `psx audit verify`) does: start the audits, wait for them."""
    event = scheduled_event(at) | {"platform_id": platform_id, "rerun": rerun}
    result = runtime.registry.invoke(runtime.function_name("start_compliance_audits"), event)
    names = [started["name"] for started in result["started"]]
    return [audit_finished(runtime, name) for name in names]


def audit_finished(runtime: EmbeddedRuntime, name: str) -> dict[str, Any]:
    return execution_finished(runtime, AUDIT_MACHINE_OUTPUT, name)


def execution_finished(runtime: EmbeddedRuntime, machine_output: str, name: str) -> dict[str, Any]:
    """The execution ``name`` of a scheduled workflow (its state machine's output name),
    described once it has ended."""
    sfn = runtime.client("stepfunctions")
    arn = runtime.outputs[machine_output].replace(":stateMachine:", ":execution:")

    def probe() -> dict[str, Any] | None:
        described = sfn.describe_execution(executionArn=f"{arn}:{name}")
        return dict(described) if described["status"] != "RUNNING" else None

    return wait_until(probe, f"execution {name} to finish", 120)
