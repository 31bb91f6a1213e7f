"""Each function's role allows the calls it makes (tests/support/aws_calls.py checks every
recorded call at the end of the session; these tests pin the parts of that check).

PlanDispatch once had no ``dynamodb:BatchGetItem`` (its platform list reads the
platforms in batches): moto ignored it, AWS would have failed every dispatch. A real
PlanDispatch invocation is replayed here against that old grant, which must refuse it,
and against the synthesized template, which must allow every call.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.stores.notices_table import NoticeStore
from psx.embedded.running_function import running, running_function
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api, new_platform, new_regulator, notice_content, table, unique
from tests.support.aws_calls import (
    RECORDER,
    CallRecorder,
    RecordedCall,
    check,
    grants,
    stack_names,
)
from tests.support.iam import IamRequest, Policy, StackNames, resolve, role_policy

# PlanDispatchRole's statements before the fix, as the template had them.
OLD_PLAN_DISPATCH_STATEMENTS: list[dict[str, Any]] = [
    {
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": ["*"],
    },
    {
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        "Resource": ["*"],
    },
    {
        "Effect": "Allow",
        "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "Resource": [
            {"Fn::GetAtt": ["NoticesTable", "Arn"]},
            {"Fn::Sub": "${NoticesTable.Arn}/index/*"},
        ],
    },
    {"Effect": "Allow", "Action": ["states:SendTaskFailure"], "Resource": ["*"]},
]


@pytest.fixture(scope="module")
def names(runtime: EmbeddedRuntime) -> StackNames:
    found = stack_names()
    assert found is not None, "the recorder found no psx-dev stack in moto"
    return found[1]


@pytest.fixture(scope="module")
def plan_dispatch_calls(runtime: EmbeddedRuntime) -> list[RecordedCall]:
    """What one PlanDispatch invocation (the workflow's task, same event) calls."""
    platform = new_platform()
    saved = NoticeStore(table()).save(
        notice_content(unique("REF"), [platform.id]),
        regulator_id=unique("reg"),
        source_format="api",
        source_file=None,
        received_at=datetime.now(UTC),
    )
    event = {"notice_id": saved.current.notice_id, "version": 1}
    with RECORDER.listening() as heard:
        planned = runtime.registry.invoke(runtime.function_name("plan_dispatch"), event)
    assert [d["platform_id"] for d in planned["dispatches"]] == [platform.id]
    return heard


def _requests(calls: list[RecordedCall]) -> list[IamRequest]:
    assert all(call.request is not None for call in calls), calls
    return [call.request for call in calls if call.request is not None]


def test_plan_dispatch_calls_are_recorded_as_its_own(
    plan_dispatch_calls: list[RecordedCall],
) -> None:
    assert {call.function for call in plan_dispatch_calls} == {"PlanDispatch"}
    actions = {request.action for request in _requests(plan_dispatch_calls)}
    assert {"dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem"} <= actions


def test_the_old_plan_dispatch_grant_refuses_its_batch_get_item(
    plan_dispatch_calls: list[RecordedCall], names: StackNames
) -> None:
    old = Policy.from_json(resolve(OLD_PLAN_DISPATCH_STATEMENTS, names))
    refused = {r.action for r in _requests(plan_dispatch_calls) if not old.allows(r)}
    assert refused == {"dynamodb:BatchGetItem"}


def test_the_template_allows_every_call_plan_dispatch_makes(
    plan_dispatch_calls: list[RecordedCall], names: StackNames, template: dict[str, Any]
) -> None:
    policy = role_policy(template, "PlanDispatchRole", names)
    assert [r for r in _requests(plan_dispatch_calls) if not policy.allows(r)] == []


def test_the_session_check_reports_what_a_role_does_not_allow(
    plan_dispatch_calls: list[RecordedCall], names: StackNames, template: dict[str, Any]
) -> None:
    table_arn = names.arns["NoticesTable"]
    stray = [
        RecordedCall(
            "PlanDispatch", "dynamodb.DeleteItem", IamRequest("dynamodb:DeleteItem", table_arn)
        ),
        RecordedCall("PlanDispatch", "ses.SendEmail", None, unmapped="ses:SendEmail"),
        RecordedCall(
            "NoSuchFunction", "dynamodb.GetItem", IamRequest("dynamodb:GetItem", table_arn)
        ),
    ]
    verdict = check(template, [*plan_dispatch_calls, *stray], {"stack": names})

    assert sorted(verdict.violations, key=repr) == sorted(stray, key=repr)
    used = {(g.role, g.action) for g in verdict.used}
    assert ("PlanDispatchRole", "dynamodb:BatchGetItem") in used
    assert ("PlanDispatchRole", "states:SendTaskFailure") not in used
    assert verdict.used <= set(grants(template))


def test_a_call_is_judged_in_the_stack_whose_resources_it_names(
    plan_dispatch_calls: list[RecordedCall], names: StackNames, template: dict[str, Any]
) -> None:
    # The next test module's stack: the same template, other physical names.
    table = "psx-dev-NoticesTable-NEXTMODULE"
    table_arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{table}"
    next_stack = StackNames(
        refs={**names.refs, "NoticesTable": table}, arns={**names.arns, "NoticesTable": table_arn}
    )
    table_calls = sorted(
        {c for c in plan_dispatch_calls if c.api_call.startswith("dynamodb.")},
        key=RecordedCall.describe,
    )

    assert table_calls
    assert check(template, plan_dispatch_calls, {"next": next_stack}).violations == table_calls
    assert check(template, plan_dispatch_calls, {"next": next_stack, "own": names}).violations == []
    no_stack = check(template, plan_dispatch_calls, {})
    assert no_stack.violations == sorted(set(plan_dispatch_calls), key=RecordedCall.describe)


def test_a_record_saved_by_another_process_adds_to_this_one(
    plan_dispatch_calls: list[RecordedCall], names: StackNames, tmp_path: Path
) -> None:
    theirs, ours = CallRecorder(), CallRecorder()
    theirs.calls.update(plan_dispatch_calls)
    theirs.stacks["their-stack"] = names
    ours.calls.update(plan_dispatch_calls[:1])

    theirs.save(tmp_path / "calls.json")
    ours.load(tmp_path / "calls.json")

    assert ours.calls == theirs.calls + Counter(plan_dispatch_calls[:1])
    assert ours.stacks == {"their-stack": names}


def test_the_authorizer_and_the_api_handler_are_two_functions(runtime: EmbeddedRuntime) -> None:
    platform = new_platform()
    with RECORDER.listening() as heard:
        answer = Api(runtime).get("/v1/inbox", platform)
    assert answer.status == 200
    by_function: dict[str, set[str]] = {}
    for call in heard:
        by_function.setdefault(call.function, set()).add(call.api_call)
    assert by_function["ApiKeyAuthorizer"] == {"dynamodb.GetItem"}
    assert "dynamodb.Query" in by_function["APIHandler"]


def test_calls_outside_every_handler_are_not_recorded(runtime: EmbeddedRuntime) -> None:
    with RECORDER.listening() as heard:
        new_regulator()
    assert heard == []


def test_work_a_handler_hands_to_a_thread_pool_runs_as_that_handler() -> None:
    with running("psx-dev-intake_notice_files"), ThreadPoolExecutor(max_workers=2) as pool:
        seen = list(pool.map(lambda _: running_function(), range(4)))
    assert seen == ["psx-dev-intake_notice_files"] * 4


def test_template_statements_resolve_to_the_stack_arns(
    names: StackNames,
) -> None:
    statements = resolve(OLD_PLAN_DISPATCH_STATEMENTS, names)
    assert statements[2]["Resource"] == [
        names.arns["NoticesTable"],
        names.arns["NoticesTable"] + "/index/*",
    ]
    assert names.arns["NoticesTable"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/")
