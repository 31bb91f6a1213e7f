"""The error names of workflows/*.asl.json against the code that raises and sends them.

Step Functions matches errors by name only: a renamed exception, or a Catch removed,
changes what a workflow does without failing anything else. Here every name a definition
matches must be an error its task can raise (or a SendTaskFailure error of a wait), and
every error a task raises on purpose must be caught by its state or be listed, with a
reason, in chalicelib/workflow/errors.py.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from chalice.utils import to_cfn_resource_name

from chalicelib.deadlines.working_days import UnknownJurisdiction
from chalicelib.workflow import errors
from tests.support.raised import RaiseAnalysis

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = ROOT / "functions"
HANDLERS_DIR = FUNCTIONS_DIR / "chalicelib" / "handlers"
WORKFLOW_FILES = sorted((ROOT / "workflows").glob("*.asl.json"))

# Names Step Functions and Lambda give errors themselves (timeouts, throttling, ...).
SERVICE_ERROR_PREFIXES = ("States.", "Lambda.")
CATCH_ALL = {"States.ALL", "States.TaskFailed"}


@dataclass(frozen=True)
class TaskState:
    workflow: str
    name: str
    function: str  # the Lambda function's logical id
    waits_for_callback: bool
    retried: frozenset[str]
    caught: frozenset[str]

    def __str__(self) -> str:
        return f"{self.workflow}:{self.name}"


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in states.items():
        yield name, state
        for nested in (
            state.get("ItemProcessor"),
            state.get("Iterator"),
            *state.get("Branches", []),
        ):
            if nested:
                yield from _states(nested["States"])


def _definitions() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in WORKFLOW_FILES:
        yield path.name, json.loads(path.read_text(encoding="utf-8"))


def _task_states() -> list[TaskState]:
    found = []
    for workflow, definition in _definitions():
        for name, state in _states(definition["States"]):
            if state["Type"] != "Task":
                continue
            function_arn = state["Parameters"]["FunctionName"]  # "${PlanDispatchFunctionArn}"
            found.append(
                TaskState(
                    workflow=workflow,
                    name=name,
                    function=function_arn.removeprefix("${").removesuffix("FunctionArn}"),
                    waits_for_callback=state["Resource"].endswith(".waitForTaskToken"),
                    retried=frozenset(e for r in state.get("Retry", []) for e in r["ErrorEquals"]),
                    caught=frozenset(e for c in state.get("Catch", []) for e in c["ErrorEquals"]),
                )
            )
    return found


def _fail_state_errors() -> list[str]:
    return [
        state["Error"]
        for _, definition in _definitions()
        for _, state in _states(definition["States"])
        if state["Type"] == "Fail" and "Error" in state
    ]


def _handlers() -> dict[str, tuple[str, str]]:
    """The logical id of each ``@<blueprint>.lambda_function`` in functions/chalicelib/handlers/
    -> the module and name of its handler."""
    handlers = {}
    for path in sorted(HANDLERS_DIR.glob("*.py")):
        module = ".".join(path.relative_to(FUNCTIONS_DIR).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "lambda_function"
                ):
                    (name,) = (k.value for k in decorator.keywords if k.arg == "name")
                    assert isinstance(name, ast.Constant) and isinstance(name.value, str)
                    handlers[to_cfn_resource_name(name.value)] = (module, node.name)
    return handlers


def _raised_by_function() -> dict[str, frozenset[str]]:
    """Each task function -> the names of the errors its handler raises on purpose."""
    analysis = RaiseAnalysis(FUNCTIONS_DIR)
    return {
        function: frozenset(e.__name__ for e in analysis.raised_by(module, handler))
        for function, (module, handler) in _handlers().items()
    }


TASKS = _task_states()
RAISED = _raised_by_function()


def _ours(names: frozenset[str]) -> set[str]:
    return {n for n in names if not n.startswith(SERVICE_ERROR_PREFIXES)}


def test_the_workflows_have_tasks_run_by_our_handlers() -> None:
    assert {task.function for task in TASKS} <= set(RAISED)
    assert any(task.waits_for_callback for task in TASKS)


@pytest.mark.parametrize("task", TASKS, ids=str)
def test_every_error_a_state_matches_is_one_its_task_can_end_with(task: TaskState) -> None:
    can_end_with = RAISED[task.function] | (
        errors.CALLBACK_ERRORS if task.waits_for_callback else set()
    )
    unknown = _ours(task.retried | task.caught) - can_end_with
    assert not unknown, (
        f"{task} matches {sorted(unknown)}, which its handler ({task.function}) never raises"
        f"{' and no wait is failed with' if task.waits_for_callback else ''}: renamed or dead"
    )


def test_every_fail_state_names_an_error_of_ours() -> None:
    known = set().union(*RAISED.values()) | errors.CALLBACK_ERRORS
    assert set(_fail_state_errors()) <= known


@pytest.mark.parametrize("task", TASKS, ids=str)
def test_every_error_a_task_raises_is_caught_or_deliberately_fatal(task: TaskState) -> None:
    if task.caught & CATCH_ALL:
        return
    unhandled = {
        error
        for error in RAISED[task.function] - task.caught
        if (task.function, error) not in errors.DELIBERATELY_FATAL
        and error not in errors.FATAL_IN_EVERY_TASK
    }
    assert not unhandled, (
        f"{task}: {task.function} may raise {sorted(unhandled)}, which no Catch of the state "
        "names: catch it, or list it in chalicelib/workflow/errors.py DELIBERATELY_FATAL "
        "with the reason"
    )


@pytest.mark.parametrize("task", [t for t in TASKS if t.waits_for_callback], ids=str)
def test_every_wait_catches_every_error_it_can_be_failed_with(task: TaskState) -> None:
    uncaught = {
        error
        for error in errors.CALLBACK_ERRORS - task.caught
        if (task.name, error) not in errors.NEVER_SENT
    }
    assert not uncaught, f"{task} does not catch {sorted(uncaught)} (SendTaskFailure errors)"


def test_the_fatal_lists_hold_only_errors_that_are_raised_and_not_caught() -> None:
    for (function, error), reason in errors.DELIBERATELY_FATAL.items():
        assert reason
        assert error in RAISED[function], f"{function} no longer raises {error}"
        catching = [str(t) for t in TASKS if t.function == function and error in t.caught]
        assert not catching, f"{error} of {function} is caught ({catching}): not fatal"
    for error, reason in errors.FATAL_IN_EVERY_TASK.items():
        assert reason
        assert all(error in RAISED[task.function] for task in TASKS), error


def test_never_sent_lists_only_waits_that_do_not_catch_it() -> None:
    waits = {t.name: t for t in TASKS if t.waits_for_callback}
    for (state, error), reason in errors.NEVER_SENT.items():
        assert reason
        assert state in waits, f"{state} is not a wait"
        assert error in errors.CALLBACK_ERRORS
        assert error not in waits[state].caught, f"{state} catches {error}: not never sent"


def test_every_callback_error_is_sent_by_the_code() -> None:
    constants = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, str) and value in errors.CALLBACK_ERRORS
    }
    assert len(constants) == len(errors.CALLBACK_ERRORS)
    used = {
        node.id
        for path in (FUNCTIONS_DIR / "chalicelib").rglob("*.py")
        if path.name != "errors.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Name) and node.id in constants
    }
    assert used == constants


def test_the_analysis_follows_re_raises_and_drops_what_is_caught() -> None:
    # push_webhook re-raises a retryable WebhookDeliveryFailed with a bare `raise`;
    # plan_dispatch catches UnknownJurisdiction from the deadline rules it calls.
    assert "WebhookDeliveryFailed" in RAISED["PushWebhook"]
    analysis = RaiseAnalysis(FUNCTIONS_DIR)
    assert UnknownJurisdiction in analysis.raised_by("chalicelib.deadlines.policy", "deadline_for")
    assert UnknownJurisdiction.__name__ not in RAISED["PlanDispatch"]
