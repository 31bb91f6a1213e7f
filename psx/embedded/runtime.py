"""The embedded runtime: the exchange's real handlers and workflows on moto.

Provisions moto from ``infra/stack.py`` (the declarations AWS gets), registers every
function of ``functions/app.py`` under its deployed name, and plays the part of
Lambda's event sources (an SQS poller with partial-batch semantics).
"""

from __future__ import annotations

import copy
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType, TracebackType
from typing import Any

import boto3
from chalice.utils import to_cfn_resource_name

from infra import stack
from psx import FUNCTIONS_DIR
from psx.embedded.cfn_gaps import apply_dropped_properties
from psx.embedded.heap import survivors_frozen
from psx.embedded.moto_seam import (
    FunctionRegistry,
    Handler,
    embedded_aws,
    publish_stack_state_machines,
    substitute_literal_subs,
)
from psx.scheduled import scheduled_event

logger = logging.getLogger(__name__)
ROOT = FUNCTIONS_DIR.parent
ACCOUNT_ID = "123456789012"


@dataclass(frozen=True)
class SqsEventSource:
    queue_url: str
    queue_arn: str
    function_name: str
    batch_size: int


# SQS's longest wait for a message, as Lambda's own event-source pollers use it.
LONG_POLL_SECONDS = 20


# What only the embedded runtime sets: its simulated marketplaces serve their listing
# pages on 127.0.0.1, which the live check refuses anywhere else.
EMBEDDED_ENVIRONMENT = {"PSX_LIVE_CHECK_ALLOW_LOOPBACK": "true"}


