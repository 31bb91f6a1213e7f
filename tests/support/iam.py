"""IAM in miniature: what an AWS call needs, and whether a role's policy allows it.

- ``iam_requests`` maps one API call (service, operation, parameters) to the IAM
  actions and resource ARNs AWS authorizes it against. Most operations authorize as
  ``<prefix>:<Operation>`` on the resource they name; the exceptions are spelled out
  (S3 reads of a version, batch and transaction calls, task tokens). A call it does not
  know raises ``UnmappedCall``: a new kind of call must be added here, never waved through.
- ``Policy.allows`` evaluates Allow/Deny statements as IAM does for one identity policy:
  an explicit Deny wins, otherwise some Allow must match; ``*`` and ``?`` are wildcards,
  actions match case-insensitively, ARNs segment by segment. A statement with a
  Condition never grants here (we cannot know the request's context) and always denies.
- ``resolve`` turns a template's ``Ref``/``Fn::GetAtt``/``Fn::Sub`` into the names and
  ARNs a stack got, so a role's statements read as AWS reads them after deployment.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

ACCOUNT_ID = "123456789012"


class UnmappedCall(LookupError):
    """An AWS operation this module does not know how IAM authorizes."""


@dataclass(frozen=True)
class IamRequest:
    action: str
    resource: str


@dataclass(frozen=True)
class Where:
    region: str
    account: str = ACCOUNT_ID


Params = Mapping[str, Any]


# -- calls -> IAM requests ----------------------------------------------------------------


def _table_arn(where: Where, table: str, index: str | None = None) -> str:
    if table.startswith("arn:"):
        return table
    arn = f"arn:aws:dynamodb:{where.region}:{where.account}:table/{table}"
    return f"{arn}/index/{index}" if index else arn


# TransactWriteItems is authorized item by item, as the single-item calls.
_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(operation: str, params: Params, where: Where) -> list[IamRequest]:
    if operation in {"BatchGetItem", "BatchWriteItem"}:
        return [
            IamRequest(f"dynamodb:{operation}", _table_arn(where, table))
            for table in params["RequestItems"]
        ]
    if operation in {"TransactWriteItems", "TransactGetItems"}:
        requests = []
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            requests.append(
                IamRequest(
                    f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table_arn(where, body["TableName"])
                )
            )
        return requests
    if "TableName" in params:
        index = params.get("IndexName")
        return [IamRequest(f"dynamodb:{operation}", _table_arn(where, params["TableName"], index))]
    raise UnmappedCall(f"dynamodb:{operation}")


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _s3_read(params: Params) -> IamRequest:
    # Reading a given version needs its own action (HeadObject authorizes as a read).
    action = "s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject"
    return IamRequest(action, _object_arn(params["Bucket"], params["Key"]))


def _copy_source(params: Params) -> IamRequest:
    source = params["CopySource"]
    if isinstance(source, str):
        path, _, query = unquote(source).lstrip("/").partition("?versionId=")
        bucket, _, key = path.partition("/")
        source = {"Bucket": bucket, "Key": key, "VersionId": query or None}
    return _s3_read(source)


def _s3_write(params: Params) -> list[IamRequest]:
    """PutObject; setting Object Lock on the new object needs the lock's own actions."""
    arn = _object_arn(params["Bucket"], params["Key"])
    requests = [IamRequest("s3:PutObject", arn)]
    if params.get("ObjectLockMode") or params.get("ObjectLockRetainUntilDate"):
        requests.append(IamRequest("s3:PutObjectRetention", arn))
    if params.get("ObjectLockLegalHoldStatus"):
        requests.append(IamRequest("s3:PutObjectLegalHold", arn))
    return requests


def _s3_delete(params: Params) -> list[IamRequest]:
    arn = _object_arn(params["Bucket"], params["Key"])
    action = "s3:DeleteObjectVersion" if params.get("VersionId") else "s3:DeleteObject"
    requests = [IamRequest(action, arn)]
    if params.get("BypassGovernanceRetention"):
        requests.append(IamRequest("s3:BypassGovernanceRetention", arn))
    return requests


# Calls on a bucket rather than an object, and the action each needs.
_S3_BUCKET_ACTIONS = {
    "ListObjectsV2": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
}


