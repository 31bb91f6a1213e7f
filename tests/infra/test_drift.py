"""What moto created from infra/stack.py is what infra/stack.py declares.

Uses the session's embedded runtime (tests/conftest.py): provisioning it again for this
module would cost ~5 s and nest a second moto inside the first.
"""

from __future__ import annotations

import json

import pytest

from infra import intake, stack
from psx.embedded.runtime import EmbeddedRuntime
from tests.infra.cfn import get_att_target, of_type

DECLARED = stack.resources()


@pytest.fixture(scope="module")
def physical_ids(runtime: EmbeddedRuntime) -> dict[str, str]:
    described = runtime.client("cloudformation").describe_stack_resources(
        StackName=runtime.stack_name
    )["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in described}


def test_moto_created_every_declared_resource(physical_ids: dict[str, str]) -> None:
    assert set(physical_ids) == set(DECLARED)


def test_outputs_match(runtime: EmbeddedRuntime) -> None:
    function_names = {stack.function_name_output(f) for f in stack.INVOKED_BY_CLI}
    assert set(runtime.outputs) == set(stack.outputs()) | function_names


TABLES = sorted(of_type(DECLARED, "AWS::DynamoDB::Table"))
BUCKETS = sorted(of_type(DECLARED, "AWS::S3::Bucket"))


@pytest.mark.parametrize("table_id", TABLES)
def test_table_keys_and_indexes(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], table_id: str
) -> None:
    declared = DECLARED[table_id]["Properties"]
    table = runtime.client("dynamodb").describe_table(TableName=physical_ids[table_id])["Table"]
    assert table["KeySchema"] == declared["KeySchema"]
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(
        declared["AttributeDefinitions"], key=str
    )
    assert {
        index["IndexName"]: (index["KeySchema"], index["Projection"])
        for index in table.get("GlobalSecondaryIndexes", [])
    } == {
        index["IndexName"]: (index["KeySchema"], index["Projection"])
        for index in declared.get("GlobalSecondaryIndexes", [])
    }
    assert table["BillingModeSummary"]["BillingMode"] == declared["BillingMode"]


@pytest.mark.parametrize("table_id", TABLES)
def test_table_point_in_time_recovery(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], table_id: str
) -> None:
    declared = DECLARED[table_id]["Properties"]["PointInTimeRecoverySpecification"]
    backups = runtime.client("dynamodb").describe_continuous_backups(
        TableName=physical_ids[table_id]
    )["ContinuousBackupsDescription"]
    status = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    assert status == ("ENABLED" if declared["PointInTimeRecoveryEnabled"] else "DISABLED")


@pytest.mark.parametrize("table_id", TABLES)
def test_table_time_to_live(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], table_id: str
) -> None:
    declared = DECLARED[table_id]["Properties"]["TimeToLiveSpecification"]
    ttl = runtime.client("dynamodb").describe_time_to_live(TableName=physical_ids[table_id])[
        "TimeToLiveDescription"
    ]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] == declared["AttributeName"]


@pytest.mark.parametrize("queue_id", sorted(of_type(DECLARED, "AWS::SQS::Queue")))
def test_queue_attributes_and_redrive(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], queue_id: str
) -> None:
    sqs = runtime.client("sqs")
    declared = DECLARED[queue_id]["Properties"]
    attributes = sqs.get_queue_attributes(QueueUrl=physical_ids[queue_id], AttributeNames=["All"])[
        "Attributes"
    ]
    assert attributes.get("SqsManagedSseEnabled") == "true"
    for name in ("VisibilityTimeout", "MessageRetentionPeriod"):
        if name in declared:
            assert attributes[name] == str(declared[name])
    if "RedrivePolicy" not in declared:
        assert "RedrivePolicy" not in attributes
        return
    redrive = json.loads(attributes["RedrivePolicy"])
    target_url = physical_ids[get_att_target(declared["RedrivePolicy"]["deadLetterTargetArn"])]
    target_arn = sqs.get_queue_attributes(QueueUrl=target_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    assert redrive["deadLetterTargetArn"] == target_arn
    assert int(redrive["maxReceiveCount"]) == declared["RedrivePolicy"]["maxReceiveCount"]


@pytest.mark.parametrize("bucket_id", BUCKETS)
def test_bucket_encryption(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], bucket_id: str
) -> None:
    declared = DECLARED[bucket_id]["Properties"]["BucketEncryption"]
    rules = runtime.client("s3").get_bucket_encryption(Bucket=physical_ids[bucket_id])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"]
    assert [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules] == [
        r["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        for r in declared["ServerSideEncryptionConfiguration"]
    ]


@pytest.mark.parametrize("bucket_id", BUCKETS)
def test_bucket_versioning(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], bucket_id: str
) -> None:
    declared = DECLARED[bucket_id]["Properties"]["VersioningConfiguration"]
    versioning = runtime.client("s3").get_bucket_versioning(Bucket=physical_ids[bucket_id])
    assert versioning.get("Status") == declared["Status"]