class EmbeddedRuntime:
    """``with EmbeddedRuntime() as aws:`` gives a provisioned, empty exchange."""

    def __init__(self, stage: str = "dev") -> None:
        self.stage = stage
        self.stack_name = f"psx-{stage}"
        self.registry = FunctionRegistry()
        self.outputs: dict[str, str] = {}
        self.event_sources: list[SqsEventSource] = []
        self._event_source_sqs: Any = None  # one client for every poll (created in _provision)
        # The runtime's own calls (provisioning looks up ~20 physical ids, settle polls)
        # share a client per service: creating one costs ~30 ms, a third of provisioning.
        self._own_clients: dict[str, Any] = {}
        self._own_clients_lock = threading.Lock()
        self._exit_stack = ExitStack()
        self._saved_environment: dict[str, str | None] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> EmbeddedRuntime:
        self._exit_stack.enter_context(embedded_aws(self.registry))
        self._exit_stack.enter_context(survivors_frozen())
        try:
            self._provision()
        except BaseException:
            self._exit_stack.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._restore_environment()
        self._exit_stack.close()

    @property
    def app(self) -> ModuleType:
        """``functions/app.py``, imported only once moto is running (design note)."""
        return importlib.import_module("app")

    def client(self, service: str) -> Any:
        return boto3.client(service)  # type: ignore[call-overload]

    def _own_client(self, service: str) -> Any:
        with self._own_clients_lock:
            if service not in self._own_clients:
                self._own_clients[service] = self.client(service)
            return self._own_clients[service]

    def function_name(self, handler_name: str) -> str:
        """The name Chalice deploys a handler under: ``<app>-<stage>-<handler>``."""
        return f"psx-{self.stage}-{handler_name}"

    # -- provisioning ----------------------------------------------------------------------

    def _provision(self) -> None:
        # The stage's variables first: Powertools reads its service name at import.
        self._set_environment(self._chalice_environment() | EMBEDDED_ENVIRONMENT)
        self.app  # noqa: B018 -- imports functions/app.py now that moto is running
        from chalicelib import idempotency
        from chalicelib.stores import aws_clients

        aws_clients.reset_clients()
        idempotency.reset()
        function_arns = self._register_functions()
        template = local_template(function_arns)
        cloudformation = self._own_client("cloudformation")
        cloudformation.create_stack(StackName=self.stack_name, TemplateBody=json.dumps(template))
        described = cloudformation.describe_stacks(StackName=self.stack_name)["Stacks"][0]
        self.outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
        publish_stack_state_machines(
            self._own_client("stepfunctions"), ACCOUNT_ID, os.environ["AWS_DEFAULT_REGION"]
        )
        self._set_environment(
            {name: self.outputs[stack.output_name(name)] for name in stack.FUNCTION_ENVIRONMENT}
        )
        apply_dropped_properties(self._own_client, self._physical_id)
        self._apply_bucket_notifications()
        self._connect_event_sources()
        self._verify_sender_identity()

    def _verify_sender_identity(self) -> None:
        """What an operator does once on AWS: verify the exchange's own SES identity
        (moto, like SES, refuses to send from an unverified one). A platform's own
        identity is verified by whoever registers it (`psx demo` does so for its own)."""
        from chalicelib.settings import DEFAULT_SENDER_IDENTITY

        sender = os.environ.get("PSX_SENDER_IDENTITY") or DEFAULT_SENDER_IDENTITY
        self._own_client("ses").verify_email_identity(EmailAddress=sender)

    def _chalice_environment(self) -> dict[str, str]:
        config = json.loads((ROOT / "chalice.json").read_text(encoding="utf-8"))
        stage_config = config["stages"][self.stage]
        return {
            **config.get("environment_variables", {}),
            **stage_config.get("environment_variables", {}),
        }

    def _register_functions(self) -> dict[str, str]:
        """Create each handler as a moto Lambda function; returns logical id -> ARN."""
        iam = self._own_client("iam")
        role_arn = iam.create_role(
            RoleName="psx-embedded-lambda",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        lambda_client = self._own_client("lambda")
        arns: dict[str, str] = {}
        for handler_name, handler in self._handlers().items():
            function_name = self.function_name(handler_name)
            self.registry.register(function_name, handler)
            arns[to_cfn_resource_name(handler_name)] = lambda_client.create_function(
                FunctionName=function_name,
                Runtime="python3.11",
                Role=role_arn,
                Handler=f"app.{handler_name}",
                Code={"ZipFile": b"in-process"},
            )["FunctionArn"]
        return arns

    def _handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = dict(self.app.app.handler_map)
        # The HTTP API and its authorizer are served by Chalice's local gateway, not invoked.
        handlers.pop("api_handler", None)
        for authorizer in self.app.app.builtin_auth_handlers:
            handlers.pop(authorizer.name, None)
        return handlers

    def _physical_id(self, logical_id: str) -> str:
        resource = self._own_client("cloudformation").describe_stack_resource(
            StackName=self.stack_name, LogicalResourceId=logical_id
        )
        physical_id: str = resource["StackResourceDetail"]["PhysicalResourceId"]
        return physical_id

    def _queue_url(self, logical_id: str) -> str:
        physical = self._physical_id(logical_id)
        if physical.startswith("http"):
            return physical
        url: str = self._own_client("sqs").get_queue_url(QueueName=physical.rsplit("/", 1)[-1])[
            "QueueUrl"
        ]
        return url

    def _apply_bucket_notifications(self) -> None:
        """moto's CloudFormation ignores NotificationConfiguration; apply it with S3's API."""
        s3 = self._own_client("s3")
        sqs = self._own_client("sqs")
        for logical_id, resource in stack.resources().items():
            notification = resource.get("Properties", {}).get("NotificationConfiguration")
            if resource["Type"] != "AWS::S3::Bucket" or notification is None:
                continue
            queue_configurations = []
            for entry in notification.get("QueueConfigurations", []):
                queue_logical_id = entry["Queue"]["Fn::GetAtt"][0]
                queue_arn = sqs.get_queue_attributes(
                    QueueUrl=self._queue_url(queue_logical_id), AttributeNames=["QueueArn"]
                )["Attributes"]["QueueArn"]
                queue_configurations.append(
                    {
                        "QueueArn": queue_arn,
                        "Events": [entry["Event"]],
                        "Filter": {"Key": {"FilterRules": entry["Filter"]["S3Key"]["Rules"]}},
                    }
                )
            s3.put_bucket_notification_configuration(
                Bucket=self._physical_id(logical_id),
                NotificationConfiguration={"QueueConfigurations": queue_configurations},
            )

    def _connect_event_sources(self) -> None:
        """Each Chalice SQS handler polls the queue infra/stack.py wires it to."""
        overrides = stack.function_overrides()
        sqs = self._event_source_sqs = self._own_client("sqs")
        for source in self.app.app.event_sources:
            if type(source).__name__ != "SQSEventConfig":
                continue
            logical_id = to_cfn_resource_name(source.name)
            event = overrides[logical_id]["Properties"]["Events"][f"{logical_id}SqsEventSource"]
            queue_url = self._queue_url(event["Properties"]["Queue"]["Fn::GetAtt"][0])
            self.event_sources.append(
                SqsEventSource(
                    queue_url=queue_url,
                    queue_arn=sqs.get_queue_attributes(
                        QueueUrl=queue_url, AttributeNames=["QueueArn"]
                    )["Attributes"]["QueueArn"],
                    function_name=self.function_name(source.name),
                    batch_size=source.batch_size,
                )
            )

    def _set_environment(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def _restore_environment(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    # -- running ---------------------------------------------------------------------------

    def scheduled_handlers(self) -> list[str]:
        """Handlers EventBridge schedules on AWS (which never fire in moto)."""
        return [
            source.name
            for source in self.app.app.event_sources
            if type(source).__name__ == "ScheduledEventConfig"
        ]

    @contextmanager
    def clock_at(self, at: datetime) -> Iterator[None]:
        """The exchange's clock reads ``at`` (and runs on from there) inside the block:
        what ``psx audit --at`` does for the schedule, this does for every handler."""
        from chalicelib import clock

        clock.set_ahead(at - datetime.now(UTC))
        try:
            yield
        finally:
            clock.set_ahead(timedelta(0))

    def run_schedules(self, at: datetime) -> dict[str, Any]:
        """Run every scheduled handler as EventBridge would at ``at``; returns their results."""
        return {
            name: self.registry.invoke(self.function_name(name), scheduled_event(at))
            for name in self.scheduled_handlers()
        }

    def pump(self, max_rounds: int = 1000) -> int:
        """Deliver queued messages to their handlers until every queue is empty.

        Like Lambda's SQS event source with ReportBatchItemFailures: records the handler
        reports as failed become visible again (and reach the dead-letter queue after
        the queue's maxReceiveCount). Returns the number of records delivered.
        """
        delivered = 0
        for _ in range(max_rounds):
            batch_delivered = sum(self.deliver_batch(source) for source in self.event_sources)
            if batch_delivered == 0:
                return delivered
            delivered += batch_delivered
        raise RuntimeError(f"queues still busy after {max_rounds} rounds")

    def poll(self, source: SqsEventSource, stop: threading.Event) -> None:
        """Deliver ``source``'s messages as they arrive, until ``stop`` is set (and the
        long poll under way ends): what Lambda's event-source poller does on AWS."""
        while not stop.is_set():
            self.deliver_batch(source, wait_seconds=LONG_POLL_SECONDS)

    def deliver_batch(self, source: SqsEventSource, wait_seconds: int = 0) -> int:
        """Deliver one batch of ``source``'s messages; returns how many.

        ``wait_seconds`` > 0 is SQS long polling: moto's ReceiveMessage waits on the
        queue's condition, which every send notifies, so an idle queue costs one call
        per wait and a message is delivered as soon as it is sent.
        """
        sqs = self._event_source_sqs
        messages = sqs.receive_message(
            QueueUrl=source.queue_url,
            MaxNumberOfMessages=min(source.batch_size, 10),
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        event = {"Records": [_sqs_record(message, source.queue_arn) for message in messages]}
        try:
            response = self.registry.invoke(source.function_name, event) or {}
            failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
        except Exception:
            # As on AWS: a crashed invocation fails the whole batch, which is retried
            # until the queue's maxReceiveCount moves it to the dead-letter queue.
            logger.exception("event source %s: handler failed", source.function_name)
            failed = {message["MessageId"] for message in messages}
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=source.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                sqs.delete_message(
                    QueueUrl=source.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return len(messages)

    def executions(
        self, state_machine_output: str = "PsxLifecycleStateMachineArn"
    ) -> Iterator[dict[str, Any]]:
        sfn = self._own_client("stepfunctions")
        paginator = sfn.get_paginator("list_executions")
        for page in paginator.paginate(stateMachineArn=self.outputs[state_machine_output]):
            yield from page["executions"]

    def settle(self, quiet_seconds: float = 2.0, timeout_seconds: float = 300.0) -> None:
        """Wait until no execution has moved for ``quiet_seconds``: every workflow has
        finished or is parked on a wait (a platform's answer, a deadline)."""
        sfn = self._own_client("stepfunctions")
        deadline = time.monotonic() + timeout_seconds

        def progress() -> tuple[int, int]:
            self.pump()
            executions = list(self.executions())
            events = sum(
                len(sfn.get_execution_history(executionArn=e["executionArn"])["events"])
                for e in executions
                if e["status"] == "RUNNING"
            )
            return len(executions), events

        last = progress()
        while time.monotonic() < deadline:
            time.sleep(quiet_seconds)
            current = progress()
            if current == last:
                return
            last = current
        raise TimeoutError(f"workflows still moving after {timeout_seconds}s")

    def wait_for_executions(
        self,
        timeout_seconds: float = 60.0,
        name_prefix: str = "",
        state_machine_output: str = "PsxLifecycleStateMachineArn",
    ) -> list[dict[str, Any]]:
        """Wait until no execution (of the lifecycle unless said, named ``name_prefix``…)
        is RUNNING."""
        deadline = time.monotonic() + timeout_seconds
        while True:
            executions = [
                e
                for e in self.executions(state_machine_output)
                if e["name"].startswith(name_prefix)
            ]
            if all(e["status"] != "RUNNING" for e in executions):
                return executions
            if time.monotonic() > deadline:
                raise TimeoutError(f"executions still running after {timeout_seconds}s")
            time.sleep(0.05)


def _sqs_record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": os.environ.get("AWS_REGION", "us-east-1"),
    }


def local_template(function_arns: dict[str, str]) -> dict[str, Any]:
    """infra/stack.py's resources as moto's CloudFormation can create them.

    Function ARNs (created by Chalice on AWS, by us here) are filled in as literals; the
    bucket notifications moto would ignore are applied by ``_apply_bucket_notifications``.
    """
    resources = copy.deepcopy(stack.resources())
    for resource in resources.values():
        resource.get("Properties", {}).pop("NotificationConfiguration", None)
    # What aws_only_outputs() gives the CLI on AWS: the names of the functions it invokes.
    function_names = {
        stack.function_name_output(function): {"Value": function_arns[function].split(":")[-1]}
        for function in stack.INVOKED_BY_CLI
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": substitute_literal_subs(_with_function_arns(resources, function_arns)),
        "Outputs": stack.outputs() | function_names,
    }


def _with_function_arns(value: Any, function_arns: dict[str, str]) -> Any:
    if isinstance(value, dict):
        get_att = value.get("Fn::GetAtt")
        if get_att and get_att[0] in function_arns and get_att[1] == "Arn":
            return function_arns[get_att[0]]
        return {key: _with_function_arns(item, function_arns) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_function_arns(item, function_arns) for item in value]
    return value