def _s3(operation: str, params: Params, where: Where) -> list[IamRequest]:
    if operation in {"GetObject", "HeadObject"}:
        return [_s3_read(params)]
    if operation == "PutObject":
        return _s3_write(params)
    if operation == "CopyObject":
        return [_copy_source(params), *_s3_write(params)]
    if operation == "DeleteObject":
        return _s3_delete(params)
    if operation in _S3_BUCKET_ACTIONS:
        return [IamRequest(_S3_BUCKET_ACTIONS[operation], f"arn:aws:s3:::{params['Bucket']}")]
    raise UnmappedCall(f"s3:{operation}")


def _states(operation: str, params: Params, where: Where) -> list[IamRequest]:
    # The task token names the execution: these calls cannot be scoped to a resource.
    if operation in {"SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"}:
        return [IamRequest(f"states:{operation}", "*")]
    for name in ("stateMachineArn", "executionArn"):
        if name in params:
            return [IamRequest(f"states:{operation}", params[name])]
    raise UnmappedCall(f"states:{operation}")


def _sns(operation: str, params: Params, where: Where) -> list[IamRequest]:
    if operation == "Publish" and "PhoneNumber" in params:
        return [IamRequest("sns:Publish", "*")]  # an SMS names no topic
    if operation in {"Publish", "PublishBatch"}:
        return [IamRequest("sns:Publish", params.get("TopicArn") or params["TargetArn"])]
    raise UnmappedCall(f"sns:{operation}")


def _kms(operation: str, params: Params, where: Where) -> list[IamRequest]:
    key = params["KeyId"]
    arn = key if key.startswith("arn:") else f"arn:aws:kms:{where.region}:{where.account}:key/{key}"
    if operation in {"GenerateDataKey", "Decrypt", "Encrypt"}:
        return [IamRequest(f"kms:{operation}", arn)]
    raise UnmappedCall(f"kms:{operation}")


def _ses_arn(where: Where, kind: str, name: str) -> str:
    return f"arn:aws:ses:{where.region}:{where.account}:{kind}/{name}"


def _ses(operation: str, params: Params, where: Where) -> list[IamRequest]:
    # SES API v2 (its IAM prefix is ses too). Sending is authorized against the sending
    # identity, and a templated send also against its template.
    if operation == "CreateEmailTemplate":
        name = params["TemplateName"]
        return [IamRequest("ses:CreateEmailTemplate", _ses_arn(where, "template", name))]
    if operation in {"SendEmail", "SendBulkEmail"}:
        sender = params["FromEmailAddress"]
        identity = IamRequest(f"ses:{operation}", _ses_arn(where, "identity", sender))
        content = params["DefaultContent"] if operation == "SendBulkEmail" else params["Content"]
        if "Template" not in content:
            return [identity]
        template = _ses_arn(where, "template", content["Template"]["TemplateName"])
        return [identity, IamRequest(f"ses:{operation}", template)]
    raise UnmappedCall(f"ses:{operation}")


def _queue_arn(where: Where, queue_url: str) -> str:
    _, account, name = urlparse(queue_url).path.split("/")
    return f"arn:aws:sqs:{where.region}:{account}:{name}"


# The batch calls of SQS authorize as their single-message action.
_SQS_BATCHES = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(operation: str, params: Params, where: Where) -> list[IamRequest]:
    if "QueueUrl" in params:
        action = _SQS_BATCHES.get(operation, operation)
        return [IamRequest(f"sqs:{action}", _queue_arn(where, params["QueueUrl"]))]
    raise UnmappedCall(f"sqs:{operation}")


def _secret_arn(where: Where, secret_id: str) -> str:
    if secret_id.startswith("arn:"):
        return secret_id
    # AWS appends six random characters to a secret's name in its ARN; a policy must
    # allow for them (a Resource ending in the bare name matches nothing).
    return f"arn:aws:secretsmanager:{where.region}:{where.account}:secret:{secret_id}-AbC123"


def _secretsmanager(operation: str, params: Params, where: Where) -> list[IamRequest]:
    arn = _secret_arn(where, params["SecretId"])
    return [IamRequest(f"secretsmanager:{operation}", arn)]


def _lambda(operation: str, params: Params, where: Where) -> list[IamRequest]:
    if operation == "Invoke":
        name = params["FunctionName"]
        arn = (
            name
            if name.startswith("arn:")
            else (f"arn:aws:lambda:{where.region}:{where.account}:function:{name}")
        )
        return [IamRequest("lambda:InvokeFunction", arn)]
    raise UnmappedCall(f"lambda:{operation}")


