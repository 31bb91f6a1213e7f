"""Every AWS resource of the exchange besides the Chalice app, assembled from the
capability modules of ``infra/`` (docs/infrastructure.md lists which declares what).

``merge_template()`` is what ``chalice package --merge-template`` merges into the SAM
template Chalice generates for ``functions/app.py`` (see ``infra/build.py``); the
embedded runtime provisions moto from the very same declarations (``psx/embedded``),
so what the tests run against is what AWS gets.

The split (docs/infrastructure.md):

- ``resources()``: what both worlds create -- the exchange itself (table, queues,
  buckets, topics, state machines, roles). moto's CloudFormation creates every one of
  them; they reference only each other, pseudo parameters and the functions' ARNs.
- ``aws_only_resources()``: what only a real account has -- the S3 -> SQS queue policy,
  the functions' log groups, the alarms, the topic they notify and its key. These name
  resources Chalice creates (functions, the REST API), are types moto's CloudFormation
  cannot create, or have nothing to do locally. The embedded runtime never sees them.
"""

from __future__ import annotations

from typing import Any

from infra import (
    api,
    feeds,
    intake,
    lifecycle,
    notification,
    observability,
    reports,
    stages,
    storage,
    verification,
)
from infra.iam import function_roles
from infra.intrinsics import Template, arn_of, ref

# moto's CloudFormation (5.2.5) creates these types; resources() holds nothing else.
LOCALLY_CREATABLE_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::S3::Bucket",
        "AWS::SNS::Topic",
        "AWS::StepFunctions::StateMachine",
        "AWS::IAM::Role",
        "AWS::KMS::Key",
    }
)

# What every function reads from its environment (chalicelib/settings.py), resolved by
# CloudFormation on AWS and from the stack's outputs by the embedded runtime.
FUNCTION_ENVIRONMENT: dict[str, Any] = {
    "PSX_TABLE_NAME": ref("NoticesTable"),
    "PSX_INTAKE_BUCKET": ref("IntakeBucket"),
    "PSX_EVIDENCE_BUCKET": ref("EvidenceBucket"),
    "PSX_LIFECYCLE_STATE_MACHINE_ARN": lifecycle.STATE_MACHINE_ARN,
    "PSX_ESCALATION_TOPIC_ARN": ref("EscalationTopic"),
    "PSX_CATALOGUE_BUCKET": ref(verification.BUCKET),
    "PSX_AUDIT_STATE_MACHINE_ARN": verification.STATE_MACHINE_ARN,
    "PSX_EVIDENCE_RETENTION_DAYS": str(storage.EVIDENCE_RETENTION_DAYS),
    "PSX_NOTIFICATION_TABLE_NAME": ref(notification.NOTIFICATION_TABLE),
    "PSX_NOTIFICATION_QUEUE_URL": ref(notification.NOTIFICATION_QUEUE),
    "PSX_NOTIFICATION_KEY_ARN": arn_of(notification.NOTIFICATION_KEY),
    "PSX_AFFECTED_PARTIES_BUCKET": ref(notification.UPLOADS_BUCKET),
    "PSX_REPORTS_BUCKET": ref(reports.BUCKET),
    "PSX_REPORT_STATE_MACHINE_ARN": reports.STATE_MACHINE_ARN,
}


def function_permissions() -> dict[str, list[Template]]:
    """Every function of functions/app.py and what it touches: the capabilities' role tables."""
    return {
        **intake.function_permissions(),
        **lifecycle.function_permissions(),
        **api.function_permissions(),
        **feeds.function_permissions(),
        **verification.function_permissions(),
        **notification.function_permissions(),
        **reports.function_permissions(),
    }


# Every function Chalice declares: each has a role, so the role tables name them all.
CHALICE_FUNCTIONS = tuple(function_permissions())

# The ${Placeholder}s of each workflow definition and what they stand for.
WORKFLOW_SUBSTITUTIONS: dict[str, dict[str, Any]] = {
    lifecycle.WORKFLOW: lifecycle.SUBSTITUTIONS,
    verification.WORKFLOW: verification.SUBSTITUTIONS,
    reports.WORKFLOW: reports.SUBSTITUTIONS,
}


def resources() -> dict[str, Template]:
    """The resources both worlds create (AWS through CloudFormation, moto locally)."""
    return {
        **storage.resources(),
        **intake.resources(),
        **lifecycle.resources(),
        **verification.resources(),
        **notification.resources(),
        **reports.resources(),
        **function_roles(function_permissions()),
    }


def aws_only_resources() -> dict[str, Template]:
    """What only a real account gets: see the module docstring."""
    return {
        **intake.aws_only_resources(),
        **notification.aws_only_resources(),
        **observability.aws_only_resources(resources(), CHALICE_FUNCTIONS),
    }


# Dependencies on AWS-only resources, added to resources() declarations for AWS only.
AWS_ONLY_DEPENDENCIES: dict[str, list[str]] = {
    **intake.AWS_ONLY_DEPENDENCIES,
    **notification.AWS_ONLY_DEPENDENCIES,
}


def output_name(environment_variable: str) -> str:
    """``PSX_TABLE_NAME`` -> ``PsxTableName`` (output names must be alphanumeric)."""
    return "".join(part.capitalize() for part in environment_variable.split("_"))


def outputs() -> dict[str, Template]:
    """Outputs of resources() (both worlds)."""
    return {output_name(name): {"Value": value} for name, value in FUNCTION_ENVIRONMENT.items()} | {
        "IntakeQueueUrl": {"Value": ref("IntakeQueue")},
        "EscalationTopicArn": {"Value": ref("EscalationTopic")},
    }


# Functions the CLI invokes itself (`psx audit` runs the deadline check on demand,
# `psx audit verify` the compliance audits, `psx report --publish` the reports).
INVOKED_BY_CLI = (
    lifecycle.ENFORCE_DEADLINES_FUNCTION,
    verification.START_AUDITS_FUNCTION,
    reports.START_REPORTS_FUNCTION,
)


def function_name_output(logical_id: str) -> str:
    return f"{logical_id}FunctionName"


def aws_only_outputs() -> dict[str, Template]:
    """On AWS CloudFormation names the functions; the embedded runtime knows its own."""
    return observability.aws_only_outputs() | {
        function_name_output(function): {"Value": ref(function)} for function in INVOKED_BY_CLI
    }


def function_overrides() -> dict[str, Template]:
    """What Chalice cannot say: per-function roles, and what a capability adds (intake's
    real queue, partial batches, concurrency, timeout)."""
    overrides: dict[str, Template] = {
        name: {"Properties": {"Role": arn_of(f"{name}Role")}} for name in CHALICE_FUNCTIONS
    }
    for name, override in {
        **intake.function_overrides(),
        **feeds.function_overrides(),
        **verification.function_overrides(),
        **notification.function_overrides(),
        **reports.function_overrides(),
    }.items():
        overrides[name]["Properties"].update(override["Properties"])
    return overrides


def merge_template() -> Template:
    """What infra/build.py merges into Chalice's SAM template."""
    declared = {**resources(), **aws_only_resources()}
    for logical_id, depends_on in AWS_ONLY_DEPENDENCIES.items():
        declared[logical_id] = {**declared[logical_id], "DependsOn": depends_on}
    return {
        "Parameters": stages.parameters(),
        "Mappings": stages.mappings(),
        "Globals": {"Function": {"Environment": {"Variables": FUNCTION_ENVIRONMENT}}},
        "Resources": {**declared, **function_overrides(), **api.api_overrides()},
        "Outputs": outputs() | aws_only_outputs(),
    }
