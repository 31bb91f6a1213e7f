"""The IAM model the role check relies on (tests/support/iam.py): which action and ARN a
call needs, and how a policy's statements decide."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.iam import (
    IamRequest,
    Policy,
    StackNames,
    UnmappedCall,
    Where,
    iam_requests,
    resolve,
    resource_matches,
)

HERE = Where("us-east-1")
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/T"


def test_a_read_of_an_object_version_needs_get_object_version() -> None:
    plain = {"Bucket": "b", "Key": "incoming/r/f.csv"}
    assert iam_requests("s3", "GetObject", plain, HERE) == [
        IamRequest("s3:GetObject", "arn:aws:s3:::b/incoming/r/f.csv")
    ]
    versioned = iam_requests("s3", "HeadObject", {**plain, "VersionId": "v1"}, HERE)
    assert versioned == [IamRequest("s3:GetObjectVersion", "arn:aws:s3:::b/incoming/r/f.csv")]


def test_listing_a_bucket_is_list_bucket_on_the_bucket() -> None:
    assert iam_requests("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "x/"}, HERE) == [
        IamRequest("s3:ListBucket", "arn:aws:s3:::b")
    ]


def test_a_copy_reads_the_source_and_writes_the_target() -> None:
    params = {"Bucket": "b", "Key": "to", "CopySource": {"Bucket": "a", "Key": "from"}}
    assert iam_requests("s3", "CopyObject", params, HERE) == [
        IamRequest("s3:GetObject", "arn:aws:s3:::a/from"),
        IamRequest("s3:PutObject", "arn:aws:s3:::b/to"),
    ]


def test_locking_or_unlocking_an_object_needs_the_locks_own_actions() -> None:
    locked = {"Bucket": "e", "Key": "k", "ObjectLockMode": "COMPLIANCE", "Body": b"x"}
    assert [r.action for r in iam_requests("s3", "PutObject", locked, HERE)] == [
        "s3:PutObject",
        "s3:PutObjectRetention",
    ]
    held = {"Bucket": "e", "Key": "k", "ObjectLockLegalHoldStatus": "ON"}
    assert [r.action for r in iam_requests("s3", "PutObject", held, HERE)] == [
        "s3:PutObject",
        "s3:PutObjectLegalHold",
    ]
    bypass = {"Bucket": "e", "Key": "k", "VersionId": "v", "BypassGovernanceRetention": True}
    assert iam_requests("s3", "DeleteObject", bypass, HERE) == [
        IamRequest("s3:DeleteObjectVersion", "arn:aws:s3:::e/k"),
        IamRequest("s3:BypassGovernanceRetention", "arn:aws:s3:::e/k"),
    ]


def test_invoking_a_function_is_invoke_function_on_its_arn() -> None:
    assert iam_requests("lambda", "Invoke", {"FunctionName": "f"}, HERE) == [
        IamRequest("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:f")
    ]


def test_a_query_of_an_index_names_the_index() -> None:
    params = {"TableName": "T", "IndexName": "GSI1"}
    assert iam_requests("dynamodb", "Query", params, HERE) == [
        IamRequest("dynamodb:Query", f"{TABLE}/index/GSI1")
    ]


def test_batch_and_transaction_calls_are_authorized_per_table_and_item() -> None:
    batch: dict[str, Any] = {"RequestItems": {"T": {"Keys": []}, "U": {"Keys": []}}}
    assert [r.resource for r in iam_requests("dynamodb", "BatchGetItem", batch, HERE)] == [
        TABLE,
        TABLE.replace("/T", "/U"),
    ]
    transaction = {
        "TransactItems": [{"Put": {"TableName": "T"}}, {"ConditionCheck": {"TableName": "T"}}]
    }
    assert iam_requests("dynamodb", "TransactWriteItems", transaction, HERE) == [
        IamRequest("dynamodb:PutItem", TABLE),
        IamRequest("dynamodb:ConditionCheckItem", TABLE),
    ]


def test_ses_v2_sends_name_their_identity_and_a_template_send_its_template() -> None:
    ses = "arn:aws:ses:us-east-1:123456789012"
    bulk = {
        "FromEmailAddress": "n@psx.example",
        "DefaultContent": {"Template": {"TemplateName": "t1", "TemplateData": "{}"}},
        "BulkEmailEntries": [],
    }
    raw = {"FromEmailAddress": "n@psx.example", "Content": {"Raw": {"Data": b"x"}}}
    assert iam_requests("ses", "SendBulkEmail", bulk, HERE) == [
        IamRequest("ses:SendBulkEmail", f"{ses}:identity/n@psx.example"),
        IamRequest("ses:SendBulkEmail", f"{ses}:template/t1"),
    ]
    assert iam_requests("ses", "SendEmail", raw, HERE) == [
        IamRequest("ses:SendEmail", f"{ses}:identity/n@psx.example")
    ]
    assert iam_requests("ses", "CreateEmailTemplate", {"TemplateName": "t1"}, HERE) == [
        IamRequest("ses:CreateEmailTemplate", f"{ses}:template/t1")
    ]


def test_task_tokens_cannot_name_a_resource_and_starts_name_their_machine() -> None:
    assert iam_requests("states", "SendTaskSuccess", {"taskToken": "t"}, HERE) == [
        IamRequest("states:SendTaskSuccess", "*")
    ]
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:m"
    assert iam_requests("states", "StartExecution", {"stateMachineArn": machine}, HERE) == [
        IamRequest("states:StartExecution", machine)
    ]


def test_queues_and_secrets_are_named_by_their_arns() -> None:
    url = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
    assert iam_requests("sqs", "DeleteMessageBatch", {"QueueUrl": url}, HERE) == [
        IamRequest("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:q")
    ]
    (secret,) = iam_requests("secretsmanager", "GetSecretValue", {"SecretId": "psx/s/a"}, HERE)
    prefix = "arn:aws:secretsmanager:us-east-1:123456789012:secret:psx/s/"
    # AWS adds a random suffix to the name: a policy naming the bare secret misses it.
    assert resource_matches(prefix + "*", secret.resource)
    assert not resource_matches(prefix + "a", secret.resource)


@pytest.mark.parametrize(
    ("prefix", "operation", "params"),
    [
        ("ses", "SendEmail", {}),
        ("s3", "PutBucketPolicy", {"Bucket": "b"}),
        ("dynamodb", "ListTables", {}),
        ("states", "ListStateMachines", {}),
    ],
)
def test_a_call_without_a_mapping_is_refused_not_guessed(
    prefix: str, operation: str, params: dict[str, Any]
) -> None:
    with pytest.raises(UnmappedCall, match=f"{prefix}:{operation}"):
        iam_requests(prefix, operation, params, HERE)


def _policy(*statements: dict[str, Any]) -> Policy:
    return Policy.from_json(statements)


def test_wildcards_in_actions_ignore_case_and_resources_stay_in_their_segment() -> None:
    policy = _policy(
        {"Effect": "Allow", "Action": "DynamoDB:Get*", "Resource": f"{TABLE}"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/incoming/*"},
    )
    assert policy.allows(IamRequest("dynamodb:GetItem", TABLE))
    assert not policy.allows(IamRequest("dynamodb:GetItem", f"{TABLE}/index/GSI1"))
    assert not policy.allows(IamRequest("dynamodb:PutItem", TABLE))
    assert policy.allows(IamRequest("s3:GetObject", "arn:aws:s3:::b/incoming/r/f.csv"))
    assert not policy.allows(IamRequest("s3:GetObject", "arn:aws:s3:::b/results/r/f.csv"))
    assert not resource_matches("arn:aws:dynamodb:*:table/T", TABLE)  # * stays in the region


def test_an_explicit_deny_wins_and_nothing_is_allowed_by_default() -> None:
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    deny_delete = {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": TABLE}
    policy = _policy(allow_all, deny_delete)
    assert policy.allows(IamRequest("dynamodb:PutItem", TABLE))
    assert not policy.allows(IamRequest("dynamodb:DeleteItem", TABLE))
    assert not _policy().allows(IamRequest("dynamodb:GetItem", TABLE))


def test_not_action_not_resource_and_conditions() -> None:
    policy = _policy(
        {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": TABLE},
        {"Effect": "Allow", "Action": "sns:Publish", "NotResource": "arn:aws:sns:*:*:private"},
        {
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "1"}},
        },
    )
    assert policy.allows(IamRequest("dynamodb:Query", TABLE))
    assert not policy.allows(IamRequest("dynamodb:DeleteItem", TABLE))
    assert policy.allows(IamRequest("sns:Publish", "arn:aws:sns:us-east-1:1:public"))
    assert not policy.allows(IamRequest("sns:Publish", "arn:aws:sns:us-east-1:1:private"))
    # We cannot know the request's context: a conditional Allow grants nothing here.
    assert not policy.allows(IamRequest("states:StartExecution", "arn:aws:states:x"))


def test_template_functions_resolve_to_the_stack_names() -> None:
    names = StackNames(
        refs={"Topic": "arn:aws:sns:us-east-1:1:t", "AWS::StackName": "psx-dev"},
        arns={"Table": TABLE},
    )
    value = [
        {"Ref": "Topic"},
        {"Fn::GetAtt": ["Table", "Arn"]},
        {"Fn::Sub": "${Table.Arn}/index/*"},
        {"Fn::Sub": ["${AWS::StackName}-${Suffix}", {"Suffix": {"Ref": "Topic"}}]},
    ]
    assert resolve(value, names) == [
        "arn:aws:sns:us-east-1:1:t",
        TABLE,
        f"{TABLE}/index/*",
        "psx-dev-arn:aws:sns:us-east-1:1:t",
    ]
