"""Every AWS call each function makes in the embedded runtime, checked against its role.

moto does not enforce IAM, so a role missing a grant passes every test and fails on AWS.
While the suites run, ``CallRecorder`` hears every botocore call (a
``before-parameter-build`` handler every new botocore session gets) made while a
function's handler runs (``psx.embedded.running_function``: the seam marks Lambda
invocations, ``install`` marks the local API Gateway's calls of the API handler and its
authorizer, and carries the mark into thread pools the handlers start). Each call
becomes the IAM requests it needs (tests/support/iam.py); the recorder also keeps the
names of every stack moto had while functions ran. ``check`` then reads each function's
role from the synthesized template, resolves it to each stack's ARNs and evaluates every
request: a call is allowed when its role allows it in one of those stacks. moto gives
every stack's resources random names, so a call names one stack only: the one its handler
ran against, even when a handler still finishing after its test module ends calls while
the next module's stack is up.

Calls made outside any handler (tests seeding data, the runtime provisioning itself or
playing an event source) are not the functions' and are not recorded. ``psx serve`` and
``psx demo`` started by the e2e tests record in their own process and hand their record
over when they end (tests/support/recorded_psx.py).
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import botocore.handlers
from chalice.local import LocalGateway, LocalGatewayAuthorizer
from chalice.utils import to_cfn_resource_name

from infra import api
from psx.embedded.running_function import running, running_function
from tests.support.iam import (
    ACCOUNT_ID,
    IamRequest,
    StackNames,
    UnmappedCall,
    Where,
    action_matches,
    function_roles,
    iam_requests,
    resolve,
    resource_matches,
    role_policy,
    role_statements,
)

STAGE = "dev"
STACK_NAME = f"psx-{STAGE}"
REGION = "us-east-1"
# What Chalice names the deployed API handler and the authorizer.
API_FUNCTION_NAME = STACK_NAME
AUTHORIZER_FUNCTION_NAME = f"{STACK_NAME}-api_key_authorizer"


def logical_function_id(function_name: str) -> str:
    """``psx-dev-plan_dispatch`` -> ``PlanDispatch``; the API handler -> ``APIHandler``."""
    if function_name == API_FUNCTION_NAME:
        return api.API_FUNCTION
    return to_cfn_resource_name(function_name.removeprefix(f"{STACK_NAME}-"))


def _ours(function_name: str) -> bool:
    return function_name == STACK_NAME or function_name.startswith(f"{STACK_NAME}-")


@dataclass(frozen=True)
class RecordedCall:
    function: str  # logical id
    api_call: str  # "dynamodb.BatchGetItem"
    request: IamRequest | None  # None: the call could not be mapped (see ``unmapped``)
    unmapped: str | None = None

    def describe(self) -> str:
        if self.request is None:
            return f"{self.function}: {self.api_call} (cannot map to IAM: {self.unmapped})"
        return (
            f"{self.function}: {self.request.action} on {self.request.resource} ({self.api_call})"
        )


def _current_stack(stack_name: str) -> Any:
    """The stack moto created last under ``stack_name`` (None until it is complete).

    Read from moto's own records (not its API, which would be a call to record); only a
    complete stack, whose resources all exist (reading one that is being created would
    create its resources from this thread)."""
    from moto.cloudformation.models import cloudformation_backends

    stacks = [
        s
        for s in cloudformation_backends[ACCOUNT_ID][REGION].stacks.values()
        if s.name == stack_name and s.status in {"CREATE_COMPLETE", "UPDATE_COMPLETE"}
    ]
    return stacks[-1] if stacks else None


def _names_of(found: Any) -> StackNames:
    refs: dict[str, str] = {
        "AWS::Partition": "aws",
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::StackName": found.name,
        "AWS::URLSuffix": "amazonaws.com",
    }
    arns: dict[str, str] = {}
    for logical_id in found.resource_map:
        resource = found.resource_map[logical_id]
        physical_id = getattr(resource, "physical_resource_id", None)
        if resource is None or physical_id is None:
            continue
        refs[logical_id] = physical_id
        try:
            arns[logical_id] = resource.get_cfn_attribute("Arn")
        except Exception:  # moto raises its own exceptions for attributes it lacks
            if physical_id.startswith("arn:"):  # topics and state machines: Ref is the ARN
                arns[logical_id] = physical_id
    return StackNames(refs, arns)


def stack_names(stack_name: str = STACK_NAME) -> tuple[str, StackNames] | None:
    """The current stack's id and what its names resolve to."""
    found = _current_stack(stack_name)
    return None if found is None else (found.stack_id, _names_of(found))


