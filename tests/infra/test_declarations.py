"""Static checks of infra/ and workflows/ (no synthesis, no moto)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.intake.process import MAX_DELIVERIES
from infra import api, stack, workflows
from tests.infra.cfn import referenced_ids

WORKFLOWS = sorted(
    p.name.removesuffix(".asl.json") for p in workflows.WORKFLOWS_DIR.glob("*.asl.json")
)
PSEUDO_PARAMETERS = {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::StackName"}


def test_there_are_workflows() -> None:
    assert "notice-lifecycle" in WORKFLOWS


@pytest.mark.parametrize("workflow", WORKFLOWS)
def test_every_placeholder_has_a_substitution(workflow: str) -> None:
    assert workflow in stack.WORKFLOW_SUBSTITUTIONS, f"no substitutions for {workflow}"
    assert workflows.workflow_placeholders(workflow) == set(stack.WORKFLOW_SUBSTITUTIONS[workflow])


def test_every_substituted_workflow_exists() -> None:
    assert set(stack.WORKFLOW_SUBSTITUTIONS) <= set(WORKFLOWS)


def test_placeholders_skip_escapes_and_pseudo_parameters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sample.asl.json").write_text(
        '{"a": "${X}", "b": "${!Literal}", "c": "${AWS::Region}", "d.$": "$.path"}'
    )
    monkeypatch.setattr(workflows, "WORKFLOWS_DIR", tmp_path)
    assert workflows.workflow_placeholders("sample") == {"X"}


# -- the split between both worlds and AWS only ---------------------------------------------


def test_resources_hold_only_what_moto_creates() -> None:
    for logical_id, resource in stack.resources().items():
        assert resource["Type"] in stack.LOCALLY_CREATABLE_TYPES, logical_id


def test_resources_reference_only_each_other_and_function_arns() -> None:
    declared = stack.resources()
    allowed = set(declared) | set(stack.CHALICE_FUNCTIONS) | PSEUDO_PARAMETERS
    for logical_id, resource in declared.items():
        assert referenced_ids(resource) <= allowed, logical_id
        assert "DependsOn" not in resource or set(resource["DependsOn"]) <= set(declared)
    # The local world fills in function ARNs only (psx/embedded/runtime.py).
    assert referenced_ids(stack.outputs()) <= set(declared) | PSEUDO_PARAMETERS


def test_aws_only_resources_do_not_shadow_resources() -> None:
    assert not set(stack.aws_only_resources()) & set(stack.resources())
    assert set(stack.AWS_ONLY_DEPENDENCIES) <= set(stack.resources())
    for depends_on in stack.AWS_ONLY_DEPENDENCIES.values():
        assert set(depends_on) <= set(stack.aws_only_resources())


def test_merge_template_holds_both_worlds() -> None:
    merged = stack.merge_template()["Resources"]
    assert set(stack.resources()) | set(stack.aws_only_resources()) <= set(merged)
    assert merged["IntakeBucket"]["DependsOn"] == ["IntakeQueuePolicy"]
    assert "DependsOn" not in stack.resources()["IntakeBucket"]


def _chalice_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "chalice.json"
    path.write_text(json.dumps(config))
    return path


def test_api_gateway_stage_comes_from_chalice_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages = {"dev": {"api_gateway_stage": "v1"}, "prod": {"api_gateway_stage": "v1"}}
    monkeypatch.setattr(api, "CHALICE_CONFIG", _chalice_config(tmp_path, {"stages": stages}))
    assert api.api_gateway_stage() == "v1"


def test_api_gateway_stage_defaults_to_chalices_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"api_gateway_stage": "top", "stages": {"dev": {}, "prod": {}}}
    monkeypatch.setattr(api, "CHALICE_CONFIG", _chalice_config(tmp_path, config))
    assert api.api_gateway_stage() == "top"
    monkeypatch.setattr(api, "CHALICE_CONFIG", _chalice_config(tmp_path, {"stages": {"dev": {}}}))
    assert api.api_gateway_stage() == "api"


def test_the_intake_knows_which_delivery_of_a_file_is_its_last() -> None:
    # Its last delivery reports even transient failures: no file reaches the dead-letter
    # queue without a report. That needs the queue's count and intake's to agree.
    redrive = stack.resources()["IntakeQueue"]["Properties"]["RedrivePolicy"]

    assert redrive["maxReceiveCount"] == MAX_DELIVERIES


def test_stages_with_different_api_gateway_stages_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stages = {"dev": {"api_gateway_stage": "a"}, "prod": {}}
    monkeypatch.setattr(api, "CHALICE_CONFIG", _chalice_config(tmp_path, {"stages": stages}))
    with pytest.raises(ValueError, match="different api_gateway_stage"):
        api.api_gateway_stage()
