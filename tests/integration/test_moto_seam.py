"""Canaries for each moto workaround in psx/embedded/moto_seam.py.

If moto changes behaviour, one of these fails and names the workaround to revisit.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import botocore.context
import botocore.exceptions
import botocore.serialize
import botocore.session
import botocore.useragent
import pytest
from botocore.exceptions import ClientError
from docker.errors import DockerException
from moto import mock_aws
from moto.awslambda.responses import LambdaResponse
from moto.cloudformation import models as cloudformation_models
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT_ID
from moto.core import responses as core_responses
from moto.core.base_backend import BaseBackend
from moto.core.parse import BaseJSONParser, JSONParser, RequestParser
from moto.core.responses import ActionResult, BaseResponse
from moto.core.serialize import BaseJSONSerializer, XFormedAttributePicker, get_serializer_class
from moto.core.utils import get_service_model
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.parsing import validators as dynamodb_validators
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node
from moto.dynamodb.parsing.expressions import UpdateExpressionParser
from moto.dynamodb.parsing.tokens import ExpressionTokenizer
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.moto_api._internal.responses import MotoAPIResponse
from moto.moto_server.werkzeug_app import create_backend_app
from moto.s3 import notifications as s3_notifications
from moto.s3.models import s3_backends
from moto.s3.responses import S3Response
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.ses import models as ses_models
from moto.ses.models import ses_backends
from moto.sesv2.responses import SESV2Response
from moto.stepfunctions.models import stepfunctions_backends
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.responses import StepFunctionResponse
from moto.utilities.docker_utilities import DockerModel
from werkzeug.exceptions import NotFound

from infra import stack
from psx.embedded import moto_seam
from psx.embedded.moto_seam import (
    AnsweredInProcess,
    FunctionNames,
    FunctionRegistry,
    TablesByReference,
    attribute_values_by_their_keys,
    embedded_aws,
    publish_stack_state_machines,
    substitute_literal_subs,
    tree_copy,
)
from psx.polling import wait_until

ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})
EXECUTIONS = 6
ROOT = Path(__file__).resolve().parents[2]


class ListingNotFound(Exception):
    """A domain error whose class name must reach Step Functions as the error type."""


def _echo(event: dict[str, object], context: object) -> dict[str, object]:
    return {"echo": event}


def _fail(event: dict[str, object], context: object) -> dict[str, object]:
    raise ListingNotFound("no listing 42")


# moto's own, read before any world replaces them.
ORIGINAL_DOCKER_CLIENT = DockerModel.docker_client
ORIGINAL_ITEM_INIT = Item.__init__
ORIGINAL_JSON_PARSE_MAP = BaseJSONParser.__dict__.get("_parse_map")


@pytest.fixture
def world() -> Iterator[FunctionRegistry]:
    registry = FunctionRegistry()
    registry.register("echo", _echo)
    registry.register("fail", _fail)
    with embedded_aws(registry):
        yield registry


def _function(name: str) -> str:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName=f"role-{name}", AssumeRolePolicyDocument=ROLE_POLICY)
    return str(
        boto3.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler="x.y",
            Code={"ZipFile": b"x"},
        )["FunctionArn"]
    )


def _run(definition: dict[str, object], name: str) -> dict[str, object]:
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"machine-{name}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=name, input=json.dumps({"n": 1})
    )
    return _finished(sfn, execution["executionArn"])


def _finished(sfn: Any, execution_arn: str) -> dict[str, object]:
    def probe() -> dict[str, object] | None:
        described = sfn.describe_execution(executionArn=execution_arn)
        return dict(described) if described["status"] != "RUNNING" else None

    # Bounded like the lifecycle tests' waits: six executions, each retried after a
    # second, can outlast a ten-second budget on a loaded machine.
    return wait_until(probe, f"execution {execution_arn} to finish", 60)


def _task(function_arn: str, **extra: object) -> dict[str, object]:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
                **extra,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def test_lambda_invoke_tasks_reach_the_in_process_handler(world: FunctionRegistry) -> None:
    result = _run(_task(_function("echo")), "echo-run")

    assert result["status"] == "SUCCEEDED"
    assert json.loads(str(result["output"])) == {"echo": {"n": 1}}


def test_handler_exception_is_a_function_error_named_after_its_class(
    world: FunctionRegistry,
) -> None:
    catch = [{"ErrorEquals": ["ListingNotFound"], "ResultPath": "$.error", "Next": "Caught"}]
    definition = _task(_function("fail"), Catch=catch)
    definition["States"]["Call"].pop("End")  # type: ignore[index]
    definition["States"]["Call"]["Next"] = "Caught"  # type: ignore[index]

    result = _run(definition, "fail-run")

    assert result["status"] == "SUCCEEDED"
    assert json.loads(str(result["output"]))["error"]["Error"] == "ListingNotFound"


def test_cloudformation_state_machines_need_publishing_to_execute(
    world: FunctionRegistry,
) -> None:
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineName": "from-stack",
                    "RoleArn": "arn:aws:iam::123456789012:role/sfn",
                    "DefinitionString": json.dumps(
                        {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
                    ),
                },
            }
        }
    }
    boto3.client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(template))
    sfn = boto3.client("stepfunctions")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:from-stack"

    def executable() -> list[str]:
        return [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]]

    assert arn not in executable()  # the moto gap we work around

    assert arn in publish_stack_state_machines(sfn, "123456789012", "us-east-1")
    assert arn in executable()
    assert arn not in publish_stack_state_machines(sfn, "123456789012", "us-east-1")


def test_cloudformation_sub_collapses_double_dollars_so_we_substitute_literals(
    world: FunctionRegistry,
) -> None:
    text = '{"token.$": "$$.Task.Token", "fn": "${Fn}"}'
    template = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Sub": {"Value": {"Fn::Sub": [text, {"Fn": "arn:fn"}]}}},
    }
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack(StackName="subs", TemplateBody=json.dumps(template))
    (output,) = cloudformation.describe_stacks(StackName="subs")["Stacks"][0]["Outputs"]
    assert "$.Task.Token" in output["OutputValue"]
    assert "$$.Task.Token" not in output["OutputValue"]  # the moto gap we work around

    assert substitute_literal_subs(template["Outputs"]) == {
        "Sub": {"Value": '{"token.$": "$$.Task.Token", "fn": "arn:fn"}'}
    }


def test_s3_notifications_start_with_a_test_event_and_encode_keys(
    world: FunctionRegistry,
) -> None:
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    s3.create_bucket(Bucket="canary-bucket")
    queue_url = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="canary-bucket",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket="canary-bucket", Key="incoming/kftc/two words.csv", Body=b"x")

    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    ]

    assert bodies[0]["Event"] == "s3:TestEvent" and "Records" not in bodies[0]
    assert bodies[1]["Records"][0]["s3"]["object"]["key"] == "incoming%2Fkftc%2Ftwo+words.csv"


def test_s3_events_of_a_versioned_bucket_name_the_object_version(world: FunctionRegistry) -> None:
    s3 = boto3.client("s3")
    sqs = boto3.client("sqs")
    s3.create_bucket(Bucket="canary-versions")
    s3.put_bucket_versioning(
        Bucket="canary-versions", VersioningConfiguration={"Status": "Enabled"}
    )
    queue_url = sqs.create_queue(QueueName="versions")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket="canary-versions",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    key = "incoming/kftc/same.csv"
    puts = [s3.put_object(Bucket="canary-versions", Key=key, Body=body) for body in (b"1", b"2")]

    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    ]

    named = [b["Records"][0]["s3"]["object"]["versionId"] for b in bodies if "Records" in b]
    assert named == [put["VersionId"] for put in puts]
    # The moto gap we work around: its own event has no versionId.
    backend = s3_backends[ACCOUNT_ID]["aws"]
    moto_event = s3_notifications._get_s3_event.__wrapped__(  # type: ignore[attr-defined]
        "s3:ObjectCreated:Put",
        backend.get_bucket("canary-versions"),
        backend.get_object("canary-versions", key),
        "canary",
    )
    assert "versionId" not in moto_event["Records"][0]["s3"]["object"]


def _hash_key_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_embedded_world_runs_in_utc(world: FunctionRegistry) -> None:
    assert os.environ["TZ"] == "UTC"
    assert time.strftime("%Z") == "UTC"


def test_dynamodb_requests_from_many_threads_do_not_race(world: FunctionRegistry) -> None:
    # Without the seam, moto's Query deep-copies an item while another thread's update
    # grows it: "dictionary changed size during iteration" (seen as a 500 in psx demo).
    db = boto3.client("dynamodb")
    _hash_key_table(db, "race")
    db.put_item(TableName="race", Item={"PK": {"S": "item"}})

    def grow(worker: int) -> None:
        for n in range(60):
            db.update_item(
                TableName="race",
                Key={"PK": {"S": "item"}},
                UpdateExpression="SET #a = :v",
                ExpressionAttributeNames={"#a": f"a{worker}_{n}"},
                ExpressionAttributeValues={":v": {"S": "x" * 50}},
            )

    def read(_: int) -> None:
        for _ in range(60):
            db.query(
                TableName="race",
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": {"S": "item"}},
            )

    with ThreadPoolExecutor(max_workers=6) as pool:
        work = [pool.submit(grow, n) for n in range(3)] + [pool.submit(read, n) for n in range(3)]
        for done in work:
            done.result()  # re-raises what a thread hit

    item = db.get_item(TableName="race", Key={"PK": {"S": "item"}})["Item"]
    assert len(item) == 1 + 3 * 60


class FirstAttemptFails(Exception):
    """Raised by the flaky handler on each execution's first attempt."""