_SERVICES: dict[str, Callable[[str, Params, Where], list[IamRequest]]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "states": _states,
    "sns": _sns,
    "kms": _kms,
    "ses": _ses,
    "sqs": _sqs,
    "secretsmanager": _secretsmanager,
    "lambda": _lambda,
}


def iam_requests(prefix: str, operation: str, params: Params, where: Where) -> list[IamRequest]:
    """What IAM authorizes one call against; ``prefix`` is the service's IAM prefix."""
    mapper = _SERVICES.get(prefix)
    if mapper is None:
        raise UnmappedCall(f"{prefix}:{operation}")
    try:
        return mapper(operation, params, where)
    except KeyError as missing:
        raise UnmappedCall(f"{prefix}:{operation} without {missing}") from None


# -- policies -----------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# Compiled once per pattern: the session's role check matches thousands of calls against
# the same few hundred patterns, and building each regex again was most of its time.
@functools.cache
def _glob(pattern: str, flags: int = 0) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), flags | re.DOTALL)


def action_matches(pattern: str, action: str) -> bool:
    return _glob(pattern, re.IGNORECASE).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """IAM's ARN match: wildcards stay inside their segment, but for the resource part."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != len(arn_parts):
        return False
    return all(_glob(p).fullmatch(a) for p, a in zip(pattern_parts, arn_parts, strict=True))


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    conditional: bool = False

    @classmethod
    def from_json(cls, statement: Mapping[str, Any]) -> Statement:
        return cls(
            effect=statement["Effect"],
            actions=tuple(_as_list(statement.get("Action", []))),
            resources=tuple(_as_list(statement.get("Resource", []))),
            not_actions=tuple(_as_list(statement.get("NotAction", []))),
            not_resources=tuple(_as_list(statement.get("NotResource", []))),
            conditional="Condition" in statement,
        )

    def covers_action(self, action: str) -> bool:
        if self.not_actions:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)

    def covers_resource(self, arn: str) -> bool:
        if self.not_resources:
            return not any(resource_matches(p, arn) for p in self.not_resources)
        return any(resource_matches(p, arn) for p in self.resources)

    def covers(self, request: IamRequest) -> bool:
        return self.covers_action(request.action) and self.covers_resource(request.resource)


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]

    @classmethod
    def from_json(cls, statements: Iterable[Mapping[str, Any]]) -> Policy:
        return cls(tuple(Statement.from_json(s) for s in statements))

    def allows(self, request: IamRequest) -> bool:
        covering = [s for s in self.statements if s.covers(request)]
        if any(s.effect == "Deny" for s in covering):
            return False
        return any(s.effect == "Allow" and not s.conditional for s in covering)


# -- templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StackNames:
    """What a deployed stack's intrinsic functions resolve to."""

    refs: Mapping[str, str]  # logical id or pseudo parameter -> Ref value
    arns: Mapping[str, str]  # logical id -> Fn::GetAtt Arn


_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def _sub(text: str, variables: Mapping[str, Any], names: StackNames) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return str(resolve(variables[name], names))
        if name.endswith(".Arn"):
            return names.arns[name.removesuffix(".Arn")]
        return names.refs[name]

    return _SUB_VARIABLE.sub(value, text)


def resolve(value: Any, names: StackNames) -> Any:
    """``value`` with every Ref, Fn::GetAtt (Arn) and Fn::Sub replaced by what it names."""
    if isinstance(value, list):
        return [resolve(item, names) for item in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        return names.refs[value["Ref"]]
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        if attribute != "Arn":
            raise ValueError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute}")
        return names.arns[logical_id]
    if "Fn::Sub" in value:
        sub = value["Fn::Sub"]
        text, variables = (sub, {}) if isinstance(sub, str) else sub
        return _sub(text, variables, names)
    return {key: resolve(item, names) for key, item in value.items()}


def function_roles(template: Mapping[str, Any]) -> dict[str, str]:
    """Function logical id -> the logical id of its role (``Role: !GetAtt XRole.Arn``)."""
    roles = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in {"AWS::Serverless::Function", "AWS::Lambda::Function"}:
            roles[logical_id] = resource["Properties"]["Role"]["Fn::GetAtt"][0]
    return roles


def role_statements(template: Mapping[str, Any], role_id: str) -> list[dict[str, Any]]:
    """Every statement of the role's inline policies, as written in the template."""
    role = template["Resources"][role_id]
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def role_policy(template: Mapping[str, Any], role_id: str, names: StackNames) -> Policy:
    return Policy.from_json(resolve(role_statements(template, role_id), names))