class CallRecorder:
    """The functions' calls (counted) and the stacks they may have gone to."""

    def __init__(self) -> None:
        # Re-entrant: a signal handler may save while its thread records (recorded_psx).
        self._lock = threading.RLock()
        self.calls: Counter[RecordedCall] = Counter()
        self.stacks: dict[str, StackNames] = {}  # stack id -> its names
        self._listeners: list[list[RecordedCall]] = []

    # -- hearing calls -------------------------------------------------------------------

    def install(self) -> None:
        """Hear every botocore session created from now on; mark the API's functions."""
        hearing = ("before-parameter-build", self.on_call)
        if hearing not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(hearing)
        _carry_context_into_thread_pools()
        _mark_local_gateway_functions()

    def on_call(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        function_name = running_function()
        if function_name is None or not _ours(function_name):
            return
        function = logical_function_id(function_name)
        service = model.service_model
        api_call = f"{service.service_name}.{model.name}"
        try:
            requests: list[IamRequest | None] = list(
                iam_requests(service.signing_name, model.name, params, Where(REGION))
            )
            unmapped = None
        except UnmappedCall as exc:
            requests, unmapped = [None], str(exc)
        self._remember_stack()
        recorded = [RecordedCall(function, api_call, r, unmapped) for r in requests]
        with self._lock:
            self.calls.update(recorded)
            for listener in self._listeners:
                listener.extend(recorded)

    def _remember_stack(self) -> None:
        """The names of the stack moto has now, read once per stack."""
        found = _current_stack(STACK_NAME)
        if found is not None and found.stack_id not in self.stacks:
            names = _names_of(found)
            with self._lock:
                self.stacks.setdefault(found.stack_id, names)

    # -- calls of other processes (tests/support/recorded_psx.py) ---------------------

    def save(self, path: Path) -> None:
        with self._lock:
            recorded = {
                "calls": [[asdict(call), count] for call, count in self.calls.items()],
                "stacks": {stack_id: asdict(names) for stack_id, names in self.stacks.items()},
            }
        path.write_text(json.dumps(recorded), encoding="utf-8")

    def load(self, path: Path) -> None:
        """Add what another process recorded (and saved to ``path``) to this record."""
        recorded = json.loads(path.read_text(encoding="utf-8"))
        with self._lock:
            for call, count in recorded["calls"]:
                request = call["request"] and IamRequest(**call["request"])
                self.calls[RecordedCall(**{**call, "request": request})] += count
            for stack_id, names in recorded["stacks"].items():
                self.stacks.setdefault(stack_id, StackNames(**names))

    @contextmanager
    def listening(self) -> Iterator[list[RecordedCall]]:
        """The calls recorded inside the block (for tests of one invocation)."""
        heard: list[RecordedCall] = []
        with self._lock:
            self._listeners.append(heard)
        try:
            yield heard
        finally:
            with self._lock:
                self._listeners.remove(heard)


def _carry_context_into_thread_pools() -> None:
    """Work a handler submits to a thread pool runs as that handler (Python 3.11's
    threads start with an empty context)."""
    submit = ThreadPoolExecutor.submit
    if getattr(submit, "carries_context", False):
        return

    def submit_in_context(
        self: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        return submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    submit_in_context.carries_context = True  # type: ignore[attr-defined]
    ThreadPoolExecutor.submit = submit_in_context  # type: ignore[method-assign,assignment]


def _mark_local_gateway_functions() -> None:
    """Chalice's local gateway (test client and ``psx serve``) runs the authorizer, then
    the API handler: on AWS they are two functions with two roles."""
    handle_request = LocalGateway.handle_request
    authorize = LocalGatewayAuthorizer.authorize
    if getattr(handle_request, "marks_function", False):
        return

    def handle_as_api(self: LocalGateway, *args: Any, **kwargs: Any) -> Any:
        with running(API_FUNCTION_NAME):
            return handle_request(self, *args, **kwargs)

    def authorize_as_authorizer(self: LocalGatewayAuthorizer, *args: Any, **kwargs: Any) -> Any:
        with running(AUTHORIZER_FUNCTION_NAME):
            return authorize(self, *args, **kwargs)

    handle_as_api.marks_function = True  # type: ignore[attr-defined]
    LocalGateway.handle_request = handle_as_api  # type: ignore[method-assign]
    LocalGatewayAuthorizer.authorize = authorize_as_authorizer  # type: ignore[method-assign]


# -- checking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    """One action on one resource (as the template writes it) that a role allows."""

    role: str
    action: str
    resource: str  # JSON of the template's value


def grants(template: Mapping[str, Any]) -> list[Grant]:
    found = []
    for role in sorted(set(function_roles(template).values())):
        for statement in role_statements(template, role):
            if statement["Effect"] != "Allow":
                continue
            for action in _as_list(statement["Action"]):
                for resource in _as_list(statement["Resource"]):
                    found.append(Grant(role, action, json.dumps(resource, sort_keys=True)))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass
class Verdict:
    violations: list[RecordedCall]
    used: set[Grant]
    calls: int

    def as_json(self) -> dict[str, Any]:
        return {
            "violations": [call.describe() for call in self.violations],
            "used": [asdict(grant) for grant in sorted(self.used, key=repr)],
            "calls": self.calls,
        }


def check(
    template: Mapping[str, Any], calls: Iterable[RecordedCall], stacks: Mapping[str, StackNames]
) -> Verdict:
    """Every recorded call against its function's role, in the stacks the calls may have
    gone to; which grants the calls used."""
    roles = function_roles(template)
    declared = grants(template)
    policies = {
        (role, stack_id): role_policy(template, role, names)
        for role in set(roles.values())
        for stack_id, names in stacks.items()
    }
    violations: set[RecordedCall] = set()
    used: set[Grant] = set()
    distinct = set(calls)
    for call in distinct:
        role = roles.get(call.function)
        request = call.request
        # The first stack whose role allows it (one is enough; the rest are not asked).
        allowing = next(
            (
                names
                for stack_id, names in stacks.items()
                if role is not None
                and request is not None
                and policies[role, stack_id].allows(request)
            ),
            None,
        )
        if role is None or request is None or allowing is None:
            violations.add(call)
            continue
        used |= {g for g in declared if g.role == role and _grant_covers(g, request, allowing)}
    return Verdict(sorted(violations, key=RecordedCall.describe), used, len(distinct))


def _grant_covers(grant: Grant, request: IamRequest, names: StackNames) -> bool:
    resource = resolve(json.loads(grant.resource), names)
    return action_matches(grant.action, request.action) and resource_matches(
        resource, request.resource
    )


# Grants the embedded runtime cannot exercise: what AWS itself does with a function's role.
_LOGS = "Lambda's runtime writes the function's logs with its role"
_TRACES = "active tracing sends segments with it (tracing is off in the embedded runtime)"
_EVENT_SOURCE = (
    "Lambda's SQS event source polls, deletes and reads attributes with the function's "
    "role (the embedded runtime plays the event source itself)"
)
AWS_ONLY_GRANTS: dict[str, str] = {
    "logs:CreateLogStream": _LOGS,
    "logs:PutLogEvents": _LOGS,
    "xray:PutTraceSegments": _TRACES,
    "xray:PutTelemetryRecords": _TRACES,
    "sqs:ReceiveMessage": _EVENT_SOURCE,
    "sqs:DeleteMessage": _EVENT_SOURCE,
    "sqs:GetQueueAttributes": _EVENT_SOURCE,
}


# Grants of paths the recorded suites do not reach, and why they stay.
UNREACHED_GRANTS: dict[tuple[str, str], str] = {
    ("IntakeNoticeFilesRole", "s3:GetObjectVersion"): "AWS's S3 notifications name the "
    "object's version (moto's do not) and intake reads that version",
    ("IntakeNoticeFilesRole", "dynamodb:DeleteItem"): "Powertools idempotency deletes its "
    "in-progress record when ingesting a file raises",
    ("IntakeNoticeFilesRole", "dynamodb:GetItem"): "Powertools idempotency reads its record "
    "when a refused conditional put returns no old item",
    ("OpenWaitRole", "states:SendTaskSuccess"): "resumes the workflow at once when the "
    "answer arrived before the wait opened (a race)",
    ("OpenWaitRole", "states:SendTaskFailure"): "ends the wait when the dispatch closed "
    "before the wait opened (a race)",
    ("NotifyRecipientsRole", "s3:GetObject"): "a process keeps each buyer message once "
    "(it renders it once); another Lambda container keeping the same message finds it kept "
    "and reads its checksum (HeadObject)",
    ("PrepareAuditRole", "dynamodb:GetItem"): "reads the notice versions it indexes; the "
    "embedded runtime runs every function in one process, whose cache of notice versions "
    "(never changed once written) another function has filled first",
    **{
        (role, action): "SQS encrypts and decrypts the notification queue's messages with "
        "the notification key on the caller's behalf (moto's SQS does not call KMS)"
        for role in ("NotifyRecipientsRole", "PlanDispatchRole")
        for action in ("kms:GenerateDataKey", "kms:Decrypt")
    },
}


def unused_grants(declared: list[Grant], used: set[Grant]) -> list[str]:
    """Report lines: grants no recorded call used, unexplained ones first, then those with
    a known reason, the AWS-only ones grouped by reason."""
    unused = [grant for grant in declared if grant not in used]
    unexplained, explained = [], []
    by_reason: dict[str, list[Grant]] = {}
    for g in unused:
        reason = UNREACHED_GRANTS.get((g.role, g.action))
        if g.action in AWS_ONLY_GRANTS:
            by_reason.setdefault(AWS_ONLY_GRANTS[g.action], []).append(g)
        elif reason:
            explained.append(f"{g.role}: {g.action} on {g.resource}: {reason}")
        else:
            unexplained.append(f"{g.role}: {g.action} on {g.resource}: no recorded call used it")
    for reason, group in by_reason.items():
        actions = ", ".join(sorted({g.action for g in group}))
        roles = ", ".join(sorted({g.role for g in group}))
        explained.append(f"AWS only: {actions} ({roles}): {reason}")
    return unexplained + explained


RECORDER = CallRecorder()