def test_executions_of_one_definition_share_one_parsed_program(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the seam moto parses the definition with ANTLR when the state machine is
    # created (to validate it) and again for every execution.
    attempts: dict[object, int] = {}
    attempts_lock = threading.Lock()

    def flaky(event: dict[str, object], context: object) -> dict[str, object]:
        with attempts_lock:
            attempts[event["n"]] = attempts.get(event["n"], 0) + 1
            first = attempts[event["n"]] == 1
        if first:
            raise FirstAttemptFails(str(event["n"]))
        return {"n": event["n"]}

    world.register("flaky", flaky)
    retry = [{"ErrorEquals": ["FirstAttemptFails"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    parses: list[str] = []
    original_parse = AmazonStateLanguageParser.parse

    def counted_parse(definition: str) -> Any:
        parses.append(definition)
        return original_parse(definition)

    monkeypatch.setattr(AmazonStateLanguageParser, "parse", staticmethod(counted_parse))
    sfn = boto3.client("stepfunctions")
    # A definition no other test (nor an earlier world of this process) has parsed.
    unique = {"Comment": f"shared {uuid.uuid4()}", **_task(_function("flaky"), Retry=retry)}
    machine = sfn.create_state_machine(
        name="machine-shared",
        definition=json.dumps(unique),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    assert len(parses) == 1  # moto validates a definition by parsing it when created

    executions = [
        sfn.start_execution(stateMachineArn=machine, name=f"run-{n}", input=json.dumps({"n": n}))
        for n in range(EXECUTIONS)
    ]
    outcomes = [_finished(sfn, e["executionArn"]) for e in executions]

    assert len(parses) == 1  # that parse serves every execution
    # Retry counts attempts under each component's heap key: shared, they still count
    # per execution (every first attempt failed, every retry succeeded).
    assert [o["status"] for o in outcomes] == ["SUCCEEDED"] * EXECUTIONS
    assert attempts == dict.fromkeys(range(EXECUTIONS), 2)


def test_a_definition_that_does_not_parse_is_refused_as_moto_refuses_it(
    world: FunctionRegistry,
) -> None:
    # The seam's validation parses through the shared programs; a definition that does
    # not parse still gets moto's own refusal (its InvalidDefinition, whose message
    # names the parser's complaint), and no state machine.
    sfn = boto3.client("stepfunctions")
    definition = json.dumps({"StartAt": "Nowhere", "States": {"Nowhere": {"Type": "Bogus"}}})
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(
            name="machine-bogus",
            definition=definition,
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )

    message = refused.value.response["Error"]["Message"]
    assert message.startswith("ASLParserException") and '"Bogus"' in message
    assert "machine-bogus" not in {m["name"] for m in sfn.list_state_machines()["stateMachines"]}


def test_lambda_tasks_share_one_lambda_client(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the seam moto builds a boto3 Lambda client for every lambda:invoke task.
    created = []
    original_client = boto3.client

    def counting_client(*args: Any, **kwargs: Any) -> Any:
        created.append(kwargs.get("service_name", args[0] if args else None))
        return original_client(*args, **kwargs)

    function_arn = _function("echo")
    monkeypatch.setattr(boto3, "client", counting_client)
    outcomes = [_run(_task(function_arn), f"echo-{n}") for n in range(3)]

    assert [o["status"] for o in outcomes] == ["SUCCEEDED"] * 3
    assert created.count("lambda") == 1


def _query_table(db: Any) -> None:
    db.create_table(
        TableName="partitions",
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("PK", "SK", "GSI1PK", "GSI1SK")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for partition in ("a", "b", "c"):
        for n in range(12):
            item = {
                "PK": {"S": partition},
                "SK": {"S": f"{'EVENT' if n % 2 else 'VERSION'}#{n:02d}"},
            }
            if n % 3:  # a third of the items are not in the index at all
                item |= {"GSI1PK": {"S": f"inbox-{n % 2}"}, "GSI1SK": {"S": f"{partition}{n:02d}"}}
            db.put_item(TableName="partitions", Item=item)


def _all_pages(db: Any, **query: Any) -> list[str]:
    keys = []
    for page in db.get_paginator("query").paginate(TableName="partitions", **query):
        keys += [f"{item['PK']['S']}/{item['SK']['S']}" for item in page["Items"]]
    return keys


def _table_reads_counted(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> list[str]:
    """The names of the tables ``owner.name`` (a function of a table) is called with."""
    reads: list[str] = []
    original = getattr(owner, name)

    def counted(table: Table) -> list[Any]:
        reads.append(table.name)
        return original(table)  # type: ignore[no-any-return]

    monkeypatch.setattr(owner, name, counted)
    return reads


@pytest.fixture
def whole_table_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Calls of moto's ``Table.all_items`` (installed before the world wraps it)."""
    return _table_reads_counted(monkeypatch, Table, "all_items")


def test_queries_read_only_the_items_they_can_match_and_answer_as_moto_does(
    whole_table_reads: list[str], world: FunctionRegistry
) -> None:
    # Without the seam moto sorts the whole table for every Query (O(table) each).
    db = boto3.client("dynamodb")
    _query_table(db)
    whole_table_reads.clear()
    events = [f"b/EVENT#{n:02d}" for n in range(1, 12, 2)]

    assert (
        _all_pages(
            db,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :event)",
            ExpressionAttributeValues={":pk": {"S": "b"}, ":event": {"S": "EVENT#"}},
            PaginationConfig={"PageSize": 4},
        )
        == events
    )
    assert _all_pages(
        db,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "b"}},
        ScanIndexForward=False,
    ) == sorted([*events, *(f"b/VERSION#{n:02d}" for n in range(0, 12, 2))], reverse=True)
    assert (
        _all_pages(
            db,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "nobody"}},
        )
        == []
    )
    assert _all_pages(
        db,
        IndexName="GSI1",
        KeyConditionExpression="GSI1PK = :inbox",
        ExpressionAttributeValues={":inbox": {"S": "inbox-1"}},
        ScanIndexForward=False,
        PaginationConfig={"PageSize": 5},
    ) == [f"{p}/EVENT#{n:02d}" for p in ("c", "b", "a") for n in (11, 7, 5, 1)]
    assert whole_table_reads == []
    db.scan(TableName="partitions")  # a Scan does read the whole table (the spy works)
    assert whole_table_reads == ["partitions"]


def _answered_by_moto_and_by_the_seam(
    conversation: Callable[[Any], list[object]],
) -> tuple[list[object], list[object]]:
    """A DynamoDB conversation's answers from plain moto, then from an embedded world."""
    with mock_aws():
        by_moto = conversation(boto3.client("dynamodb", region_name="us-east-1"))
    with embedded_aws(FunctionRegistry()):
        by_seam = conversation(boto3.client("dynamodb"))
    return by_moto, by_seam


def _index_conversation(db: Any) -> list[object]:
    """Index queries between writes of every kind that moves an item into, within or out
    of an index partition: puts, updates (in place, creating, refused), deletes, a
    cancelled and a committed transaction, a batch write and a PartiQL update."""
    _query_table(db)
    db.update_table(
        TableName="partitions",
        AttributeDefinitions=[{"AttributeName": "level", "AttributeType": "N"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "levels",
                    "KeySchema": [{"AttributeName": "level", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )

    def key(partition: str, n: int) -> dict[str, Any]:
        return {"PK": {"S": partition}, "SK": {"S": f"{'EVENT' if n % 2 else 'VERSION'}#{n:02d}"}}

    def inbox(name: str, sort: str) -> dict[str, Any]:
        return {":inbox": {"S": name}, ":sort": {"S": sort}}

    def queries() -> list[Callable[[], Any]]:
        return [
            *(
                lambda name=name, forward=forward: db.query(
                    TableName="partitions",
                    IndexName="GSI1",
                    KeyConditionExpression="GSI1PK = :inbox",
                    ExpressionAttributeValues={":inbox": {"S": name}},
                    ScanIndexForward=forward,
                )
                for name in ("inbox-0", "inbox-1", "inbox-9")
                for forward in (True, False)
            ),
            *(
                lambda level=level: db.query(
                    TableName="partitions",
                    IndexName="levels",
                    KeyConditionExpression="#level = :level",
                    ExpressionAttributeNames={"#level": "level"},
                    ExpressionAttributeValues={":level": {"N": level}},
                )
                for level in ("1", "2", "2.0")
            ),
        ]

    update = "SET GSI1PK = :inbox, GSI1SK = :sort"

    def filed(partition: str, n: int, sort: str) -> Callable[[], Any]:
        """An update filing the item at this key under inbox-0 (moving or creating it)."""
        return lambda: db.update_item(
            TableName="partitions",
            Key=key(partition, n),
            UpdateExpression=update,
            ExpressionAttributeValues=inbox("inbox-0", sort),
        )

    writes: list[Callable[[], Any]] = [
        filed("a", 1, "moved"),
        lambda: db.update_item(
            TableName="partitions", Key=key("a", 2), UpdateExpression="REMOVE GSI1PK"
        ),
        filed("d", 1, "created"),
        lambda: db.put_item(
            TableName="partitions",
            Item=key("a", 4) | {"GSI1PK": {"S": "inbox-1"}, "GSI1SK": {"S": "replaced"}},
        ),
        lambda: db.delete_item(TableName="partitions", Key=key("a", 5)),
        lambda: db.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": "partitions",
                        "Key": key("b", 1),
                        "UpdateExpression": update,
                        "ExpressionAttributeValues": inbox("inbox-9", "cancelled"),
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": "partitions",
                        "Key": key("b", 2),
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        ),
        lambda: db.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": "partitions",
                        "Item": key("e", 1) | {"GSI1PK": {"S": "inbox-9"}, "GSI1SK": {"S": "put"}},
                    }
                },
                {"Delete": {"TableName": "partitions", "Key": key("c", 1)}},
            ]
        ),
        lambda: db.batch_write_item(
            RequestItems={
                "partitions": [
                    {
                        "PutRequest": {
                            "Item": key("e", 2)
                            | {"GSI1PK": {"S": "inbox-1"}, "GSI1SK": {"S": "batch"}}
                        }
                    },
                    {"DeleteRequest": {"Key": key("c", 2)}},
                ]
            }
        ),
        lambda: db.execute_statement(
            Statement="UPDATE partitions SET GSI1PK='inbox-9' WHERE PK='c' AND SK='EVENT#05'"
        ),
        *(
            lambda n=n: db.update_item(
                TableName="partitions",
                Key=key("a", n),
                UpdateExpression="ADD #level :one",
                ExpressionAttributeNames={"#level": "level"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
            for n in (1, 2, 2, 3, 3)
        ),
        lambda: db.update_item(
            TableName="partitions",
            Key=key("a", 1),
            UpdateExpression=update,
            ExpressionAttributeValues=inbox("inbox-9", "refused"),
            ConditionExpression="attribute_not_exists(PK)",
        ),
    ]
    calls: list[Callable[[], Any]] = list(queries())
    for write in writes:
        calls += [write, *queries()]
    return _answers(calls)


def test_index_queries_answer_as_moto_answers_them_after_every_kind_of_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The seam files items by their index keys once and refiles what each write changes;
    # moto itself scans the table for every index query. The answers must be the same.
    scans = _table_reads_counted(monkeypatch, moto_seam, "_all_items")
    by_moto, by_seam = _answered_by_moto_and_by_the_seam(_index_conversation)
    assert by_seam == by_moto
    assert scans == ["partitions", "partitions"]  # once per index partitioned by


@pytest.fixture
def json_path_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Paths moto's JSONPath evaluation parses (counted before the world caches them)."""
    parsed: list[str] = []
    original = json_path.parse  # type: ignore[attr-defined]  # moto imports it from jsonpath-ng

    def counted(path: str) -> Any:
        parsed.append(path)
        return original(path)

    monkeypatch.setattr(json_path, "parse", counted)
    return parsed


def test_each_json_path_is_parsed_once_however_many_executions_use_it(
    json_path_parses: list[str], world: FunctionRegistry
) -> None:
    # Without the seam moto builds a jsonpath-ng parser for every path it evaluates.
    function_arn = _function("echo")
    outcomes = [_run(_task(function_arn), f"paths-{n}") for n in range(3)]

    assert [o["status"] for o in outcomes] == ["SUCCEEDED"] * 3
    assert json_path_parses.count("$.Payload") == 1


def _parked_executions(*flags: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.parked_executions", str(EXECUTIONS), *flags],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
    )
    return dict(json.loads(done.stdout))


def test_parked_callbacks_hold_os_threads_unless_threads_are_greenlets() -> None:
    # moto parks each .waitForTaskToken task on a threading.Event in a thread of its own
    # (cooperative.py); if the first assertion fails moto stopped doing so and `psx
    # serve` may not need gevent. With threading patched the waits are greenlets: the
    # process keeps its one OS thread, and every execution still finishes when answered.
    threads = _parked_executions()
    greenlets = _parked_executions("--cooperative")

    assert threads["callbacks_waiting"] == greenlets["callbacks_waiting"] == 3 * EXECUTIONS
    assert threads["os_threads_while_waiting"] > threads["callbacks_waiting"]
    assert greenlets["os_threads_while_waiting"] == 1
    assert threads["statuses"] == greenlets["statuses"] == ["SUCCEEDED"]
    assert (threads["threads_are_greenlets"], greenlets["threads_are_greenlets"]) == (False, True)


# -- Distributed Map (the compliance audit, workflows/compliance-audit.asl.json) ---------


def _distributed_map(function_arn: str, **extra: object) -> dict[str, object]:
    return {
        "StartAt": "Parts",
        "States": {
            "Parts": {
                "Type": "Map",
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "JSON"},
                    "Parameters": {"Bucket": "canary-parts", "Key": "items.json"},
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Match",
                    "States": {
                        "Match": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::lambda:invoke",
                            "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                            "OutputPath": "$.Payload",
                            "End": True,
                        }
                    },
                },
                "MaxConcurrency": 4,
                "End": True,
                **extra,
            }
        },
    }


def _parts_bucket() -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="canary-parts")
    items = [{"key": f"part-{n}.jsonl"} for n in range(3)]
    s3.put_object(Bucket="canary-parts", Key="items.json", Body=json.dumps(items).encode())