@pytest.mark.parametrize("bucket_id", BUCKETS)
def test_bucket_public_access_block(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], bucket_id: str
) -> None:
    declared = DECLARED[bucket_id]["Properties"]["PublicAccessBlockConfiguration"]
    block = runtime.client("s3").get_public_access_block(Bucket=physical_ids[bucket_id])
    assert block["PublicAccessBlockConfiguration"] == declared


def test_evidence_bucket_object_lock(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str]
) -> None:
    declared = DECLARED["EvidenceBucket"]["Properties"]["ObjectLockConfiguration"]
    lock = runtime.client("s3").get_object_lock_configuration(
        Bucket=physical_ids["EvidenceBucket"]
    )["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert {"Mode": retention["Mode"], "Days": retention["Days"]} == (
        declared["Rule"]["DefaultRetention"]
    )
    assert declared["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"


def test_intake_bucket_lifecycle(runtime: EmbeddedRuntime, physical_ids: dict[str, str]) -> None:
    (declared,) = DECLARED["IntakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (rule,) = runtime.client("s3").get_bucket_lifecycle_configuration(
        Bucket=physical_ids["IntakeBucket"]
    )["Rules"]
    assert rule["ID"] == declared["Id"]
    assert (
        rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        == (declared["NoncurrentVersionExpiration"]["NoncurrentDays"])
    )


def test_intake_bucket_notifies_the_intake_queue(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str]
) -> None:
    # Applied by the runtime from the declaration (moto's CloudFormation ignores it).
    configuration = runtime.client("s3").get_bucket_notification_configuration(
        Bucket=physical_ids["IntakeBucket"]
    )
    (queue_configuration,) = configuration["QueueConfigurations"]
    assert queue_configuration["QueueArn"].endswith(physical_ids["IntakeQueue"].rsplit("/")[-1])
    assert queue_configuration["Filter"]["Key"]["FilterRules"] == [
        {"Name": "Prefix", "Value": intake.INTAKE_PREFIX}
    ] or queue_configuration["Filter"]["Key"]["FilterRules"] == [
        {"Name": "prefix", "Value": intake.INTAKE_PREFIX}
    ]


@pytest.mark.parametrize("topic_id", sorted(of_type(DECLARED, "AWS::SNS::Topic")))
def test_topic_encryption(
    runtime: EmbeddedRuntime, physical_ids: dict[str, str], topic_id: str
) -> None:
    attributes = runtime.client("sns").get_topic_attributes(TopicArn=physical_ids[topic_id])[
        "Attributes"
    ]
    assert attributes["KmsMasterKeyId"] == DECLARED[topic_id]["Properties"]["KmsMasterKeyId"]


def test_state_machines_are_named_and_defined_as_declared(runtime: EmbeddedRuntime) -> None:
    sfn = runtime.client("stepfunctions")
    machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
    for machine in of_type(DECLARED, "AWS::StepFunctions::StateMachine").values():
        properties = machine["Properties"]
        name = properties["StateMachineName"]["Fn::Sub"].replace(
            "${AWS::StackName}", runtime.stack_name
        )
        assert name in machines
        described = sfn.describe_state_machine(stateMachineArn=machines[name])
        assert described["type"] == properties["StateMachineType"]
        text, substitutions = properties["DefinitionString"]["Fn::Sub"]
        definition = json.loads(described["definition"])
        expected = json.loads(text)
        for placeholder in substitutions:
            assert f"${{{placeholder}}}" not in described["definition"]
        assert definition.keys() == expected.keys()
        assert definition["States"].keys() == expected["States"].keys()
        assert definition["StartAt"] == expected["StartAt"]
    lifecycle = runtime.outputs["PsxLifecycleStateMachineArn"]
    assert lifecycle in machines.values()


def test_lifecycle_invokes_the_deployed_record_received_function(
    runtime: EmbeddedRuntime,
) -> None:
    sfn = runtime.client("stepfunctions")
    described = sfn.describe_state_machine(
        stateMachineArn=runtime.outputs["PsxLifecycleStateMachineArn"]
    )
    task = json.loads(described["definition"])["States"]["RecordReceived"]
    assert task["Parameters"]["FunctionName"].endswith(
        ":function:" + runtime.function_name("record_received")
    )


@pytest.mark.parametrize("role_id", sorted(of_type(DECLARED, "AWS::IAM::Role")))
def test_roles_exist(runtime: EmbeddedRuntime, physical_ids: dict[str, str], role_id: str) -> None:
    iam = runtime.client("iam")
    role = iam.get_role(RoleName=physical_ids[role_id])["Role"]
    trust = role["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    assert trust == DECLARED[role_id]["Properties"]["AssumeRolePolicyDocument"]
    names = iam.list_role_policies(RoleName=physical_ids[role_id])["PolicyNames"]
    assert names == [p["PolicyName"] for p in DECLARED[role_id]["Properties"]["Policies"]]
