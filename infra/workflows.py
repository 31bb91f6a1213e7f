"""Step Functions state machines from ``workflows/*.asl.json``, placeholders intact.

A definition names ARNs as ``${Placeholder}``s; the capability that owns the workflow
says what each one stands for (its substitutions), and CloudFormation's ``Fn::Sub``
fills them in on AWS and in moto alike.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from infra.iam import allow
from infra.intrinsics import Template, arn_of, sub
from infra.stages import stage_setting

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "workflows"


def workflow_definition(name: str) -> str:
    """The ASL text of ``workflows/<name>.asl.json``, minified, placeholders intact."""
    definition = json.loads((WORKFLOWS_DIR / f"{name}.asl.json").read_text(encoding="utf-8"))
    return json.dumps(definition, separators=(",", ":"))


def state_machine(workflow: str, role: str, substitutions: dict[str, Any]) -> Template:
    return {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": sub(f"${{AWS::StackName}}-{workflow}"),
            "StateMachineType": "STANDARD",
            "RoleArn": arn_of(role),
            "DefinitionString": {"Fn::Sub": [workflow_definition(workflow), substitutions]},
            "TracingConfiguration": {"Enabled": True},
        },
    }


# What a state machine (traced: ``state_machine`` above) sends its X-Ray traces with.
STATE_MACHINE_TRACES = allow(
    [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
    ],
    ["*"],
)


def scheduled(function: str, setting: str) -> Template:
    """The override that gives ``function`` the stage's EventBridge schedule ``setting``
    (StageSettings in infra/stages.py) instead of the rate Chalice declares."""
    return {
        "Properties": {
            "Events": {
                f"{function}Event": {
                    "Type": "Schedule",
                    "Properties": {"Schedule": stage_setting(setting)},
                }
            }
        }
    }


_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")


def workflow_placeholders(name: str) -> set[str]:
    """The ``${Placeholder}``s of ``workflows/<name>.asl.json`` (pseudo parameters excluded)."""
    text = (WORKFLOWS_DIR / f"{name}.asl.json").read_text(encoding="utf-8")
    return {p for p in _PLACEHOLDER.findall(text) if not p.startswith("AWS::")}