def test_distributed_map_reads_a_json_array_of_items_from_s3(world: FunctionRegistry) -> None:
    _parts_bucket()
    result = _run(_distributed_map(_function("echo")), "dmap-json")

    assert result["status"] == "SUCCEEDED"
    outputs = json.loads(str(result["output"]))
    assert sorted(o["echo"]["key"] for o in outputs) == [f"part-{n}.jsonl" for n in range(3)]


def test_distributed_map_rejects_item_batcher_so_the_audit_maps_one_part_per_item(
    world: FunctionRegistry,
) -> None:
    _parts_bucket()
    batcher = {"ItemBatcher": {"MaxItemsPerBatch": 2}}

    with pytest.raises(ClientError, match="ItemBatcher"):  # the moto gap: one part per item
        _run(_distributed_map(_function("echo"), **batcher), "dmap-batcher")


def test_distributed_map_rejects_express_children_so_the_audit_runs_standard_ones(
    world: FunctionRegistry,
) -> None:
    _parts_bucket()
    definition = _distributed_map(_function("echo"))
    processor = definition["States"]["Parts"]["ItemProcessor"]  # type: ignore[index]
    processor["ProcessorConfig"]["ExecutionType"] = "EXPRESS"

    with pytest.raises(ClientError, match="EXPRESS"):  # the moto gap (docs/deploy.md: cost)
        _run(definition, "dmap-express")


def test_distributed_map_result_writer_writes_only_its_manifest_so_parts_write_their_own(
    world: FunctionRegistry,
) -> None:
    _parts_bucket()
    writer = {
        "ResultWriter": {
            "Resource": "arn:aws:states:::s3:putObject",
            "Parameters": {"Bucket": "canary-parts", "Prefix": "results"},
        }
    }

    result = _run(_distributed_map(_function("echo"), **writer), "dmap-writer")

    assert result["status"] == "SUCCEEDED"
    listed = boto3.client("s3").list_objects_v2(Bucket="canary-parts", Prefix="results/")
    keys = [entry["Key"] for entry in listed.get("Contents", [])]
    # AWS also writes SUCCEEDED_0.json with the children's outputs; moto writes none.
    assert [key.rsplit("/", 1)[-1] for key in keys] == ["manifest.json"]


def test_model_data_answers_although_lambda_functions_would_reach_for_docker(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    _function("modelled")
    api = MotoAPIResponse()

    status, _, body = api.model_data(None, "", {})
    # Canary: moto still reads docker_client for data.json, and without Docker (as here)
    # that fails the whole answer; when it stops, `no_docker` can go.
    monkeypatch.setattr(DockerModel, "docker_client", ORIGINAL_DOCKER_CLIENT)
    with pytest.raises(DockerException):
        api.model_data(None, "", {})

    assert status == 200
    functions = json.loads(body)["awslambda"]["LambdaFunction"]
    assert [f["function_name"] for f in functions] == ["modelled"]


def _ledger() -> Any:
    dynamodb = boto3.client("dynamodb")
    _hash_key_table(dynamodb, "ledger")
    for name in ("kept", "counted"):
        dynamodb.put_item(TableName="ledger", Item={"PK": {"S": name}, "n": {"N": "1"}})
    return dynamodb


def test_a_cancelled_transaction_puts_back_only_what_it_touched(world: FunctionRegistry) -> None:
    dynamodb = _ledger()
    writes = [
        {"Put": {"TableName": "ledger", "Item": {"PK": {"S": "new"}}}},
        {
            "Update": {
                "TableName": "ledger",
                "Key": {"PK": {"S": "counted"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": "ledger",
                "Item": {"PK": {"S": "kept"}},
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        },
    ]

    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(TransactItems=writes)
    dynamodb.transact_write_items(TransactItems=writes[:2])  # the same, without the refusal

    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    items = {i["PK"]["S"]: i for i in dynamodb.scan(TableName="ledger")["Items"]}
    assert set(items) == {"new", "kept", "counted"}
    assert items["counted"]["n"] == {"N": "2"} and items["kept"]["n"] == {"N": "1"}


def test_a_cancelled_transaction_puts_back_what_it_overwrote_or_deleted(
    world: FunctionRegistry,
) -> None:
    dynamodb = _ledger()
    refused = {"ConditionExpression": "attribute_not_exists(PK)"}
    writes = [
        {"Put": {"TableName": "ledger", "Item": {"PK": {"S": "kept"}, "n": {"N": "9"}}}},
        {"Delete": {"TableName": "ledger", "Key": {"PK": {"S": "counted"}}}},
        {"Put": {"TableName": "ledger", "Item": {"PK": {"S": "kept-too"}}}},
    ]
    dynamodb.put_item(TableName="ledger", Item={"PK": {"S": "kept-too"}})

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[*writes[:2], {"Put": {**writes[2]["Put"], **refused}}]
        )

    items = {i["PK"]["S"]: i for i in dynamodb.scan(TableName="ledger")["Items"]}
    assert items["kept"]["n"] == {"N": "1"} and items["counted"]["n"] == {"N": "1"}


def test_moto_backs_up_whole_tables_for_every_transaction(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canary: moto's own TransactWriteItems deep-copies each table it names (O(table) per
    # transaction); when it stops, TablesByReference and TouchedItemBackups can go.
    dynamodb = _ledger()
    copied: list[type] = []

    class Spy:
        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            copied.append(type(value))
            return TablesByReference.deepcopy(value, memo)

    monkeypatch.setattr(dynamodb_models, "copy", Spy())
    dynamodb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "ledger", "Item": {"PK": {"S": "spy"}}}}]
    )

    assert Table in copied


def _sesv2() -> Any:
    boto3.client("ses").verify_email_identity(EmailAddress="from@psx.example")
    sesv2 = boto3.client("sesv2")
    content = {"Subject": "Recall {{n}}", "Text": "Text {{n}}", "Html": "<p>{{n}}</p>"}
    sesv2.create_email_template(TemplateName="recall", TemplateContent=content)
    return sesv2


