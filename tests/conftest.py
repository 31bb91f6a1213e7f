"""Shared fixtures: one embedded exchange per test module.

A fresh exchange per module keeps state from leaking between capabilities (a platform
registered by one module would otherwise receive every later module's notices); tests
in a module keep to their own regulator and platform ids.

Every AWS call a function makes while the tests run is checked against that function's
role in the synthesized template when the session ends (tests/support/aws_calls.py):
each xdist worker checks the calls it recorded itself and fails its last test's
teardown on a call the role does not allow. The run's summary lists the grants no
recorded call used (build/aws-calls/ holds each worker's report).
"""

from __future__ import annotations

import itertools
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.build import BUILD_DIR
from psx.embedded.runtime import EmbeddedRuntime
from tests.support.aws_calls import RECORDER, Grant, check, grants, unused_grants
from tests.support.template import remember_run_id, synthesized_template

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CALL_REPORTS = BUILD_DIR / "aws-calls"


def pytest_configure(config: pytest.Config) -> None:
    remember_run_id(config)
    RECORDER.install()
    if not hasattr(config, "workerinput"):  # the controller (or the only process)
        shutil.rmtree(CALL_REPORTS, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def roles_allow_every_recorded_call(pytestconfig: pytest.Config) -> Iterator[None]:
    yield
    if not RECORDER.calls:
        return
    template = json.loads(synthesized_template(pytestconfig).read_text(encoding="utf-8"))
    verdict = check(template, RECORDER.calls, RECORDER.stacks)
    worker = getattr(pytestconfig, "workerinput", {}).get("workerid", "main")
    report = CALL_REPORTS / f"{worker}.json"
    CALL_REPORTS.mkdir(parents=True, exist_ok=True)
    declared = [vars(grant) for grant in grants(template)]
    report.write_text(json.dumps(verdict.as_json() | {"grants": declared}, indent=1))
    if verdict.violations:
        pytest.fail(
            "calls the function's role in build/dev/sam.json does not allow "
            f"(infra/stack.py; report: {report}):\n  "
            + "\n  ".join(call.describe() for call in verdict.violations),
            pytrace=False,
        )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if hasattr(config, "workerinput"):
        return
    reports = [json.loads(path.read_text()) for path in sorted(CALL_REPORTS.glob("*.json"))]
    if not reports:
        return
    declared = [Grant(**grant) for grant in reports[0]["grants"]]
    used = {Grant(**grant) for report in reports for grant in report["used"]}
    violations = sorted({v for report in reports for v in report["violations"]})
    write = terminalreporter.write_line
    terminalreporter.section("AWS calls against the roles")
    write(
        f"{sum(r['calls'] for r in reports)} distinct calls recorded, {len(violations)} not allowed"
    )
    for violation in violations:
        write(f"  NOT ALLOWED {violation}")
    write("grants no recorded call used (least privilege: remove them, or say why AWS needs them):")
    for line in unused_grants(declared, used):
        write(f"  {line}")


@pytest.fixture(scope="module")
def runtime() -> Iterator[EmbeddedRuntime]:
    with EmbeddedRuntime() as embedded:
        yield embedded


_regulator_numbers = itertools.count()


@pytest.fixture
def regulator_id() -> str:
    """A regulator id no other test uses."""
    return f"reg-{next(_regulator_numbers)}-{uuid.uuid4().hex[:6]}"