def test_moto_has_no_ses_v2_templates_or_bulk_sending() -> None:
    # Canary: without the seam, moto answers none of SES v2's template and bulk calls;
    # when one passes, SES_V2_ACTIONS can lose it.
    template = {"TemplateName": "recall", "TemplateData": "{}"}
    calls: dict[str, Callable[[Any], Any]] = {
        "CreateEmailTemplate": lambda ses: ses.create_email_template(
            TemplateName="recall", TemplateContent={"Subject": "s"}
        ),
        "GetEmailTemplate": lambda ses: ses.get_email_template(TemplateName="recall"),
        "SendBulkEmail": lambda ses: ses.send_bulk_email(
            FromEmailAddress="from@psx.example",
            DefaultContent={"Template": template},
            BulkEmailEntries=[{"Destination": {"ToAddresses": ["kim@mail.example"]}}],
        ),
    }
    with mock_aws():
        sesv2 = boto3.client("sesv2", region_name="us-east-1")
        for name, call in calls.items():
            with pytest.raises(NotImplementedError):
                call(sesv2)
                pytest.fail(f"moto answers {name} now")
    # ... nor does its server route their paths; when it does, SES_V2_PATHS can go.
    assert _server_routes(SES_V2_REQUESTS) == [False, False, False]


# The SES v2 requests the seam adds, as moto's server would receive them.
SES_V2_REQUESTS = [
    ("POST", "/v2/email/templates"),
    ("GET", "/v2/email/templates/recall"),
    ("POST", "/v2/email/outbound-bulk-emails"),
]


def _server_routes(requests: list[tuple[str, str]]) -> list[bool]:
    """Which requests moto's server (a fresh SES v2 app of it) routes to SES v2."""
    routes = create_backend_app("sesv2").url_map.bind("localhost")
    routed = []
    for method, path in requests:
        try:
            routes.match(path, method=method)
        except NotFound:
            routed.append(False)
        else:
            routed.append(True)
    return routed


def test_moto_server_routes_the_ses_v2_paths_of_the_seam(world: FunctionRegistry) -> None:
    assert _server_routes(SES_V2_REQUESTS) == [True, True, True]


def test_ses_v2_bulk_sends_are_answered_and_recorded_as_moto_records_v1_ones(
    world: FunctionRegistry,
) -> None:
    sesv2 = _sesv2()
    entries = [
        {
            "Destination": {"ToAddresses": ["kim@mail.example"]},
            "ReplacementEmailContent": {
                "ReplacementTemplate": {"ReplacementTemplateData": '{"n": "K"}'}
            },
        },
        {"Destination": {"ToAddresses": ["anna@mail.example"]}},  # the default data
    ]

    sent = sesv2.send_bulk_email(
        FromEmailAddress="from@psx.example",
        DefaultContent={"Template": {"TemplateName": "recall", "TemplateData": '{"n": "D"}'}},
        BulkEmailEntries=entries,
    )
    stored = sesv2.get_email_template(TemplateName="recall")

    results = sent["BulkEmailEntryResults"]
    assert [r["Status"] for r in results] == ["SUCCESS", "SUCCESS"]
    assert all(r["MessageId"] for r in results)
    assert stored["TemplateName"] == "recall"
    assert stored["TemplateContent"]["Subject"] == "Recall {{n}}"
    (recorded,) = ses_backends[ACCOUNT_ID]["us-east-1"].sent_messages
    assert (recorded.source, recorded.template) == ("from@psx.example", "recall")
    assert [d["ReplacementTemplateData"] for d in recorded.destinations] == [
        '{"n": "K"}',
        '{"n": "D"}',
    ]


def _id_shape(message_id: str) -> list[int]:
    assert message_id.replace("-", "").isalpha() and message_id.islower()
    return [len(part) for part in message_id.split("-")]


def test_ses_message_ids_are_shaped_as_moto_shapes_them(world: FunctionRegistry) -> None:
    # Canary: moto draws its SES message ids letter by letter; the seam draws them at
    # once from the same generator, in the same shape (if moto changes it, this fails).
    sesv2 = _sesv2()
    entries = [{"Destination": {"ToAddresses": [f"b{n}@mail.example"]}} for n in range(20)]
    sent = sesv2.send_bulk_email(
        FromEmailAddress="from@psx.example",
        DefaultContent={"Template": {"TemplateName": "recall", "TemplateData": "{}"}},
        BulkEmailEntries=entries,
    )
    ids = [r["MessageId"] for r in sent["BulkEmailEntryResults"]]

    assert {tuple(_id_shape(i)) for i in ids} == {tuple(_id_shape(ORIGINAL_MESSAGE_ID()))}
    assert len(set(ids)) == len(ids)


# moto's own, read before any world replaces them.
ORIGINAL_REQUEST_ID = core_responses.gen_amzn_requestid_long  # type: ignore[attr-defined]
ORIGINAL_ENRICH = BaseResponse._enrich_response


def _enriched_shape(headers: dict[str, str], body: Any) -> tuple[object, ...]:
    """An enriched answer with its request id's letters and digits masked."""
    request_id = headers["x-amzn-requestid"]
    masked = re.sub("[A-Za-z0-9]", "x", request_id)
    shown = body.replace(request_id, masked) if isinstance(body, str) else body
    return sorted(headers.items() - {("x-amzn-requestid", request_id)}), masked, shown


def test_request_ids_are_drawn_and_written_as_moto_draws_and_writes_them(
    world: FunctionRegistry,
) -> None:
    # Canary: moto draws each answer's request id letter by letter and searches every
    # body for an XML RequestId; the seam draws it at once from the same generator and
    # searches only bodies that hold one. The answers must look the same.
    bodies = ['{"Item": {"PK": {"S": "<Request>"}}}', "<R><RequestId>x</RequestId></R>", b"<b/>"]
    for body in bodies:
        by_moto = ORIGINAL_ENRICH({"status": 201}, body)  # type: ignore[arg-type]
        by_seam = BaseResponse._enrich_response({"status": 201}, body)  # type: ignore[arg-type]
        assert _enriched_shape(*by_seam) == _enriched_shape(*by_moto)
    assert re.fullmatch("[A-Za-z0-9]{52}", ORIGINAL_REQUEST_ID())  # as the seam's below

    dynamodb = boto3.client("dynamodb")
    ids = [dynamodb.list_tables()["ResponseMetadata"]["RequestId"] for _ in range(20)]
    assert all(re.fullmatch("[A-Za-z0-9]{52}", request_id) for request_id in ids)
    assert len(set(ids)) == len(ids)


# moto's own, read before any world replaces it.
ORIGINAL_MESSAGE_ID = ses_models.get_random_message_id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("call", "code", "status"),
    [
        ("duplicate", "AlreadyExistsException", 400),
        ("unknown template", "NotFoundException", 404),
        ("unverified sender", "MessageRejected", 400),
    ],
)
def test_ses_v2_refusals_carry_the_names_ses_v2_gives_them(
    world: FunctionRegistry, call: str, code: str, status: int
) -> None:
    sesv2 = _sesv2()
    entries = [{"Destination": {"ToAddresses": ["kim@mail.example"]}}]

    def bulk(sender: str, template: str) -> Any:
        content = {"Template": {"TemplateName": template, "TemplateData": "{}"}}
        return sesv2.send_bulk_email(
            FromEmailAddress=sender, DefaultContent=content, BulkEmailEntries=entries
        )

    with pytest.raises(ClientError) as refused:
        if call == "duplicate":
            sesv2.create_email_template(TemplateName="recall", TemplateContent={"Subject": "s"})
        elif call == "unknown template":
            bulk("from@psx.example", "nowhere")
        else:
            bulk("stranger@psx.example", "recall")

    assert refused.value.response["Error"]["Code"] == code
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == status


@pytest.fixture
def update_expression_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Update expressions moto tokenises (every parse starts there)."""
    tokenised: list[str] = []
    original = ExpressionTokenizer.make_list

    def counted(expression: str) -> Any:
        tokenised.append(expression)
        return original(expression)

    monkeypatch.setattr(ExpressionTokenizer, "make_list", staticmethod(counted))
    return tokenised


def test_each_update_expression_is_parsed_once_and_each_update_gets_its_own_values(
    update_expression_parses: list[str], world: FunctionRegistry
) -> None:
    # Canary: the parsed expression is shared only because moto's validator resolves
    # names and values into its own deep copy; if it stops copying, the second update
    # writes the first one's values.
    dynamodb = _ledger()
    expression = "SET #n = :n, note = :note"
    for name, n in (("kept", "5"), ("counted", "7")):
        dynamodb.update_item(
            TableName="ledger",
            Key={"PK": {"S": name}},
            UpdateExpression=expression,
            ExpressionAttributeNames={"#n": "n"},
            ExpressionAttributeValues={":n": {"N": n}, ":note": {"S": name}},
        )

    items = {i["PK"]["S"]: i for i in dynamodb.scan(TableName="ledger")["Items"]}
    assert items["kept"]["n"] == {"N": "5"} and items["counted"]["n"] == {"N": "7"}
    assert items["counted"]["note"] == {"S": "counted"}
    assert update_expression_parses.count(expression) == 1


@pytest.fixture
def condition_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Condition expressions moto's own parser parses."""
    parsed: list[str] = []
    original = ConditionExpressionParser.parse

    def counted(parser: ConditionExpressionParser) -> Any:
        parsed.append(parser.condition_expression)
        return original(parser)

    monkeypatch.setattr(ConditionExpressionParser, "parse", counted)
    return parsed


def test_each_condition_is_parsed_once_and_evaluated_against_each_item(
    condition_parses: list[str], world: FunctionRegistry
) -> None:
    # Canary: one parsed condition serves every write naming the same expression, names
    # and values, because evaluating it reads the item and changes nothing of it.
    dynamodb = _ledger()
    condition = {
        "ConditionExpression": "#n = :one",
        "ExpressionAttributeNames": {"#n": "n"},
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
    dynamodb.update_item(
        TableName="ledger",
        Key={"PK": {"S": "counted"}},
        UpdateExpression="SET n = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    writes = [
        {"Put": {"TableName": "ledger", "Item": {"PK": {"S": name}, "n": {"N": "3"}}, **condition}}
        for name in ("kept", "counted")
    ]

    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=writes)
    dynamodb.transact_write_items(TransactItems=writes[:1])
    with pytest.raises(ClientError):
        dynamodb.put_item(**writes[0]["Put"])  # n is 3 now: the same condition fails

    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "ConditionalCheckFailed"]
    assert condition_parses.count("#n = :one") == 1


def _updates_beside_one_condition(db: Any) -> list[object]:
    """Conditional updates whose condition is the same and whose update values are not
    (a task token each), then refusals: a value used nowhere, a condition's value or
    name missing, a condition value that differs."""
    _hash_key_table(db, "waits")
    db.put_item(TableName="waits", Item={"PK": {"S": "wait"}, "state": {"S": "open"}})
    condition = "attribute_exists(PK) AND #state <> :closed"
    answers: list[object] = []
    for token, closed in (("t1", "closed"), ("t2", "closed"), ("t3", "closed"), ("t4", "open")):
        update = {
            "TableName": "waits",
            "Key": {"PK": {"S": "wait"}},
            "UpdateExpression": "SET task_token = :token, #state = :open",
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#state": "state"},
            "ExpressionAttributeValues": {
                ":token": {"S": token},
                ":open": {"S": "open"},
                ":closed": {"S": closed},
            },
            "ReturnValues": "ALL_NEW",
        }
        answers.append(_answer_or_refusal(lambda update=update: db.update_item(**update)))
    base = {"TableName": "waits", "Key": {"PK": {"S": "wait"}}, "UpdateExpression": "SET x = :x"}
    for refused in (
        {
            "ConditionExpression": "x <> :x",
            "ExpressionAttributeValues": {":x": {"S": "1"}, ":spare": {"S": "2"}},
        },
        {"ConditionExpression": "x <> :gone", "ExpressionAttributeValues": {":x": {"S": "1"}}},
        {"ConditionExpression": "#gone <> :x", "ExpressionAttributeValues": {":x": {"S": "1"}}},
    ):
        answers.append(
            _answer_or_refusal(lambda refused=refused: db.update_item(**base, **refused))
        )
    return answers


def _answer_or_refusal(call: Callable[[], dict[str, Any]]) -> object:
    try:
        answer = call()
    except ClientError as exc:
        return exc.response["Error"]
    except KeyError as exc:  # moto's parser looks a placeholder up without asking first
        return f"KeyError {exc}"
    answer.pop("ResponseMetadata")
    return answer


def test_a_condition_is_parsed_once_whatever_else_its_request_names(
    condition_parses: list[str],
) -> None:
    # Canary: a condition's parse is kept by the names and values it mentions only, so
    # the writes that differ in their update's values (every open wait's task token)
    # parse it once; the answers and refusals are moto's.
    by_moto, by_seam = _answered_by_moto_and_by_the_seam(_updates_beside_one_condition)

    assert by_seam == by_moto
    assert [answer["Attributes"]["task_token"] for answer in by_moto[:3]] == [  # type: ignore[index]
        {"S": "t1"},
        {"S": "t2"},
        {"S": "t3"},
    ]
    assert by_moto[3]["Code"] == "ConditionalCheckFailedException"  # type: ignore[index]
    # Plain moto parses it twice for each of the four updates (its request handler to
    # check it, then its backend); the seam once for each value of :closed.
    assert condition_parses.count("attribute_exists(PK) AND #state <> :closed") == 2 * 4 + 2


def _item_answers(dynamodb: Any) -> list[dict[str, Any]]:
    """What GetItem, BatchGetItem and Query answer, and one refusal, as boto3 reads them."""
    every_type = {
        "PK": {"S": "every-type"},
        "n": {"N": "1.5"},
        "b": {"B": b"\x00\xffbytes"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"one", b"two"]},
        "m": {"M": {"nested": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
        "s": {"S": "unicode: 제품 안전"},
    }
    dynamodb.put_item(TableName="ledger", Item=every_type)
    key = {"PK": {"S": "every-type"}}
    answers = [
        dynamodb.get_item(TableName="ledger", Key=key, ConsistentRead=True),
        dynamodb.get_item(TableName="ledger", Key={"PK": {"S": "absent"}}),
        dynamodb.batch_get_item(
            RequestItems={"ledger": {"Keys": [key, {"PK": {"S": "kept"}}], "ConsistentRead": True}},
            ReturnConsumedCapacity="TOTAL",
        ),
        dynamodb.batch_get_item(
            RequestItems={"ledger": {"Keys": [key], "ProjectionExpression": "b, m.nested"}}
        ),
        dynamodb.query(
            TableName="ledger",
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "every-type"}},
            Limit=1,
        ),
        dynamodb.query(
            TableName="ledger",
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "kept"}},
            Select="COUNT",
            ReturnConsumedCapacity="TOTAL",
        ),
    ]
    with pytest.raises(ClientError) as refused:
        dynamodb.batch_get_item(RequestItems={"ledger": {"Keys": [key, key]}})
    answers.append(refused.value.response)
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def _write_answers(dynamodb: Any) -> list[dict[str, Any]]:
    """What PutItem, UpdateItem and DeleteItem answer with each ``ReturnValues``, and
    one refusal, as boto3 reads them (from the same items every time)."""
    key = {"PK": {"S": "written"}}
    dynamodb.delete_item(TableName="ledger", Key=key)
    item = {**key, "b": {"B": b"\x00\xff"}, "ss": {"SS": ["x"]}, "m": {"M": {"n": {"N": "2"}}}}
    update = {
        "TableName": "ledger",
        "Key": key,
        "UpdateExpression": "SET m.n = :n ADD ss :s REMOVE b",
        "ExpressionAttributeValues": {":n": {"N": "3"}, ":s": {"SS": ["y"]}},
    }
    answers = [
        dynamodb.put_item(TableName="ledger", Item=item),
        dynamodb.put_item(TableName="ledger", Item=item, ReturnValues="ALL_OLD"),
        dynamodb.put_item(TableName="ledger", Item=item, ReturnConsumedCapacity="TOTAL"),
    ]
    for returned in ("ALL_NEW", "UPDATED_NEW", "UPDATED_OLD", "ALL_OLD", "NONE"):
        dynamodb.put_item(TableName="ledger", Item=item)
        answers.append(dynamodb.update_item(**update, ReturnValues=returned))
    answers += [
        dynamodb.update_item(**update, ReturnValues="ALL_NEW", ReturnConsumedCapacity="TOTAL"),
        dynamodb.delete_item(TableName="ledger", Key=key, ReturnValues="ALL_OLD"),
        dynamodb.delete_item(TableName="ledger", Key=key, ReturnValues="ALL_OLD"),
    ]
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(
            TableName="ledger",
            Item={"PK": {"S": "kept"}},
            ConditionExpression="attribute_not_exists(PK)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    answers.append(refused.value.response)
    for answer in answers:
        answer.pop("ResponseMetadata")
    return answers


def test_item_answers_written_as_json_read_as_moto_writes_them(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canary: the seam writes the answers of GetItem, BatchGetItem, Query, PutItem,
    # UpdateItem and DeleteItem itself; boto3 must read exactly what it reads from
    # moto's own serializer.
    dynamodb = _ledger()
    written_directly = _item_answers(dynamodb), _write_answers(dynamodb)
    monkeypatch.setattr(DynamoResult, "execute_result", ActionResult.execute_result)
    serialized_by_moto = _item_answers(dynamodb), _write_answers(dynamodb)

    assert written_directly == serialized_by_moto
    reads, writes = written_directly
    assert reads[0]["Item"]["b"] == {"B": b"\x00\xffbytes"}
    assert writes[3]["Attributes"]["m"] == {"M": {"n": {"N": "3"}}}
    assert writes[-1]["Item"] == {"PK": {"S": "kept"}, "n": {"N": "1"}}


def _size_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The attributes moto's size check (``LimitedSizeDict.__setitem__``) is run for."""
    checked: list[str] = []
    original = LimitedSizeDict.__setitem__

    def counted(attrs: LimitedSizeDict, key: str, value: Any) -> None:
        checked.append(key)
        original(attrs, key, value)

    monkeypatch.setattr(LimitedSizeDict, "__setitem__", counted)
    return checked


def _oversized_refused(dynamodb: Any) -> bool:
    half = "x" * 210_000  # two of them: over DynamoDB's 400 KB, one alone is not
    dynamodb.put_item(TableName="ledger", Item={"PK": {"S": "big"}, "a": {"S": half}})
    try:
        dynamodb.put_item(
            TableName="ledger", Item={"PK": {"S": "big"}, "a": {"S": half}, "b": {"S": half}}
        )
    except ClientError as exc:
        return "Item size has exceeded" in exc.response["Error"]["Message"]
    return False


def _overwrite_three_times(dynamodb: Any) -> list[int]:
    """How many items moto keeps for its dashboard after each of three puts of "kept"."""
    kept = []
    for n in range(3):
        dynamodb.put_item(TableName="ledger", Item={"PK": {"S": "kept"}, "n": {"N": str(n)}})
        kept.append(len(Item.instances_tracked))  # type: ignore[attr-defined]
    return kept


def test_items_are_not_kept_for_moto_s_dashboard_only_by_their_table(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canary: moto keeps every item it builds (each version of an overwritten one) in
    # Item.instances_tracked until the world is reset; the seam builds them untracked.
    dynamodb = _ledger()
    seam_kept = _overwrite_three_times(dynamodb)
    monkeypatch.delattr(Item, "__new__")  # moto's own, inherited from BaseModel
    moto_kept = _overwrite_three_times(dynamodb)

    assert len(set(seam_kept)) == 1
    assert moto_kept[2] - moto_kept[0] >= 2
    stored = dynamodb.get_item(TableName="ledger", Key={"PK": {"S": "kept"}})["Item"]
    assert stored == {"PK": {"S": "kept"}, "n": {"N": "2"}}


def test_an_item_is_sized_once_and_refused_over_the_limit_as_moto_refuses_it(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canary: moto checks an item's size once per attribute it adds (each check sums
    # all before it); the seam checks once, for the last, and refuses the same items.
    dynamodb = _ledger()
    checked = _size_checks(monkeypatch)
    seam_refuses = _oversized_refused(dynamodb)
    seam_checks = list(checked)
    monkeypatch.setattr(Item, "__init__", ORIGINAL_ITEM_INIT)
    checked.clear()
    moto_refuses = _oversized_refused(dynamodb)

    assert seam_refuses and moto_refuses
    assert seam_checks == ["a", "b"]  # one check per item: its last attribute
    assert checked == ["PK", "a", "PK", "a", "b"]


def _traverser_classes(cls: type) -> list[type]:
    found = []
    for subclass in cls.__subclasses__():
        found += [subclass, *_traverser_classes(subclass)]
    return found


def test_each_update_expression_traverser_s_processing_map_is_read_once_as_its_class_makes_it() -> (
    None
):
    # moto asks a traverser for a new dict of its processing functions twice per node;
    # the seam reads each class's pairs once. They must be the pairs moto's map holds.
    classes = _traverser_classes(DepthFirstTraverser)
    assert len(classes) >= 8  # the validators of an update expression
    for cls in classes:
        traverser = object.__new__(cls)  # a map names methods only: no state needed
        made = traverser._processing_map()
        assert moto_seam._processing_map_of(traverser) == tuple(
            (node_class, method.__func__) for node_class, method in made.items()
        ), cls


def test_an_update_s_traversals_ask_no_traverser_node_by_node_what_it_processes(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canary: moto's traversal asks its traverser which node classes it processes at
    # every node it visits; the seam's asks each node class once, and a traverser that
    # overrides a step of the traversal is traversed moto's way.
    asked: list[type] = []
    moto_s = DepthFirstTraverser.nodes_to_be_processed

    def counted(traverser: DepthFirstTraverser) -> tuple[type, ...]:
        asked.append(type(traverser))
        return moto_s(traverser)  # type: ignore[no-any-return]

    monkeypatch.setattr(DepthFirstTraverser, "nodes_to_be_processed", counted)
    dynamodb = _ledger()
    dynamodb.update_item(
        TableName="ledger",
        Key={"PK": {"S": "counted"}},
        UpdateExpression="SET n = n + :one, tags = list_append(if_not_exists(tags, :none), :t)",
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":none": {"L": []},
            ":t": {"L": [{"S": "a"}]},
        },
    )
    assert asked == []

    class OwnWay(dynamodb_validators.ActionCountValidator):  # type: ignore[misc]
        def nodes_to_be_processed(self) -> tuple[type, ...]:
            return counted(self)

    OwnWay().traverse(UpdateExpressionParser.make("SET a = :b"))
    assert OwnWay in asked
    item = dynamodb.get_item(TableName="ledger", Key={"PK": {"S": "counted"}})["Item"]
    assert item["n"] == {"N": "2"} and item["tags"] == {"L": [{"S": "a"}]}


def test_update_expressions_validate_and_refuse_as_moto_does() -> None:
    # Every traverser at work: names and values resolved, functions evaluated, sums,
    # paths that do not exist, a key attribute updated, an empty key value.
    def conversation(db: Any) -> list[object]:
        _hash_key_table(db, "updates")
        key = {"PK": {"S": "u"}}
        db.put_item(TableName="updates", Item={**key, "n": {"N": "1"}, "l": {"L": []}})
        expressions = [
            ("SET #n = #n + :one, l = list_append(l, :l), m = if_not_exists(m, :m)", {}),
            ("SET missing.deep = :one", {}),
            ("SET PK = :s", {}),
            ("REMOVE l[0] ADD n :one", {}),
            ("SET #n = :one, #n = :one", {}),
            ("SET s = :s DELETE nothing :set", {":set": {"SS": ["a"]}}),
        ]
        calls: list[Callable[[], Any]] = [
            lambda expression=expression, extra=extra: db.update_item(
                TableName="updates",
                Key=key,
                UpdateExpression=expression,
                ExpressionAttributeNames={"#n": "n"} if "#n" in expression else {},
                ExpressionAttributeValues={
                    name: value
                    for name, value in {
                        ":one": {"N": "1"},
                        ":l": {"L": [{"S": "x"}]},
                        ":m": {"M": {}},
                        ":s": {"S": "v"},
                        **extra,
                    }.items()
                    if name in expression
                },
                ReturnValues="ALL_NEW",
            )
            for expression, extra in expressions
        ]
        return _answers(calls)

    by_moto, by_seam = _answered_by_moto_and_by_the_seam(conversation)
    assert by_seam == by_moto


# moto's own, read before any world replaces it.
ORIGINAL_URLS = BaseBackend.urls


def _url_map(urls: dict[str, Any]) -> dict[str, str]:
    return {url: handler.__qualname__ for url, handler in urls.items()}


def test_a_backend_s_url_map_is_made_once_per_settings_as_moto_makes_it(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto builds the map for every request it routes (S3 reloads its urls module for
    # it); the seam makes it once per backend class and the settings it depends on.
    for backend in (
        s3_backends[ACCOUNT_ID]["aws"],
        stepfunctions_backends[ACCOUNT_ID]["us-east-1"],
    ):
        assert backend.urls is backend.urls
        assert _url_map(backend.urls) == _url_map(ORIGINAL_URLS.fget(backend))  # type: ignore[attr-defined]
    s3 = s3_backends[ACCOUNT_ID]["aws"]
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "https://files.example")
    custom = s3.urls
    assert any(url.startswith("https://files") for url in custom)
    assert _url_map(custom) == _url_map(ORIGINAL_URLS.fget(s3))  # type: ignore[attr-defined]
    monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS")
    assert not any(url.startswith("https://files") for url in s3.urls)


ORIGINAL_SIZE, ORIGINAL_CAST_VALUE = DynamoType.size, DynamoType.cast_value


@pytest.mark.parametrize(
    "value",
    [
        {"SS": ["a", "é", "한글", "", "x" * 300]},
        {"BS": [b"\x00\xff", b"", "dGV4dA=="]},
        {"NS": ["1", "1.0", "-0", "12.50", "1E+3", "99999999999999999999"]},
        {"S": "not a set"},
        {"S": "é한"},
        {"B": b"\x00\xff"},
        {"N": "12.50"},
        {"N": "-1E+2"},
        {"BOOL": True},
        {"NULL": True},
        {"L": [{"S": "a"}, {"N": "2"}]},
        {"M": {"k": {"SS": ["a", "b"]}}},
    ],
)
def test_a_value_is_measured_and_read_as_moto_measures_and_reads_it(
    world: FunctionRegistry, value: dict[str, Any]
) -> None:
    # The seam measures a set and reads its values from its elements at once (moto
    # builds a DynamoType per element for each), and answers a string, binary or
    # boolean first. Sizes and values must be the same.
    seam, moto = DynamoType(value), DynamoType(value)
    assert seam.size() == ORIGINAL_SIZE(moto)
    assert seam.cast_value == ORIGINAL_CAST_VALUE.fget(moto)  # type: ignore[attr-defined]


def test_contains_and_add_on_a_large_set_answer_as_moto_answers_them() -> None:
    # The report log's pattern: ADD an entry to a month's string set unless it holds it.
    def conversation(db: Any) -> list[object]:
        _hash_key_table(db, "shards")
        key = {"PK": {"S": "shard"}}
        db.put_item(
            TableName="shards", Item={**key, "entries": {"SS": [f"e{n}" for n in range(500)]}}
        )
        calls: list[Callable[[], Any]] = [
            lambda entry=entry: db.update_item(
                TableName="shards",
                Key=key,
                UpdateExpression="ADD entries :entries, n :one",
                ConditionExpression="NOT contains(entries, :entry)",
                ExpressionAttributeValues={
                    ":entries": {"SS": [entry]},
                    ":entry": {"S": entry},
                    ":one": {"N": "1"},
                },
                ReturnValues="UPDATED_NEW",
            )
            for entry in ("e7", "new", "new", "e499", "é")
        ]
        calls.append(lambda: db.get_item(TableName="shards", Key=key))
        return _answers(calls)

    by_moto, by_seam = _answered_by_moto_and_by_the_seam(conversation)
    assert by_seam == by_moto


# moto's own, read before any world replaces it.
ORIGINAL_METHOD_NAMES = core_responses.method_names_from_class


def test_moto_lists_a_response_class_s_functions_for_every_request(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Canary: moto's call_action asks method_names_from_class for every request; when it
    # stops, FunctionNames can go.
    asked: list[type] = []

    def spy(cls: type) -> Any:
        asked.append(cls)
        return FunctionNames(cls)

    monkeypatch.setattr(core_responses, "method_names_from_class", spy)
    _ledger().get_item(TableName="ledger", Key={"PK": {"S": "absent"}})

    assert DynamoHandler in asked


@pytest.mark.parametrize(
    "response_class",
    [DynamoHandler, S3Response, StepFunctionResponse, LambdaResponse, SESV2Response],
)
def test_function_names_answer_as_moto_s_list_of_them(
    world: FunctionRegistry, response_class: type
) -> None:
    listed = ORIGINAL_METHOD_NAMES(response_class)
    asked = [*dir(response_class), "send_bulk_email", "no_such_action", "__class__", "mro"]

    assert listed  # the class has functions to find (the seam's SES v2 ones among them)
    assert [name in FunctionNames(response_class) for name in asked] == [
        name in listed for name in asked
    ]


# Every kind of AttributeValue, nested, as moto's DynamoDB hands its answers over.
EVERY_KIND_OF_ITEM = {
    "PK": {"S": "item"},
    "n": {"N": "12.5"},
    "blob": {"B": b"\x00\xffbytes"},
    "strings": {"SS": ["a", "b"]},
    "numbers": {"NS": ["1", "2"]},
    "blobs": {"BS": [b"x", b"y"]},
    "nothing": {"NULL": True},
    "flag": {"BOOL": False},
    "nested": {"M": {"list": {"L": [{"S": "deep"}, {"M": {"n": {"N": "3"}}}, {"NULL": True}]}}},
    "empty": {"M": {}},
}


def _dynamodb_body(operation: str, result: dict[str, Any]) -> Any:
    service = get_service_model("dynamodb")
    serializer = get_serializer_class("dynamodb", "json")(
        operation_model=service.operation_model(operation),
        pretty_print=False,
        value_picker=XFormedAttributePicker(),
    )
    return json.loads(serializer.serialize(result)["body"])


@pytest.mark.parametrize(
    ("operation", "result"),
    [
        ("GetItem", {"Item": EVERY_KIND_OF_ITEM}),
        ("Query", {"Items": [EVERY_KIND_OF_ITEM, {"PK": {"S": "b"}}], "Count": 2}),
        ("UpdateItem", {"Attributes": EVERY_KIND_OF_ITEM}),
        ("GetItem", {"Item": {"PK": {"S": "x"}, "odd": {"S": "y", "unknown": "z"}}}),
        ("GetItem", {"Item": {"PK": {"S": "x"}, "none": {"S": None, "N": "1"}}}),
    ],
)
def test_attribute_values_serialize_as_moto_serializes_them(
    monkeypatch: pytest.MonkeyPatch, operation: str, result: dict[str, Any]
) -> None:
    # What the seam changes is only how the members are found: the answer is the same
    # (binary base64-encoded, None left out, a key that is no member falling back).
    original = BaseJSONSerializer._serialize_type_structure
    by_moto = _dynamodb_body(operation, result)
    monkeypatch.setattr(
        BaseJSONSerializer, "_serialize_type_structure", attribute_values_by_their_keys(original)
    )

    assert _dynamodb_body(operation, result) == by_moto


def test_moto_asks_for_every_member_of_an_attribute_value(monkeypatch: pytest.MonkeyPatch) -> None:
    # Canary: moto's serializer looks each of an AttributeValue's ten members up, however
    # few it holds; when it stops, attribute_values_by_their_keys can go.
    asked: list[str] = []
    pick = XFormedAttributePicker.__call__

    def spy(picker: XFormedAttributePicker, context: Any) -> Any:
        asked.append(context.key)
        return pick(picker, context)

    monkeypatch.setattr(XFormedAttributePicker, "__call__", spy)
    _dynamodb_body("GetItem", {"Item": {"PK": {"S": "x"}}})

    assert {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"} <= set(asked)


def _parse_put_item(body: dict[str, Any]) -> dict[str, Any]:
    """A PutItem request as moto's DynamoDB handler parses it."""
    model = botocore.session.get_session().get_service_model("dynamodb").operation_model("PutItem")
    request = {"body": json.dumps(body).encode(), "headers": {}, "method": "POST"}
    return dict(JSONParser(model).parse(request))  # type: ignore[arg-type]


def test_moto_parses_each_attribute_value_through_its_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Canary: moto's JSON parser parses a map of attribute values by the generic walk,
    # one structure parse per value (what the seam replaces for DynamoDB).
    assert ORIGINAL_JSON_PARSE_MAP is None
    structures: list[str] = []
    original = BaseJSONParser._parse_structure

    def counted(parser: BaseJSONParser, shape: Any, value: Any) -> Any:
        structures.append(shape.name)
        return original(parser, shape, value)

    monkeypatch.setattr(BaseJSONParser, "_parse_structure", counted)
    item = {"PK": {"S": "a"}, "n": {"N": "1"}, "m": {"M": {"x": {"BOOL": True}}}}
    _parse_put_item({"TableName": "ledger", "Item": item})

    assert structures.count("AttributeValue") == 4


def test_attribute_values_are_parsed_as_moto_parses_them(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The seam's parse of items, keys and expression values equals moto's, absent
    # values and members the model lacks dropped, binary values decoded.
    b64 = base64.b64encode
    item = {
        "PK": {"S": "every-type"},
        "b": {"B": b64(b"\x00\xff").decode()},
        "bs": {"BS": [b64(b"one").decode()]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1"]},
        "m": {"M": {"l": {"L": [{"N": "2"}, {"NULL": True}, {"B": b64(b"x").decode()}]}}},
        "odd": {"S": "kept", "BOOL": None, "X": "dropped"},
        "gone": None,
    }
    body = {
        "TableName": "ledger",
        "Item": item,
        "ConditionExpression": "PK <> :v",
        "ExpressionAttributeValues": {":v": {"BOOL": False}},
    }
    by_seam = _parse_put_item(body)
    dynamodb = _ledger()
    seam_answers = _item_answers(dynamodb)
    monkeypatch.setattr(BaseJSONParser, "_parse_map", RequestParser._parse_map)

    assert by_seam == _parse_put_item(body)
    assert by_seam["Item"]["m"]["M"]["l"]["L"][2] == {"B": b"x"}
    assert by_seam["Item"]["odd"] == {"S": "kept"}
    assert seam_answers == _item_answers(dynamodb)


def test_a_json_template_is_read_as_json_into_what_moto_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # moto reads every template, JSON too, with PyYAML's pure-Python loader (a third of
    # a second for the exchange's); in the embedded world a JSON template skips it.
    template = json.dumps({"Resources": stack.resources(), "Outputs": {"N": {"Value": 1.5}}})
    loads: list[object] = []
    original_load = cloudformation_models.yaml.load

    def counted_load(*args: Any, **kwargs: Any) -> Any:
        loads.append(args)
        return original_load(*args, **kwargs)

    monkeypatch.setattr(cloudformation_models.yaml, "load", counted_load)
    as_moto_reads = cloudformation_models.Stack.parse_template(template)
    assert len(loads) == 1

    with embedded_aws(FunctionRegistry()):
        as_json = cloudformation_models.Stack.parse_template(template)
        loads_for_json = len(loads)
        as_yaml = cloudformation_models.Stack.parse_template("Resources: {}\n")

    assert as_json == as_moto_reads and loads_for_json == 1
    assert as_yaml == {"Resources": {}} and len(loads) == 2  # not JSON: moto's reader


def _dynamodb_conversation(dynamodb: Any, table: str) -> list[object]:
    """The same requests, answers and refusals through either path: items with every
    kind of value (binary ones too), a conditional put refused, a transaction cancelled
    with its reasons, an update returning the item, a paged query, a batch read, and a
    request DynamoDB itself refuses."""
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "SK", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    item = {
        "S": {"S": "text é 한"},
        "N": {"N": "12.5"},
        "B": {"B": b"\x00\xff"},
        "SS": {"SS": ["a", "b"]},
        "BS": {"BS": [b"\x01"]},
        "M": {"M": {"inner": {"L": [{"BOOL": True}, {"NULL": True}, {"B": b"\x02"}]}}},
    }
    answers: list[object] = []

    def answer(call: Callable[[], Any]) -> None:
        try:
            found = call()
        except ClientError as refused:
            found = dict(refused.response)
        metadata = found.pop("ResponseMetadata")
        answers.append((found, metadata["HTTPStatusCode"], metadata["RetryAttempts"]))

    for n in range(3):
        key = {"PK": {"S": "p"}, "SK": {"S": f"s{n}"}}
        answer(lambda key=key: dynamodb.put_item(TableName=table, Item={**key, **item}))
    first = {"PK": {"S": "p"}, "SK": {"S": "s0"}}
    answer(
        lambda: dynamodb.put_item(
            TableName=table, Item=first, ConditionExpression="attribute_not_exists(PK)"
        )
    )
    answer(
        lambda: dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"PK": {"S": "q"}, "SK": {"S": "x"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": first,
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    )
    answer(
        lambda: dynamodb.update_item(
            TableName=table,
            Key=first,
            UpdateExpression="SET #s = :s, #b = :b ADD #n :one, #bs :bs",
            ExpressionAttributeNames={"#s": "S", "#n": "N", "#b": "B", "#bs": "BS"},
            ExpressionAttributeValues={
                ":s": {"S": "changed"},
                ":one": {"N": "1"},
                ":b": {"B": b"\x03"},
                ":bs": {"BS": [b"\x04", b"\x05"]},
            },
            ReturnValues="ALL_NEW",
        )
    )
    answer(lambda: dynamodb.get_item(TableName=table, Key=first))
    answer(lambda: dynamodb.get_item(TableName=table, Key={"PK": {"S": "none"}, "SK": {"S": "x"}}))
    answer(
        lambda: dynamodb.query(
            TableName=table,
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            Limit=2,
        )
    )
    answer(lambda: dynamodb.batch_get_item(RequestItems={table: {"Keys": [first]}}))
    answer(lambda: dynamodb.get_item(TableName=table, Key={"PK": {"S": "p"}}))
    answer(lambda: dynamodb.get_item(TableName=f"{table}-missing", Key=first))
    # Values botocore takes in more than one form: binaries as text or bytearray, lists
    # as tuples.
    odd = {"PK": {"S": "p"}, "SK": {"S": "odd"}}
    answer(
        lambda: dynamodb.put_item(
            TableName=table,
            Item={
                **odd,
                "B": {"B": "text é"},
                "BS": {"BS": ("a", bytearray(b"\x06"))},
                "SS": {"SS": ("x", "y")},
                "L": {"L": ({"N": "1"}, {"S": "two"})},
            },
        )
    )
    answer(lambda: dynamodb.get_item(TableName=table, Key=odd))
    return answers


def _lambda_conversation(functions: Any, _name: str) -> list[object]:
    """Invocations answered, failed by the handler, and refused (no such function)."""
    answers: list[object] = []
    for name, payload in (("echo", b'{"n": 1}'), ("fail", b"{}"), ("missing", b"{}")):
        try:
            found = dict(functions.invoke(FunctionName=name, Payload=payload))
            found["Payload"] = json.loads(found["Payload"].read())
        except ClientError as refused:
            found = dict(refused.response)
        if isinstance(found.get("Payload"), dict):
            found["Payload"].pop("stackTrace", None)  # names the lines it passed
        metadata = found.pop("ResponseMetadata")
        answers.append((found, metadata["HTTPStatusCode"], metadata["RetryAttempts"]))
    return answers


def _comparable(answer: object) -> object:
    """An answer without what differs between worlds (random ids, clocks)."""
    text = json.dumps(answer, default=lambda value: f"<{type(value).__name__}>", sort_keys=True)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return json.loads(re.sub(r"(secret:[^\"]*)-[A-Za-z0-9]{6}", r"\1-<suffix>", text))


def _answers(calls: list[Callable[[], Any]]) -> list[object]:
    """Each call's answer or refusal, comparable between worlds."""
    answers: list[object] = []
    for call in calls:
        try:
            found = dict(call())
        except ClientError as refused:
            found = dict(refused.response)
        metadata = found.pop("ResponseMetadata")
        answers.append(_comparable((found, metadata["HTTPStatusCode"], metadata["RetryAttempts"])))
    return answers


def _secrets_conversation(secrets: Any, _name: str) -> list[object]:
    """Secrets kept, read, replaced, and asked for when missing or duplicated."""
    calls: list[Callable[[], Any]] = [
        lambda: secrets.create_secret(Name="psx/s", SecretString='{"current": "a"}'),
        lambda: secrets.create_secret(Name="psx/s", SecretString="{}"),
        lambda: secrets.get_secret_value(SecretId="psx/s"),
        lambda: secrets.put_secret_value(SecretId="psx/s", SecretString='{"current": "b"}'),
        lambda: secrets.get_secret_value(SecretId="psx/s"),
        lambda: secrets.get_secret_value(SecretId="psx/missing"),
    ]
    return _answers(calls)


def _workflows_conversation(sfn: Any, _name: str) -> list[object]:
    """A state machine made, run twice under one name, described, and a missing one."""
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    calls: list[Callable[[], Any]] = [
        lambda: sfn.create_state_machine(
            name="m", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r"
        ),
        lambda: sfn.start_execution(stateMachineArn=machine, name="e", input="{}"),
        lambda: sfn.start_execution(stateMachineArn=machine, name="e", input='{"other": 1}'),
        lambda: sfn.describe_state_machine(stateMachineArn=machine),
        lambda: sfn.describe_state_machine(stateMachineArn=f"{machine}-missing"),
        lambda: sfn.start_execution(stateMachineArn=machine, name="bad name?", input="{}"),
    ]
    return _answers(calls)


def _conversation_in_a_world(
    service: str,
    conversation: Callable[[Any, str], list[object]],
    moto_handler: type,
    in_process: bool,
) -> tuple[list[object], int]:
    """The conversation in a fresh world, and how many HTTP requests moto's handler of
    the service read (``setup_class``) meanwhile."""
    read = 0
    setup_class = moto_handler.setup_class  # type: ignore[attr-defined]
    inherited = "setup_class" not in vars(moto_handler)

    def counted(handler: Any, *args: Any, **kwargs: Any) -> None:
        nonlocal read
        read += 1
        setup_class(handler, *args, **kwargs)

    registry = FunctionRegistry()
    registry.register("echo", _echo)
    registry.register("fail", _fail)
    with embedded_aws(registry):
        _function("echo")
        _function("fail")
        AnsweredInProcess.depth -= 0 if in_process else 1
        moto_handler.setup_class = counted  # type: ignore[attr-defined]
        try:
            session = botocore.session.Session()
            session.set_config_variable("region", "us-east-1")
            return conversation(session.create_client(service), "table"), read
        finally:
            if inherited:
                del moto_handler.setup_class  # type: ignore[attr-defined]
            else:
                moto_handler.setup_class = setup_class  # type: ignore[attr-defined]
            AnsweredInProcess.depth += 0 if in_process else 1


@pytest.mark.parametrize(
    ("service", "conversation", "moto_handler"),
    [
        ("dynamodb", _dynamodb_conversation, DynamoHandler),
        ("lambda", _lambda_conversation, LambdaResponse),
        ("secretsmanager", _secrets_conversation, SecretsManagerResponse),
        ("stepfunctions", _workflows_conversation, StepFunctionResponse),
    ],
)
def test_requests_are_answered_in_process_as_moto_answers_them_over_the_wire(
    service: str, conversation: Callable[[Any, str], list[object]], moto_handler: type
) -> None:
    # Without the seam botocore serialises, signs and sends each request and moto's
    # stubber reads it as HTTP: the answers in process must be the same, refusals too.
    over_the_wire, read_over_the_wire = _conversation_in_a_world(
        service, conversation, moto_handler, in_process=False
    )
    in_process, read_in_process = _conversation_in_a_world(
        service, conversation, moto_handler, in_process=True
    )
    assert in_process == over_the_wire
    assert read_over_the_wire >= len(over_the_wire)
    assert read_in_process == 0


def test_dynamodb_parameters_kept_in_process_are_refused_and_copied_as_botocore_does(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In process a DynamoDB request's parameters go to moto as they are, not as JSON:
    # botocore must still refuse what it refuses, and moto must not keep the caller's lists.
    written_as_json: list[str] = []
    serialize = botocore.serialize.JSONSerializer.serialize_to_request

    def counted(serializer: Any, parameters: Any, model: Any) -> Any:
        written_as_json.append(model.name)
        return serialize(serializer, parameters, model)

    monkeypatch.setattr(botocore.serialize.JSONSerializer, "serialize_to_request", counted)
    db = boto3.client("dynamodb")
    _hash_key_table(db, "kept")
    written_as_json.clear()
    key = {"PK": {"S": "k"}}
    with pytest.raises(botocore.exceptions.ParamValidationError, match=r"Item\.N\.N"):
        db.put_item(TableName="kept", Item={**key, "N": {"N": 5}})
    with pytest.raises(TypeError):  # validated, but botocore's JSON cannot write a file
        db.put_item(TableName="kept", Item={**key, "F": {"B": io.BytesIO(b"\x07")}})
    assert written_as_json == ["PutItem"]  # the file went botocore's own way
    tags = ["t1"]
    db.put_item(TableName="kept", Item={**key, "T": {"SS": tags}})
    tags.append("t2")
    stored = db.get_item(TableName="kept", Key=key)["Item"]["T"]["SS"]
    assert stored == ["t1"]
    assert tags == ["t1", "t2"]
    assert written_as_json == ["PutItem"]


def test_no_user_agent_is_built_for_a_request_answered_in_process(
    world: FunctionRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing in process reads it; over the wire (S3 here) botocore still sends one.
    db, s3 = boto3.client("dynamodb"), boto3.client("s3")  # each client builds its own
    built: list[str] = []
    to_string = botocore.useragent.UserAgentString.to_string

    def counted(agent: Any) -> str:
        built.append("user-agent")
        return to_string(agent)

    monkeypatch.setattr(botocore.useragent.UserAgentString, "to_string", counted)
    _hash_key_table(db, "agents")
    db.get_item(TableName="agents", Key={"PK": {"S": "k"}})
    assert built == []
    s3.list_buckets()
    assert built  # the spy sees what botocore builds for the wire


def test_requests_to_another_dynamodb_endpoint_are_not_answered_in_process(
    world: FunctionRegistry,
) -> None:
    # psx serve's clients and the CLI's reach DynamoDB over HTTP at a local address.
    elsewhere = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        elsewhere.list_tables()


def test_a_handler_runs_outside_the_aws_call_that_invoked_it(world: FunctionRegistry) -> None:
    # On AWS a function runs in a process of its own; here it runs inside the botocore
    # Invoke that reached it, whose client context each of its own calls would copy.
    seen: list[object] = []

    def handler(event: dict[str, object], context: object) -> dict[str, object]:
        seen.append(botocore.context.get_context())
        return {}

    world.register("context", handler)
    _function("context")
    boto3.client("lambda").invoke(FunctionName="context", Payload=b"{}")
    assert seen == [None]


def test_user_agent_parts_are_cleaned_once_and_as_botocore_cleans_them(
    world: FunctionRegistry,
) -> None:
    cleaned = botocore.useragent.sanitize_user_agent_string_component
    assert cleaned("Boto3/1.0 md#x", allow_hash=True) == cleaned.__wrapped__(  # type: ignore[attr-defined]
        "Boto3/1.0 md#x", allow_hash=True
    )
    before = cleaned.cache_info().hits  # type: ignore[attr-defined]
    boto3.client("sqs").list_queues()
    boto3.client("sqs").list_queues()
    # botocore still cleans its parts through the module's function, which the seam
    # replaced: the second request's parts come from the cache.
    assert cleaned.cache_info().hits > before  # type: ignore[attr-defined]


def _tree(node: object, parent: object = None) -> object:
    """A parsed expression's shape: each node's class and children, parents checked."""
    if not isinstance(node, Node):
        return node
    assert node.parent is parent
    return (type(node).__name__, [_tree(child, node) for child in node.children or []])


def _nodes_and_lists(node: object) -> list[object]:
    if not isinstance(node, Node):
        return []
    found: list[object] = [node]
    if node.children is not None:
        found.append(node.children)
    for child in node.children or []:
        found += _nodes_and_lists(child)
    return found


@pytest.mark.parametrize(
    "expression",
    [
        "SET #a = :a, b.c[2] = list_append(if_not_exists(d, :empty), :e) REMOVE f[1], g",
        "ADD n :one DELETE s :gone SET h = h + :one",
    ],
)
def test_a_parsed_expression_is_copied_as_deepcopy_copies_it(expression: str) -> None:
    parsed = UpdateExpressionParser.make(expression)
    copied = tree_copy(parsed)
    assert _tree(copied) == _tree(copy.deepcopy(parsed)) == _tree(parsed)
    shared = {id(part) for part in _nodes_and_lists(parsed)}
    assert not shared & {id(part) for part in _nodes_and_lists(copied)}


def test_moto_s_update_validator_copies_through_the_seam(world: FunctionRegistry) -> None:
    copied: list[object] = []
    seam_copy = dynamodb_validators.deepcopy

    def spied(value: object) -> object:
        copied.append(value)
        return seam_copy(value)

    dynamodb = boto3.client("dynamodb")
    _hash_key_table(dynamodb, "t")
    dynamodb_validators.deepcopy = spied
    try:
        for n in (1, 2):
            dynamodb.update_item(
                TableName="t",
                Key={"PK": {"S": "k"}},
                UpdateExpression="SET v = :v",
                ExpressionAttributeValues={":v": {"N": str(n)}},
            )
    finally:
        dynamodb_validators.deepcopy = seam_copy
    assert seam_copy is tree_copy
    assert any(isinstance(value, Node) for value in copied)
    item = dynamodb.get_item(TableName="t", Key={"PK": {"S": "k"}})["Item"]
    assert item["v"] == {"N": "2"}
