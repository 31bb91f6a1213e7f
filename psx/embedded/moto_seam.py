"""Everything we do to moto, in one place (each workaround has a canary test).

- Lambda invocations (Step Functions lambda:invoke tasks) go to the in-process handler
  registered under the function's name; a handler exception becomes a Lambda function
  error whose ``errorType`` is the exception's class name, as on AWS, so Retry and
  Catch in the workflow definitions behave the same here. A handler runs outside the
  botocore call that invoked it, as in a Lambda process of its own
  (``_outside_any_aws_call``): inside it, each of the handler's own calls deep-copied
  that call's client context.
- Step Functions executes definitions for real (``execute_state_machine``), Lambda
  never uses Docker.
- moto's ``Fn::Sub`` (list form) runs ``string.Template``, which turns ``$$`` into ``$``
  and so breaks ASL context paths (``$$.Task.Token``); ``substitute_literal_subs`` does
  the substitution itself wherever the values are already literal strings.
- State machines created through moto's CloudFormation land in the non-executing
  Step Functions backend; ``publish_stack_state_machines`` re-creates them, same name,
  definition and role, in the executing one.
- moto's DynamoDB is not thread-safe: a Query deep-copies items while another thread
  updates them ("dictionary changed size during iteration"). Here the HTTPS API, the
  workflows' Lambda tasks and the event sources all run in threads of one process, so
  DynamoDB requests are served one at a time (they never call back into our handlers,
  so the lock cannot be held across one).
- moto's S3 event notifications leave out ``s3.object.versionId``, which AWS sends for
  every object of a versioned bucket (the intake bucket is one): intake reads the
  version an event names, so two uploads under one name are two files. We add it.
- moto parses a state machine's definition with its ANTLR grammar for every execution
  (``ExecutionWorker._get_evaluation_entrypoint``): a fifth of the CPU of a busy
  exchange. The parsed program keeps per-execution state in the execution's
  environment, so one program per definition (keyed by its hash) serves every
  execution; the one thing moto creates lazily on it, each component's ``heap_key``
  (where Retry counts attempts), is assigned before the program is shared, so
  concurrent executions never draw different keys for the same component. moto also
  parses a definition to validate it when the state machine is created: that parse
  comes from the same programs, which every embedded world of a process shares (a
  program holds nothing of the world it ran in), so a test run parses each workflow
  once, not again for every module's exchange (``PARSED_PROGRAMS``).
- moto's DynamoDB Query sorts every item of the table before it picks the partition
  (``Table.all_items``): each Query costs O(table), and under the lock above the
  workflows' queries starve the intake's writes. Queries here see only the items that
  can match (the key's partition; for an index, the items whose index hash key
  matches); moto's own filtering, sorting and paging run unchanged on them. moto keeps
  no index, so finding an index partition's items was a scan of the whole table for
  every index query (in the single table, which grows with every notice and dispatch,
  a tenth of the CPU of dispatching a thousand notices). ``IndexedPartitions`` files
  each item under its index hash key values at a table's first index query (one scan)
  and refiles an item wherever moto changes one: ``Table.put_item`` and
  ``delete_item``, ``DynamoDBBackend.update_item`` (which changes the item in place),
  and a cancelled transaction's restore.
- moto's Step Functions builds a new boto3 Lambda client for every lambda:invoke task
  (``lambda_eval_utils.boto_client_for``), a sixth of the CPU of a busy exchange; here
  one client per region serves every task (the arguments never vary otherwise).
- moto evaluates every JSONPath of a definition (``InputPath``, ``"Payload.$"``,
  ``ResultPath`` …) by building a new jsonpath-ng parser, ply's tables included, each
  time: an eighth of the CPU of a dispatching exchange. Parsed paths are immutable, so
  each path text is parsed once.
- moto's Step Functions interpreter parks every ``.waitForTaskToken`` task (and the
  threads around it) on a blocked OS thread: 3 + 3 x P per lifecycle waiting on P
  platforms. ``psx serve`` runs its threads as greenlets (``cooperative.py``).
- moto's ``/moto-api/data.json`` (what `psx outbox` reads of `psx serve`) reads every
  public attribute of every model and skips only the ones raising TypeError,
  AttributeError or ValueError; a Lambda function's ``docker_client`` connects to Docker
  and raises DockerException without it, so the whole answer was a 500. Functions run
  in process here and never reach Docker: ``docker_client`` says so as an
  AttributeError (``no_docker``).
- moto's TransactWriteItems deep-copies every table a transaction names, once per item
  of it, to roll back a cancelled transaction: each transaction costs O(table), so
  storing N recipients in transactions costs O(N^2). Here the tables are "copied" by
  reference (``TablesByReference``, moto's only deep copy of a Table) and the
  transaction backs up and restores only the items it names (``TouchedItemBackups``;
  a copy of the ones it updates, which moto changes in place; the others by reference,
  a put or delete replacing or removing the item): all or nothing as before.
- moto's SES API v2 has no templates and no bulk sending (``CreateEmailTemplate``,
  ``GetEmailTemplate``, ``SendBulkEmail`` are not implemented). They are answered here
  from moto's SES v1 backend, where its v2 ``SendEmail`` already sends and where moto
  keeps templates and what was sent (`psx outbox` reads it there), with v2's answers and
  error names. moto's server (`psx serve`) routes only the SES v2 paths moto names (its
  catch-all ``/v2/.*`` becomes a literal path there), so their paths are named too.
- moto tokenises and parses a DynamoDB UpdateExpression up to three times for every
  update (the request's checks, the transaction's, the update itself): a sixth of the
  CPU of notifying buyers, whose updates all share a few expression texts. The parsed
  expression is only read (``find_clauses``) or deep-copied before moto's validator
  resolves names and values into it, so each text is parsed once
  (``parsed_update_expressions``). That deep copy went through ``copy.deepcopy``'s
  generic walk; a parsed tree is copied node by node instead (``tree_copy``).
- moto parses a ConditionExpression (with its names and values) two to four times for
  every conditional write, transactions included: a tenth of the CPU of notifying
  buyers, whose claims in one transaction share expression, names and values. The
  parsed condition is evaluated without changing it (``expr(item)`` reads only), so
  each (expression, names, values) is parsed once (``ParsedConditions``); a parse that
  fails is not kept and fails again. Only the names and values the expression mentions
  count: an open wait's task token or a report-log entry in the update beside it made
  every condition new.
- moto answers every DynamoDB request through its model-driven response serializer,
  which looks each member of each shape up under several aliases: for the items that
  GetItem, BatchGetItem and Query return (ten members per attribute value), a quarter
  of the CPU of notifying buyers. Their results are plain JSON already (moto's
  ``DynamoResult``: binary values as bytes), so they are written as JSON directly,
  bytes in base64 as the serializer writes them (``item_answers_as_json``); so are
  PutItem's, UpdateItem's and DeleteItem's (a dispatch's updates answer with it whole),
  their own members only, as the serializer writes.
- moto's DynamoDB builds every item it stores attribute by attribute, and each
  attribute added sums the sizes of all those before it (``LimitedSizeDict``, the 400 KB
  limit): O(n^2) per item, a third of the CPU of storing and claiming recipients. Here
  an item's attributes go in at once and moto's own check runs once, for the last one
  (``items_sized_once``): it sums them all, and a sum of sizes is over the limit at some
  step exactly when it is over it at the last.
- moto finds the method of every request's action by listing every function of the
  response class (``method_names_from_class``: ``inspect.getmembers`` over a few
  hundred attributes, a Python call each) and asking whether the action is among them:
  a twentieth of the CPU of a dispatching exchange. ``FunctionNames`` answers the same
  question for the one name asked.
- moto serializes every DynamoDB answer against the service model, and an
  AttributeValue (one per attribute of every item, nested ones included) is a
  structure of ten members (S, N, B, SS, …, BOOL): moto asks its attribute picker for
  each of the ten, trying up to four alias names each, to find the one the value holds.
  A fifth of the CPU of the dispatch path's AWS calls (botocore and moto both). An
  AttributeValue that is a dict naming only members is serialized member by member for
  the members it names (``attribute_values_by_their_keys``); the picker's other names
  for a member (its shape's name, snake case) are never members, so it would find the
  same ones.
- moto parses every DynamoDB request by its model, member by member through a method
  looked up by name for each value: for the attribute values of the items a request
  carries (ten members each, each value a map of them), a tenth of the CPU of notifying
  buyers. An attribute value's parse only decodes binary members (``B``, ``BS``) and
  recurses into ``M`` and ``L``, so a map of them (an item, a key, expression values) is
  parsed by one function (``attribute_values_parsed_directly``), which drops what
  moto's parse drops.
- moto measures a set attribute (for the 400 KB limit, each time any attribute of its
  item is set) and reads its values (``contains``) by building a ``DynamoType`` per
  element; the report log's month shards are string sets of thousands of entries, so
  each event recorded cost O(entries) Python objects. Sets are measured and read from
  their elements at once (``sets_read_at_once``), with moto's own arithmetic.
- moto validates an update expression with ~10 tree traversals, and each asks its
  traverser for a new dict of its processing functions twice per node visited. Each
  traverser class's map is read once, and each node class is asked once whether it is
  a node and which function processes it (``traversals_mapped_once``).
- moto's stubber asks each request's backend for its URL map, built anew every time
  (S3's reloads its urls module twice for it); each backend class's map is made once
  per settings it depends on (``backend_urls_made_once``).
- moto keeps every instance of its models in a list of the class, for its dashboard
  (``/moto-api/data.json``), until the world is reset: every DynamoDB item it ever
  built, each version of an item overwritten, with all its attribute values. Notifying
  a buyer builds three (stored, claimed, recorded sent), so the process grew by ~37
  objects per buyer for good, which the cyclic collector walked at every full
  collection. Items are not kept for the dashboard (``items_untracked``): nothing reads
  them there (`psx outbox` reads SES's and SNS's models), and a stored item is still
  held by its table.
- moto's SES draws each message id letter by letter (``random.choice``, 54 Python
  calls an id) and a bulk send one id per destination: 1.5 % of the CPU of notifying
  buyers. ``message_id_drawn_at_once`` draws the 54 letters in one call from the same
  generator (moto's, which its API can seed) and shapes them the same way. Every
  answer's request id (52 letters and digits) is drawn so too, and only a body holding
  an XML ``<RequestId>`` is searched for one (``request_ids_drawn_at_once``).
- In process, every DynamoDB, Secrets Manager and Step Functions request and every
  Lambda invocation (the workflows' tasks) still went over an emulated wire: botocore
  built, signed and wrapped it as an HTTP request, moto's stubber matched its URL
  against every service's patterns, rebuilt it as a werkzeug request and read it back (a
  JSON body parsed as a query string too) before its handler ran, and botocore read the
  answer back through an HTTP response: ~0.8 ms of CPU per request, more than moto's
  DynamoDB itself takes for a GetItem or a PutItem; DynamoDB is 12 of the 15 calls a
  notice-platform pair makes, and each pair's workflow invokes 2.7 tasks. A request to
  one of these services' AWS endpoints is answered by moto's handler of it directly (its
  ``call_action``, Lambda's ``invoke``, with the attributes ``setup_class`` would read
  off the request) and read back as botocore's endpoint reads an answer
  (``answered_in_process``); botocore still serialises the request, so the handler reads
  exactly the body AWS would. Requests to another endpoint (``psx serve``'s, over HTTP)
  go their way. Both moto's request parser and botocore's answer parser walk a DynamoDB
  operation's shapes member by member (a sixth of the CPU of the dispatch path, once the
  wire was gone), while an item operation's JSON is already what they make of it except
  for binary values, which are decoded (``_with_binaries_decoded``); refusals still go
  through botocore's parser. Then botocore still wrote each DynamoDB request as JSON,
  walking its shapes member by member, for the handler to read back, and built a
  User-Agent nothing in process reads (together ~6 % of the CPU of dispatching). A
  request answered in process gets no User-Agent, and a DynamoDB one's parameters,
  validated as botocore validates them, go to moto as the JSON would have given them
  (fresh containers, binary values as bytes: ``RequestsKeptInProcess``).
- botocore writes every request's User-Agent from its parts, cleaning each part
  character by character through a generator (``sanitize_user_agent_string_component``):
  4 % of the CPU of the dispatch path, for the same few texts every time. Each text is
  cleaned once (``user_agents_sanitized_once``); the function is pure.
- moto's CloudFormation reads every template with PyYAML's pure-Python loader, JSON
  ones too (YAML is nearly a superset): a third of a second for the exchange's
  template, every time an embedded exchange is provisioned (once per test module). A
  template that is JSON is read with ``json`` (``templates_read_as_json``); any other
  goes to moto's reader.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import inspect
import json
import logging
import os
import re
import string
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import botocore.handlers
from botocore import context as botocore_context
from botocore import useragent as botocore_useragent
from botocore.awsrequest import AWSResponse, prepare_request_dict
from botocore.client import BaseClient
from botocore.endpoint import convert_to_response_dict
from botocore.model import OperationModel
from botocore.parsers import create_parser
from botocore.validate import validate_parameters
from moto import mock_aws
from moto.awslambda.responses import LambdaResponse
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.cloudformation.models import Stack as CloudFormationStack
from moto.core import responses as core_responses
from moto.core.base_backend import BaseBackend
from moto.core.botocore_stubber import MockRawResponse
from moto.core.exceptions import ServiceException
from moto.core.parse import BaseJSONParser
from moto.core.responses import ActionContext, ActionResult, BaseResponse
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import utcnow
from moto.dynamodb import comparisons as dynamodb_comparisons
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing import validators as dynamodb_validators
from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
    DepthFirstTraverser,
    Node,
)
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.moto_api._internal import mock_random
from moto.s3 import notifications as s3_notifications
from moto.secretsmanager.responses import SecretsManagerResponse
from moto.ses import models as ses_models
from moto.ses.exceptions import SesError
from moto.ses.models import SESBackend, ses_backends
from moto.sesv2 import urls as sesv2_urls
from moto.sesv2.responses import SESV2Response
from moto.stepfunctions.models import stepfunctions_backends
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.component import Component
from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse
from moto.utilities.docker_utilities import DockerModel
from werkzeug.exceptions import HTTPException

from psx.embedded.cooperative import threads_are_greenlets
from psx.embedded.running_function import running

Handler = Callable[[dict[str, Any], Any], Any]

MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

# Fixed environment of the embedded world. TZ=UTC because moto's Timestamp waits use
# local time; fake credentials so boto3 never looks for real ones.
EMBEDDED_ENVIRONMENT = {
    "TZ": "UTC",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that Powertools and Chalice read."""

    function_name: str
    memory_limit_in_mb: int = 1024
    timeout_seconds: int = 300
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "embedded"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self.started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


class FunctionRegistry:
    """Lambda function name -> in-process handler."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, function_name: str, handler: Handler) -> None:
        self._handlers[function_name] = handler

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        with running(function_name), _outside_any_aws_call():
            return self._handlers[function_name](event, LambdaContext(function_name))

    def __contains__(self, function_name: str) -> bool:
        return function_name in self._handlers


@contextmanager
def _outside_any_aws_call() -> Iterator[None]:
    """A handler runs as in a Lambda process of its own: not inside the botocore call
    that invoked it (Step Functions' Invoke), whose client context (the features its
    user agent names) each of the handler's own calls would deep-copy."""
    token = botocore_context.set_context(None)  # type: ignore[arg-type]
    try:
        yield
    finally:
        botocore_context.reset_context(token)


def _function_name(name_or_arn: str) -> str:
    # "arn:aws:lambda:region:account:function:NAME[:qualifier]" or just "NAME"
    if name_or_arn.startswith("arn:"):
        return name_or_arn.split(":")[6]
    return name_or_arn


def _invoke_in_process(registry: FunctionRegistry) -> Callable[..., bytes]:
    def invoke(
        backend: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        name = _function_name(function_name)
        event = json.loads(body) if body else {}
        try:
            result = registry.invoke(name, event)
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(
                {
                    "errorType": type(exc).__name__,
                    "errorMessage": str(exc),
                    "stackTrace": traceback.format_exception(exc),
                }
            ).encode()
        return json.dumps(result).encode()

    return invoke


def _one_at_a_time(action: Callable[[Any], Any], switch_first: bool) -> Callable[[Any], Any]:
    lock = threading.Lock()

    @functools.wraps(action)
    def serialized(handler: Any) -> Any:
        # A switch point where threads are greenlets (`psx serve`, cooperative.py): they
        # run until they block, and in-process AWS calls never block, so without it one
        # intake of thousands of rows would hold off the HTTP endpoints until it ended.
        # OS threads are switched by the interpreter anyway, and there the sleep only
        # gave the core away (a fifth of the wall time of notifying 10,000 buyers on a
        # busy machine).
        if switch_first:
            time.sleep(0)
        with lock:
            return action(handler)

    return serialized


def _with_version_id(moto_s3_event: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(moto_s3_event)
    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> Any:
        event = moto_s3_event(event_name, bucket, key, notification_id)
        if bucket.is_versioned:
            for record in event["Records"]:
                record["s3"]["object"]["versionId"] = key.version_id
        return event

    return s3_event


class QueryCandidates:
    """Patches ``Table.query`` to hand moto only the items a query can match (through
    ``Table.all_items``, for the querying thread only)."""

    def __init__(self, original_query: Callable[..., Any], original_all_items: Any) -> None:
        self._signature = inspect.signature(original_query)
        self._original_query = original_query
        self._original_all_items = original_all_items
        self._current = threading.local()

    def query(self) -> Callable[..., Any]:
        def query(table: Table, *args: Any, **kwargs: Any) -> Any:
            bound = self._signature.bind(table, *args, **kwargs).arguments
            self._current.table = table
            self._current.items = _candidates(
                table,
                bound["hash_key"],
                bound.get("index_name"),
                bound.get("hash_key_conditions") or [],
            )
            try:
                return self._original_query(table, *args, **kwargs)
            finally:
                self._current.table = None

        return query

    def all_items(self) -> Callable[[Table], list[Item]]:
        def all_items(table: Table) -> list[Item]:
            if getattr(self._current, "table", None) is table:
                items: list[Item] = self._current.items
                return items
            original: list[Item] = self._original_all_items(table)
            return original

        return all_items


def _candidates(
    table: Table, hash_key: Any, index_name: str | None, hash_conditions: list[tuple[str, Any]]
) -> list[Item]:
    if index_name is None:
        partition: Any = table.items.get(hash_key)  # {range key: item}, or the item itself
        if not partition:
            return []
        return list(partition.values()) if table.range_key_attr else [partition]
    if len(hash_conditions) == 1:
        ((name, value),) = hash_conditions
        filed = INDEXED_PARTITIONS.items(table, name, value)
        if filed is not None:
            return filed
    return [item for item in _all_items(table) if _has_values(item, hash_conditions)]


def _all_items(table: Table) -> list[Item]:
    partitions: Iterable[Any] = table.items.values()
    if table.range_key_attr:
        return [item for partition in partitions for item in partition.values()]
    return list(partitions)


# What an item is filed under: an index key's type and value as moto compares them
# (``DynamoType.__eq__`` and ``__hash__`` use the cast value: the number 1 is 1.0).
_Filed = tuple[str, Any]
_PrimaryKey = tuple[_Filed | None, _Filed | None]
# The types an index key can have: no other value equals a key condition's.
_KEY_TYPES = frozenset({"S", "N", "B"})


def _filed(value: DynamoType | None) -> _Filed | None:
    if value is None or value.type not in _KEY_TYPES:
        return None
    return value.type, value.cast_value


class _TablePartitions:
    """One table's items filed by the values of the attributes its index queries
    partition by: attribute -> value -> {primary key: item}, in the order filed."""

    def __init__(self) -> None:
        self._by_attribute: dict[str, dict[_Filed, dict[_PrimaryKey, Item]]] = {}
        # What each item is filed under, to take it out when it changes.
        self._filed_under: dict[_PrimaryKey, dict[str, _Filed]] = {}

    def items(self, table: Table, name: str, value: DynamoType) -> list[Item] | None:
        wanted = _filed(value)
        if wanted is None:
            return None  # no key condition's value: moto's own comparison tells
        partitions = self._by_attribute.get(name)
        if partitions is None:
            partitions = self._by_attribute[name] = {}
            for item in _all_items(table):
                key = (_filed(item.hash_key), _filed(item.range_key))
                self._file(name, partitions, key, item)
        return list(partitions.get(wanted, {}).values())

    def refile(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        key = (_filed(hash_key), _filed(range_key))
        item = _item_at(table, hash_key, range_key)
        for name, filed in self._filed_under.pop(key, {}).items():
            if item is None or _filed(item.attrs.get(name)) != filed:
                partition = self._by_attribute[name][filed]
                del partition[key]
                if not partition:
                    del self._by_attribute[name][filed]
        if item is not None:
            for name, partitions in self._by_attribute.items():
                self._file(name, partitions, key, item)

    def _file(
        self,
        name: str,
        partitions: dict[_Filed, dict[_PrimaryKey, Item]],
        key: _PrimaryKey,
        item: Item,
    ) -> None:
        value = _filed(item.attrs.get(name))
        if value is not None:
            # An item filed under the same value again keeps its place (a put replaces
            # the item object, an update changes it in place).
            partitions.setdefault(value, {})[key] = item
            self._filed_under.setdefault(key, {})[name] = value


def _item_at(table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> Item | None:
    items: dict[Any, Any] = table.items  # {hash key: item}, or {hash key: {range key: item}}
    if table.range_key_attr is None:
        return items.get(hash_key)
    partition = items.get(hash_key)
    return partition.get(range_key) if partition else None


class IndexedPartitions:
    """The items of each table filed by their index keys (``_TablePartitions``), from
    a table's first index query on; a table moto drops (deleted, or the world reset)
    drops its filing with it."""

    def __init__(self) -> None:
        self._tables: weakref.WeakKeyDictionary[Table, _TablePartitions] = (
            weakref.WeakKeyDictionary()
        )

    def items(self, table: Table, name: str, value: DynamoType) -> list[Item] | None:
        """The items whose ``name`` equals ``value`` (None: moto's scan must tell)."""
        partitions = self._tables.get(table)
        if partitions is None:
            partitions = self._tables[table] = _TablePartitions()
        return partitions.items(table, name, value)

    def refile(self, table: Table, hash_key: DynamoType, range_key: DynamoType | None) -> None:
        """File the item at this key again, as it now is (or take it out: gone)."""
        partitions = self._tables.get(table)
        if partitions is not None:
            partitions.refile(table, hash_key, range_key)

    def put_item(self, original: Callable[..., Item]) -> Callable[..., Item]:
        @functools.wraps(original)
        def put_item(table: Table, *args: Any, **kwargs: Any) -> Item:
            item = original(table, *args, **kwargs)
            self.refile(table, item.hash_key, item.range_key)
            return item

        return put_item

    def delete_item(self, original: Callable[..., Item | None]) -> Callable[..., Item | None]:
        @functools.wraps(original)
        def delete_item(
            table: Table, hash_key: DynamoType, range_key: DynamoType | None
        ) -> Item | None:
            try:
                return original(table, hash_key, range_key)
            finally:
                self.refile(table, hash_key, range_key)

        return delete_item

    def update_item(self, original: Callable[..., Item]) -> Callable[..., Item]:
        @functools.wraps(original)
        def update_item(
            backend: DynamoDBBackend,
            table_name: str,
            key: dict[str, Any],
            *args: Any,
            **kwargs: Any,
        ) -> Item:
            try:
                return original(backend, table_name, key, *args, **kwargs)
            finally:
                # Refiled however it ends: moto may have changed the item before failing.
                table = backend.tables.get(table_name)
                if table is not None and table.hash_key_attr in key:
                    range_attr = table.range_key_attr
                    range_key = DynamoType(key[range_attr]) if range_attr in key else None
                    if range_attr is None or range_key is not None:
                        self.refile(table, DynamoType(key[table.hash_key_attr]), range_key)

        return update_item


INDEXED_PARTITIONS = IndexedPartitions()


@contextmanager
def index_partitions_kept() -> Iterator[None]:
    """moto's item writes refiling what they change in ``INDEXED_PARTITIONS``."""
    original = Table.put_item, Table.delete_item, DynamoDBBackend.update_item
    Table.put_item = INDEXED_PARTITIONS.put_item(Table.put_item)  # type: ignore[method-assign]
    Table.delete_item = INDEXED_PARTITIONS.delete_item(Table.delete_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = INDEXED_PARTITIONS.update_item(  # type: ignore[method-assign]
        DynamoDBBackend.update_item
    )
    try:
        yield
    finally:
        Table.put_item, Table.delete_item, DynamoDBBackend.update_item = original  # type: ignore[method-assign]


def _has_values(item: Item, conditions: list[tuple[str, Any]]) -> bool:
    # As moto's own check: a missing attribute never matches (DynamoType == None raises).
    for name, value in conditions:
        found = item.attrs.get(name)
        if found is None or found != value:
            return False
    return True


class TaskClients:
    """(region, service) -> the one client moto's lambda:invoke tasks use."""

    def __init__(self, create: Callable[..., Any]) -> None:
        self._create = create
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client_for(self, region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service)
        if key not in self._clients:
            with self._lock:
                if key not in self._clients:
                    self._clients[key] = self._create(region, service, state_credentials)
        return self._clients[key]


class ParsedPrograms:
    """Definition hash -> moto's parsed program, parsed once however many executions
    start at the same time."""

    def __init__(self) -> None:
        self._programs: dict[str, EvalComponent] = {}
        self._lock = threading.Lock()

    def program(self, definition: str) -> EvalComponent:
        key = hashlib.sha256(definition.encode()).hexdigest()
        program = self._programs.get(key)
        if program is None:
            with self._lock:
                program = self._programs.get(key)
                if program is None:
                    program = AmazonStateLanguageParser.parse(definition)[0]
                    _assign_heap_keys(program, set())
                    self._programs[key] = program
        return program

    def validate(self, original: Callable[[str], None]) -> Callable[[str], None]:
        """A replacement for ``StepFunctionsParserBackend._validate_definition``: the
        definition's program parsed (and kept) here; one that does not parse gets
        moto's own error from ``original``."""

        def validated(definition: str) -> None:
            try:
                self.program(definition)
            except Exception:
                original(definition)
                raise

        return validated

    def entrypoint(self) -> Callable[[ExecutionWorker], EvalComponent]:
        """A replacement for ``ExecutionWorker._get_evaluation_entrypoint``."""

        def cached_entrypoint(worker: ExecutionWorker) -> EvalComponent:
            return self.program(worker._evaluation_details.state_machine_details.definition)

        return cached_entrypoint


PARSED_PROGRAMS = ParsedPrograms()


def _assign_heap_keys(value: object, seen: set[int]) -> None:
    """Touch ``heap_key`` on every component of a parsed program (moto draws it lazily)."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, EvalComponent):
        value.heap_key  # noqa: B018 -- assigns the key now, before threads share the program
    if isinstance(value, Component):
        children: Iterable[object] = vars(value).values()
    elif isinstance(value, list | tuple | set | frozenset):
        children = value
    elif isinstance(value, dict):
        children = value.values()
    else:
        return
    for child in children:
        _assign_heap_keys(child, seen)


class TablesByReference:
    """Stands in for the ``copy`` module inside ``moto.dynamodb.models``: a Table is
    "copied" by reference (the transaction's whole-table backup), anything else deeply."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


# (table, hash key, range key, the item as it was or None)
_Backup = tuple[Table, DynamoType, DynamoType | None, Item | None]


class TouchedItemBackups:
    """TransactWriteItems that backs up only the items it names, and puts them back
    when moto cancels the transaction (or anything else stops it half-way)."""

    def __init__(self, original: Callable[..., None]) -> None:
        self._original = original

    def transact_write_items(self) -> Callable[..., None]:
        original = self._original

        def transact(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
            backups = [b for item in transact_items[:100] if (b := _backup(backend, item))]
            try:
                original(backend, transact_items)
            except Exception:
                for table, hash_key, range_key, item in reversed(backups):
                    _restore(table, hash_key, range_key, item)
                raise

        return transact


def _backup(backend: DynamoDBBackend, transact_item: dict[str, Any]) -> _Backup | None:
    kind, operation = next(iter(transact_item.items()))
    table = backend.tables.get(operation.get("TableName", ""))
    key = operation.get("Item") if "Item" in operation else operation.get("Key")
    if table is None or not key or table.hash_key_attr not in key:
        return None  # moto refuses it before writing anything
    range_attr = table.range_key_attr
    if range_attr is not None and range_attr not in key:
        return None
    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[range_attr]) if range_attr else None
    item = table.get_item(hash_key, range_key)
    # Only an update changes the item in place; a put or delete replaces or removes it.
    return table, hash_key, range_key, copy.deepcopy(item) if kind == "Update" else item


def _restore(
    table: Table, hash_key: DynamoType, range_key: DynamoType | None, item: Item | None
) -> None:
    items: dict[Any, Any] = table.items
    if range_key is None:
        if item is None:
            items.pop(hash_key, None)
        else:
            items[hash_key] = item
    elif item is None:
        items.get(hash_key, {}).pop(range_key, None)
    else:
        items.setdefault(hash_key, {})[range_key] = item
    INDEXED_PARTITIONS.refile(table, hash_key, range_key)


def parsed_update_expressions(make: Callable[[str], Any]) -> Any:
    """``UpdateExpressionParser.make`` once per expression text (what moto's validator
    changes is its own deep copy: the canary checks it)."""
    return staticmethod(functools.lru_cache(maxsize=1024)(make))


def tree_copy(value: Any) -> Any:
    """``copy.deepcopy`` as moto's update validator uses it: a parsed expression (a tree
    of ``Node``s holding texts) is copied node by node, anything else by ``deepcopy``.
    deepcopy's generic walk (memo, reduce protocol) was a twentieth of the CPU of the
    dispatch path, for trees of a dozen nodes."""
    if isinstance(value, Node) and value.parent is None:
        return _copied_node(value, None)
    return copy.deepcopy(value)


def _copied_node(node: Node, parent: Node | None) -> Node:
    copied = object.__new__(type(node))
    for name, value in vars(node).items():
        if name == "parent":
            copied.parent = parent
        elif name == "children" and isinstance(value, list):
            copied.children = [
                _copied_node(child, copied) if isinstance(child, Node) else _kept(child)
                for child in value
            ]
        else:
            setattr(copied, name, _kept(value))
    return copied


def _kept(value: Any) -> Any:
    """An immutable value as it is (deepcopy keeps those too), anything else copied."""
    return value if isinstance(value, str | int | float | bool | None) else copy.deepcopy(value)


# What a condition parses to: the operation, and the names and values it used.
_ParsedCondition = tuple[Any, list[str], list[str]]


class ParsedConditions:
    """Stands in for moto's ``create_condition_expression_parser``: a parser whose
    ``parse`` answers the condition parsed before for the same expression, names and
    values (moto's own parser the first time). Only the names and values the expression
    mentions count: a request's others are for its update expression (a task token, a
    timeline's entry), and would make every condition a new one."""

    _KEPT = 4096

    def __init__(self, create: Callable[..., Any]) -> None:
        self._create = create
        self._parsed: dict[str, _ParsedCondition] = {}
        self._lock = threading.Lock()

    def parser(self, expression: str | None, names: Any, values: Any) -> Any:
        return _CachedParser(self, expression, names, values)

    def parsed(self, expression: str | None, names: Any, values: Any) -> _ParsedCondition:
        names, values = _mentioned(expression, names), _mentioned(expression, values)
        try:
            key = json.dumps([expression, names, values], sort_keys=True)
        except TypeError:  # not JSON (moto's requests always are): parse it every time
            return self._parse(expression, names, values)
        with self._lock:
            found = self._parsed.get(key)
        if found is None:
            found = self._parse(expression, names, values)
            with self._lock:
                if len(self._parsed) >= self._KEPT:
                    self._parsed.clear()
                self._parsed[key] = found
        return found

    def _parse(self, expression: str | None, names: Any, values: Any) -> _ParsedCondition:
        parser = self._create(expression, names, values)
        operation = parser.parse()
        return operation, list(parser.expr_attr_names_found), list(parser.expr_attr_values_found)


def _mentioned(expression: str | None, placeholders: Any) -> Any:
    """The placeholders (``#name``, ``:value``) found in the expression's text, a superset
    of those its parse looks up (moto's parser reads no other)."""
    if expression is None or not isinstance(placeholders, dict):
        return placeholders
    return {key: value for key, value in placeholders.items() if key in expression}


class _CachedParser:
    """What moto's callers use of a ConditionExpressionParser: ``parse()``, then the
    names and values it found."""

    def __init__(
        self, conditions: ParsedConditions, expression: str | None, names: Any, values: Any
    ) -> None:
        self._conditions = conditions
        self._request = expression, names, values
        self.expr_attr_names_found: list[str] = []
        self.expr_attr_values_found: list[str] = []

    def parse(self) -> Any:
        operation, names, values = self._conditions.parsed(*self._request)
        self.expr_attr_names_found, self.expr_attr_values_found = list(names), list(values)
        return operation


# The modules that call moto's condition parser by their own name for it.
_CONDITION_PARSER_USERS = (dynamodb_comparisons, dynamodb_models, dynamodb_responses)


def items_sized_once(original: Callable[..., None]) -> Callable[..., None]:
    """``Item.__init__`` checking the item's size once, with moto's own check."""

    @functools.wraps(original)
    def init(item: Item, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
        original(item, hash_key, range_key, {})
        values = [(name, DynamoType(value)) for name, value in attrs.items()]
        if values:
            *first, (last_name, last_value) = values
            dict.update(item.attrs, first)  # unchecked: the last one checks them all
            item.attrs[last_name] = last_value

    return init


# moto's measure and value of a set, element by element as it computes them for a
# string, binary or number attribute (``DynamoType.size`` and ``cast_value``).
_SET_SIZES: dict[str, Callable[[list[Any]], int]] = {
    "SS": lambda values: sum(map(bytesize, values)),
    "BS": lambda values: sum(map(bytesize, values)),
    "NS": lambda values: sum(len(str(value)) for value in values),
}
_SET_VALUES: dict[str, Callable[[list[Any]], set[Any]]] = {
    "SS": set,
    "BS": set,
    "NS": lambda values: set(map(Decimal, values)),
}
# The types whose value moto compares and measures as it holds it: its last branch,
# reached after asking whether the value is a number, a set, a list, a map or null.
_PLAIN_TYPES = frozenset({"S", "B", "BOOL"})


@contextmanager
def sets_read_at_once() -> Iterator[None]:
    """A set attribute's size and cast value computed from its elements directly.

    moto builds a ``DynamoType`` per element to measure a set (each time an item's
    attribute is set, for the 400 KB limit, every attribute of the item is measured)
    and to test ``contains`` on it: O(elements) Python objects per request. The report
    log keeps each event of a month shard in one string set, so every event recorded
    measured and searched a set of thousands (~8 % of the CPU of dispatching a
    thousand notices). An element's size is its UTF-8 bytes (a number: its text) and its
    cast value the element itself (a number: its ``Decimal``), as moto computes them.
    A string's, binary's or boolean's (most values: every key) is answered first, as
    moto's last branch answers it: ``cast_value`` is read for every hash and comparison
    of a value, keys of the table's items included."""
    original_size, original_cast_value = DynamoType.size, DynamoType.cast_value

    def size(value: DynamoType) -> int:
        kind = value.type
        if kind in _PLAIN_TYPES and kind != "BOOL":
            return bytesize(value.value)
        measure = _SET_SIZES.get(kind)
        return measure(value.value) if measure else original_size(value)

    def cast_value(value: DynamoType) -> Any:
        kind = value.type
        if kind in _PLAIN_TYPES:
            return value.value
        if kind == "N":
            return Decimal(value.value)
        cast = _SET_VALUES.get(kind)
        return cast(value.value) if cast else original_cast_value.fget(value)  # type: ignore[attr-defined]

    DynamoType.size = size  # type: ignore[method-assign,assignment]
    DynamoType.cast_value = property(cast_value)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        DynamoType.size = original_size  # type: ignore[method-assign]
        DynamoType.cast_value = original_cast_value  # type: ignore[method-assign]


# The DynamoDB operations whose answers are items (the serializer's costliest shapes):
# the reads, and the single-item writes that answer with the item (``ReturnValues``).
ITEM_ANSWERS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"}
)
_JSON_1_0 = "application/x-amz-json-1.0"


def _bytes_as_base64(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} in a DynamoDB item answer")


def item_answers_as_json(original: Callable[..., Any]) -> Callable[..., Any]:
    """``DynamoResult.execute_result`` writing the answers of ``ITEM_ANSWERS`` as JSON
    directly (errors and every other operation go through moto's serializer): the
    serializer walks every attribute of every item against its shape, ~5 % of the CPU
    of dispatching where updates answer with the whole dispatch."""

    @functools.wraps(original)
    def execute_result(result: ActionResult, context: ActionContext) -> Any:
        if context.operation_model.name not in ITEM_ANSWERS or isinstance(result.result, Exception):
            return original(result, context)
        # Only the answer's own members, as the serializer writes them: moto adds
        # others (DeleteItem's ConsumedCapacityUnits).
        members = context.operation_model.output_shape.members  # type: ignore[union-attr]
        answer = {name: value for name, value in result.result.items() if name in members}  # type: ignore[attr-defined]
        body = json.dumps(answer, default=_bytes_as_base64)
        return 200, {"Content-Type": _JSON_1_0}, body

    return execute_result


class FunctionNames:
    """What moto's ``call_action`` asks of ``method_names_from_class(cls)``: whether a
    name is among the class's functions (``inspect.getmembers(cls, inspect.isfunction)``),
    asked of that name alone."""

    def __init__(self, cls: type) -> None:
        self._cls = cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _is_function_of(self._cls, name)


@functools.cache
def _is_function_of(cls: type, name: str) -> bool:
    # Asked for every request (``dir`` lists and sorts a few hundred names each time);
    # the answers hold while the seam is in place (``actions_found_by_name`` forgets
    # them when it ends, as the seam's own actions come and go with it).
    return name in dir(cls) and inspect.isfunction(getattr(cls, name, None))


def attribute_values_by_their_keys(
    original: Callable[..., None],
) -> Callable[..., None]:
    """A JSON serializer's ``_serialize_type_structure`` that writes a DynamoDB
    AttributeValue given as a dict of its members from the members it names."""

    def serialize_structure(
        serializer: Any, serialized: Any, value: Any, shape: Any, key: str
    ) -> None:
        if not _plain_attribute_value(serializer, value, shape):
            original(serializer, serialized, value, shape, key)
            return
        wrapper = serializer.MAP_TYPE() if key else serialized
        for member_key, member_value in value.items():
            if member_value is not None:  # as moto: a member holding None is left out
                member_shape = shape.members[member_key]
                member_shape.parent = shape  # as moto sets it (its aliases read it)
                serializer._serialize(wrapper, member_value, member_shape, member_key)
        if key:
            serializer._default_serialize(serialized, wrapper, shape, key)

    return serialize_structure


def _plain_attribute_value(serializer: Any, value: Any, shape: Any) -> bool:
    return (
        shape.name == "AttributeValue"
        and isinstance(value, dict)
        and serializer.operation_model.service_model.service_name == "dynamodb"
        and not serializer._value_picker.response_transformers
        and value.keys() <= shape.members.keys()
    )


@contextmanager
def attribute_values_serialized_by_their_keys() -> Iterator[None]:
    """moto writing DynamoDB AttributeValues from the members they name."""
    original = BaseJSONSerializer._serialize_type_structure
    BaseJSONSerializer._serialize_type_structure = attribute_values_by_their_keys(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        BaseJSONSerializer._serialize_type_structure = original  # type: ignore[method-assign]


# DynamoDB's AttributeValue: its members whose values moto's parse passes through as
# they are, and those it turns into bytes or recurses into (the rest).
_PLAIN_MEMBERS = frozenset({"S", "N", "SS", "NS", "NULL", "BOOL"})
_ATTRIBUTE_VALUE_MEMBERS = _PLAIN_MEMBERS | {"B", "BS", "M", "L"}


def _attribute_value(blob: Callable[[Any], bytes], value: Any) -> Any:
    """What moto's JSON parser makes of one DynamoDB attribute value."""
    if value is None:
        return None
    parsed: dict[str, Any] = {}
    for name, member in value.items():
        if member is None or name not in _ATTRIBUTE_VALUE_MEMBERS:
            continue  # moto's parse drops absent values and members the model lacks
        if name in _PLAIN_MEMBERS:
            parsed[name] = list(member) if isinstance(member, list) else member
        elif name == "M":
            parsed[name] = {key: _attribute_value(blob, item) for key, item in member.items()}
        elif name == "L":
            parsed[name] = [_attribute_value(blob, item) for item in member]
        elif name == "B":
            parsed[name] = blob(member)
        else:  # BS
            parsed[name] = [blob(item) for item in member]
    return parsed


def attribute_values_parsed_directly(original: Callable[..., Any]) -> Callable[..., Any]:
    """``RequestParser._parse_map`` parsing a DynamoDB map of attribute values (an item, a
    key, expression values) by ``_attribute_value``; every other map by moto's parse."""

    @functools.wraps(original)
    def parse_map(parser: BaseJSONParser, shape: Any, value: Any) -> Any:
        if (
            shape.value.name == "AttributeValue"
            and parser.operation_model.service_model.service_name == "dynamodb"
        ):
            blob = parser._blob_parser
            return {name: _attribute_value(blob, item) for name, item in value.items()}
        return original(parser, shape, value)

    return parse_map


def _no_docker(model: DockerModel) -> Any:
    raise AttributeError("the embedded runtime runs functions in process, never in Docker")


no_docker = property(_no_docker)


# moto's SES v1 error codes -> what SES v2 answers for the same refusal.
_SES_V2_ERRORS = {
    "AlreadyExists": "AlreadyExistsException",
    "TemplateDoesNotExist": "NotFoundException",
    "InvalidParameterValue": "BadRequestException",
    "ValidationError": "BadRequestException",
}


class SesV2Refusal(ServiceException):
    """An SES v2 error answer. Defined outside moto's packages: moto looks an exception's
    code up in the model its module names, and ``moto.core`` names none."""


@contextmanager
def _as_ses_v2_errors() -> Iterator[None]:
    try:
        yield
    except SesError as error:
        code = _SES_V2_ERRORS.get(error.code, error.code)
        raise SesV2Refusal(code, error.message) from error


def _ses_v1(response: SESV2Response) -> SESBackend:
    backend: SESBackend = ses_backends[response.current_account][response.region]
    return backend


def _create_email_template(response: SESV2Response) -> str:
    params = json.loads(response.body)
    content = params.get("TemplateContent") or {}
    template = {
        "template_name": params.get("TemplateName", ""),
        "subject_part": content.get("Subject", ""),
        "text_part": content.get("Text", ""),
        "html_part": content.get("Html", ""),
        "Timestamp": utcnow(),  # as moto's own CreateTemplate keeps it
    }
    with _as_ses_v2_errors():
        _ses_v1(response).add_template(template)
    return "{}"


def _get_email_template(response: SESV2Response) -> str:
    name = response._get_param("TemplateName")
    with _as_ses_v2_errors():
        template = _ses_v1(response).get_template(name)
    content = {
        "Subject": template["subject_part"],
        "Text": template["text_part"],
        "Html": template["html_part"],
    }
    return json.dumps({"TemplateName": name, "TemplateContent": content})


def _send_bulk_email(response: SESV2Response) -> str:
    params = json.loads(response.body)
    template = params["DefaultContent"]["Template"]
    if "TemplateName" not in template:
        raise SesV2Refusal("BadRequestException", "the embedded SES names templates only")
    default_data = template.get("TemplateData") or "{}"
    destinations = [_bulk_destination(entry, default_data) for entry in params["BulkEmailEntries"]]
    with _as_ses_v2_errors():
        sent = _ses_v1(response).send_bulk_templated_email(
            params.get("FromEmailAddress"), template["TemplateName"], default_data, destinations
        )
    results = [{"Status": "SUCCESS", "MessageId": message_id} for message_id in sent.ids]
    return json.dumps({"BulkEmailEntryResults": results})


def _bulk_destination(entry: dict[str, Any], default_data: str) -> dict[str, Any]:
    """A v2 bulk entry as moto's v1 backend records a destination (`psx outbox` reads
    it): the entry's replacement data, else the call's default, as SES renders it."""
    replacement = entry.get("ReplacementEmailContent", {}).get("ReplacementTemplate", {})
    data = replacement.get("ReplacementTemplateData") or default_data
    return {"Destination": entry["Destination"], "ReplacementTemplateData": data}


# The lengths of the dash-separated parts of moto's SES message ids.
_MESSAGE_ID_PARTS = (16, 8, 4, 4, 4, 12, 6)


def message_id_drawn_at_once() -> str:
    """An id shaped as moto's ``get_random_message_id`` shapes it, drawn in one call."""
    letters = "".join(mock_random.choices(string.ascii_lowercase, k=sum(_MESSAGE_ID_PARTS)))
    parts, start = [], 0
    for length in _MESSAGE_ID_PARTS:
        parts.append(letters[start : start + length])
        start += length
    return "-".join(parts)


@contextmanager
def message_ids_drawn_at_once() -> Iterator[None]:
    """moto's SES naming what it sends by ``message_id_drawn_at_once``."""
    original = ses_models.get_random_message_id  # type: ignore[attr-defined]
    ses_models.get_random_message_id = message_id_drawn_at_once  # type: ignore[attr-defined]
    try:
        yield
    finally:
        ses_models.get_random_message_id = original  # type: ignore[attr-defined]


# moto's request ids: 52 letters and digits.
_REQUEST_ID_ALPHABET = string.ascii_letters + string.digits
_REQUEST_ID_LENGTH = 52


def request_id_drawn_at_once(headerdict: dict[str, Any] | None = None) -> str:
    """An id shaped as moto's ``gen_amzn_requestid_long`` shapes it, drawn in one call,
    and set in ``headerdict`` as it sets it."""
    request_id = "".join(mock_random.choices(_REQUEST_ID_ALPHABET, k=_REQUEST_ID_LENGTH))
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = request_id
    return request_id


def request_ids_only_where_written(
    original: Callable[[dict[str, str], Any], tuple[dict[str, str], Any]],
) -> Callable[[dict[str, str], Any], tuple[dict[str, str], Any]]:
    """moto's ``_enrich_response``, which searches every answer's body for an XML
    ``<RequestId>`` to fill in: a body that holds none (every JSON answer) is left
    as the search would leave it, unsearched."""

    def enrich(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if isinstance(body, str) and _REQUEST_ID_ELEMENT not in body:
            if "status" in headers:  # as moto's does before its search
                headers["status"] = str(headers["status"])
            core_responses.gen_amzn_requestid_long(headers)  # type: ignore[attr-defined]
            return headers, body
        return original(headers, body)

    return enrich


_REQUEST_ID_ELEMENT = "<RequestId>"


@contextmanager
def request_ids_drawn_at_once() -> Iterator[None]:
    """Every moto answer's request id drawn in one call (moto draws it letter by letter,
    ~2 % of the CPU of dispatching), and searched for in XML bodies only."""
    original_id = core_responses.gen_amzn_requestid_long  # type: ignore[attr-defined]
    original_enrich = BaseResponse.__dict__["_enrich_response"]
    core_responses.gen_amzn_requestid_long = request_id_drawn_at_once  # type: ignore[attr-defined]
    BaseResponse._enrich_response = staticmethod(  # type: ignore[method-assign,assignment]
        request_ids_only_where_written(original_enrich.__func__)
    )
    try:
        yield
    finally:
        core_responses.gen_amzn_requestid_long = original_id  # type: ignore[attr-defined]
        BaseResponse._enrich_response = original_enrich  # type: ignore[method-assign]


# The SES v2 actions moto lacks, as SESV2Response methods (moto dispatches by name).
SES_V2_ACTIONS: dict[str, Callable[[SESV2Response], str]] = {
    "create_email_template": _create_email_template,
    "get_email_template": _get_email_template,
    "send_bulk_email": _send_bulk_email,
}


# Their paths, for moto's server (read when it first serves SES v2).
SES_V2_PATHS = {
    "{0}/v2/email/templates$": SESV2Response.dispatch,
    "{0}/v2/email/templates/(?P<TemplateName>[^/]+)$": SESV2Response.dispatch,
    "{0}/v2/email/outbound-bulk-emails$": SESV2Response.dispatch,
}


@contextmanager
def _ses_v2_actions() -> Iterator[None]:
    """``SES_V2_ACTIONS`` on moto's SESV2Response, and ``SES_V2_PATHS`` among its paths,
    for as long as the context lasts (in process and behind `psx serve`'s moto server
    alike: both dispatch to the class)."""
    originals = {name: vars(SESV2Response).get(name) for name in SES_V2_ACTIONS}
    for name, action in SES_V2_ACTIONS.items():
        setattr(SESV2Response, name, action)
    added = [path for path in SES_V2_PATHS if path not in sesv2_urls.url_paths]
    sesv2_urls.url_paths.update({path: SES_V2_PATHS[path] for path in added})
    try:
        yield
    finally:
        for path in added:
            del sesv2_urls.url_paths[path]
        for name, original in originals.items():
            if original is None:
                delattr(SESV2Response, name)
            else:
                setattr(SESV2Response, name, original)


@contextmanager
def expressions_parsed_once() -> Iterator[None]:
    """moto's DynamoDB parsing each update expression, and each condition with its names
    and values, once."""
    original_make = UpdateExpressionParser.__dict__["make"]  # the classmethod itself
    UpdateExpressionParser.make = parsed_update_expressions(UpdateExpressionParser.make)
    original_deepcopy = dynamodb_validators.deepcopy  # type: ignore[attr-defined]
    dynamodb_validators.deepcopy = tree_copy  # type: ignore[attr-defined,assignment]
    original_condition_parser = dynamodb_comparisons.create_condition_expression_parser
    conditions = ParsedConditions(original_condition_parser)
    for module in _CONDITION_PARSER_USERS:
        module.create_condition_expression_parser = conditions.parser  # type: ignore[attr-defined]
    try:
        yield
    finally:
        UpdateExpressionParser.make = original_make
        dynamodb_validators.deepcopy = original_deepcopy  # type: ignore[attr-defined]
        for module in _CONDITION_PARSER_USERS:
            module.create_condition_expression_parser = original_condition_parser  # type: ignore[attr-defined]


# Per traverser class, what its ``_processing_map`` holds: (node class, function) pairs.
_ProcessingMap = tuple[tuple[type, Callable[[Any, Any], Any]], ...]
_PROCESSING_MAPS: dict[type, _ProcessingMap | None] = {}


def _processing_map_of(traverser: DepthFirstTraverser) -> _ProcessingMap | None:
    """The traverser's processing map as its class's functions (None: it is not one
    map of the class's own methods, and is asked for every time, as moto does)."""
    cls = type(traverser)
    if cls not in _PROCESSING_MAPS:
        made = traverser._processing_map()
        pairs = tuple(
            (node_class, getattr(method, "__func__", None)) for node_class, method in made.items()
        )
        same_methods = all(
            getattr(method, "__self__", None) is traverser
            and getattr(cls, method.__name__, None) is function
            for method, (_, function) in zip(made.values(), pairs, strict=True)
        )
        _PROCESSING_MAPS[cls] = pairs if same_methods else None  # type: ignore[assignment]
    return _PROCESSING_MAPS[cls]


_NO_CHILD_HOOK = DepthFirstTraverser.pre_processing_of_child
_TRAVERSAL_STEPS = ("nodes_to_be_processed", "process", "traverse_node_recursively")
_OWN_TRAVERSALS: dict[type, bool] = {}  # whether a class overrides a step of the traversal

# Per (traverser class, node class): the function that processes such a node (the first
# of the class's pairs that the node is an instance of), or None.
_PROCESSED_BY: dict[tuple[type, type], Callable[[Any, Any], Any] | None] = {}
_NODE_CLASSES: dict[type, bool] = {}  # whether a class is a Node (an ABC: costly to ask)


def _processing_of(pairs: _ProcessingMap, traverser_class: type, node_class: type) -> Any:
    key = traverser_class, node_class
    if key not in _PROCESSED_BY:
        _PROCESSED_BY[key] = next(
            (function for cls, function in pairs if issubclass(node_class, cls)), None
        )
    return _PROCESSED_BY[key]


def _is_node_class(node_class: type) -> bool:
    if node_class not in _NODE_CLASSES:
        _NODE_CLASSES[node_class] = issubclass(node_class, Node)
    return _NODE_CLASSES[node_class]


def _traverses_its_own_way(traverser_class: type) -> bool:
    if traverser_class not in _OWN_TRAVERSALS:
        _OWN_TRAVERSALS[traverser_class] = any(
            getattr(traverser_class, step) is not getattr(DepthFirstTraverser, step)
            for step in _TRAVERSAL_STEPS
        )
    return _OWN_TRAVERSALS[traverser_class]


def _traverse_mapped(
    traverser: DepthFirstTraverser, pairs: _ProcessingMap, node: Any, child_id: int
) -> Any:
    """moto's ``traverse_node_recursively``, asking each node class once what it is."""
    node_class = type(node)
    if not _is_node_class(node_class):
        return node
    parent_node = node.parent
    if node.children is not None:
        hooked = type(traverser).pre_processing_of_child is not _NO_CHILD_HOOK
        for i, child_node in enumerate(node.children):
            if hooked:
                traverser.pre_processing_of_child(node, i)
            _traverse_mapped(traverser, pairs, child_node, i)
    function = _processing_of(pairs, type(traverser), node_class)
    if function is not None:
        node = function(traverser, node)
        node.parent = parent_node
        if parent_node:
            parent_node.children[child_id] = node
    return node


@contextmanager
def traversals_mapped_once() -> Iterator[None]:
    """moto's update-expression traversers asking their class's processing map once.

    Each of the ~10 traversals that validate an update expression asks its traverser
    for a new dict of its processing functions twice for every node it visits
    (``nodes_to_be_processed``, then ``process``): ~2 % of the CPU of dispatching. Every
    traverser's map is the same node classes to the same methods of its class, so
    the pairs are read once per class and the methods called on the traverser. A
    traversal then asks each node class once whether it is a node and which function
    processes it (``isinstance`` against moto's abstract classes was ~3 %)."""
    original = (
        DepthFirstTraverser.nodes_to_be_processed,
        DepthFirstTraverser.process,
        DepthFirstTraverser.traverse_node_recursively,
    )

    def nodes_to_be_processed(traverser: DepthFirstTraverser) -> tuple[type, ...]:
        pairs = _processing_map_of(traverser)
        if pairs is None:
            return original[0](traverser)  # type: ignore[no-any-return]
        return tuple(node_class for node_class, _ in pairs)

    def process(traverser: DepthFirstTraverser, node: Any) -> Any:
        pairs = _processing_map_of(traverser)
        if pairs is None:
            return original[1](traverser, node)
        for node_class, function in pairs:
            if isinstance(node, node_class):
                return function(traverser, node)
        return None

    def traverse_node_recursively(
        traverser: DepthFirstTraverser, node: Any, child_id: int = -1
    ) -> Any:
        pairs = _processing_map_of(traverser)
        if pairs is None or _traverses_its_own_way(type(traverser)):
            return original[2](traverser, node, child_id)
        return _traverse_mapped(traverser, pairs, node, child_id)

    DepthFirstTraverser.nodes_to_be_processed = nodes_to_be_processed
    DepthFirstTraverser.process = process
    DepthFirstTraverser.traverse_node_recursively = traverse_node_recursively
    try:
        yield
    finally:
        (
            DepthFirstTraverser.nodes_to_be_processed,
            DepthFirstTraverser.process,
            DepthFirstTraverser.traverse_node_recursively,
        ) = original


# What a backend's URL map depends on besides its class: the settings its urls module
# reads (S3's custom endpoints) and the ISO regions switch.
_URL_SETTINGS = ("MOTO_S3_CUSTOM_ENDPOINTS", "MOTO_ENABLE_ISO_REGIONS")


@contextmanager
def backend_urls_made_once() -> Iterator[None]:
    """moto's ``BaseBackend.urls`` made once per backend class and settings.

    moto's stubber asks the backend of every request it routes for its URL map, which
    the property builds anew, and S3's backend reloads its urls module for it (twice:
    for the bases and for the paths): ~1.3 % of the CPU of dispatching, where every
    webhook attempt keeps its evidence in S3. The map is the urls module's bases and
    paths, which change only with the settings that module reads."""
    original = BaseBackend.urls
    made: dict[tuple[type, tuple[str | None, ...]], Any] = {}

    def urls(backend: BaseBackend) -> Any:
        key = (type(backend), tuple(os.environ.get(name) for name in _URL_SETTINGS))
        found = made.get(key)
        if found is None:
            found = made[key] = original.fget(backend)  # type: ignore[attr-defined]
        return found

    BaseBackend.urls = property(urls)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        BaseBackend.urls = original  # type: ignore[method-assign]


def _untracked_instance(cls: type[Item], *args: Any, **kwargs: Any) -> Item:
    # moto's BaseModel.__new__, without appending the instance to the class's list.
    return object.__new__(cls)


@contextmanager
def items_untracked() -> Iterator[None]:
    """moto's DynamoDB items not kept for its dashboard (see the module's notes)."""
    assert "__new__" not in Item.__dict__  # moto's comes from BaseModel (the canary)
    Item.__new__ = staticmethod(_untracked_instance)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        del Item.__new__


class AnsweredInProcess:
    """botocore's ``before-call`` handler for one service: while an embedded world is
    open, a request to the service's AWS endpoint is answered by moto in process
    (``answer``: what moto's handler of it answers, from the request botocore has
    serialised) and read back as botocore's endpoint reads an answer (``read``). A
    request to any other endpoint (``psx serve``'s, over HTTP) goes its way."""

    depth = 0  # embedded worlds open (one may run inside another's process)

    def __init__(
        self,
        endpoint: str,
        answer: Callable[[OperationModel, dict[str, Any], str, str], tuple[int, Any, Any]],
        read: Callable[[OperationModel, AWSResponse], dict[str, Any]],
    ) -> None:
        self._endpoint = re.compile(rf"https://{endpoint}\.([a-z0-9-]+)\.amazonaws\.com(/|$)")
        self._answer = answer
        self._read = read

    def answers(self, url: str) -> bool:
        return self._endpoint.match(url) is not None

    def __call__(
        self, model: OperationModel, params: dict[str, Any], request_signer: Any, **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        endpoint = self._endpoint.match(params["url"]) if AnsweredInProcess.depth else None
        if endpoint is None:
            return None
        credentials = request_signer._credentials  # what signing would send
        status, headers, body = self._answer(
            model, params, endpoint.group(1), credentials.access_key if credentials else ""
        )
        answer = AWSResponse(params["url"], status, headers, MockRawResponse(body))
        parsed = self._read(model, answer)
        parsed["ResponseMetadata"]["RetryAttempts"] = 0
        return answer, parsed


def _in_process(handler: BaseResponse, region: str, access_key: str, **headers: str) -> None:
    """What moto's ``setup_class`` sets on a handler from an HTTP request, from the
    request botocore serialised instead."""
    # moto reads the account from the key the request is signed with.
    handler.headers = {**headers, "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/"}
    handler.querystring = {}
    handler.method = "POST"
    handler.region = region
    handler.partition = "aws"
    handler.uri_match = {}
    handler.response_headers = {"server": "amazon.com"}
    handler.current_account = handler.get_current_account()


_DYNAMODB_TARGET = "DynamoDB_20120810."
_DYNAMODB_JSON = "application/x-amz-json-1.0"


def _dynamodb_answer(
    model: OperationModel, params: dict[str, Any], region: str, access_key: str
) -> tuple[int, Any, Any]:
    """What moto's DynamoDB answers: its own ``call_action``."""
    handler = DynamoHandler()
    _in_process(
        handler,
        region,
        access_key,
        **{"X-Amz-Target": _DYNAMODB_TARGET + model.name, "Content-Type": _DYNAMODB_JSON},
    )
    parameters = params["context"].pop(_IN_PROCESS_PARAMETERS, None)
    if parameters is None:  # serialised as for the wire
        parameters = _with_binaries_decoded(json.loads(params["body"]))
    handler.params = parameters
    return handler.call_action()  # type: ignore[no-any-return]


def _lambda_answer(
    model: OperationModel, params: dict[str, Any], region: str, access_key: str
) -> tuple[int, Any, Any]:
    """What moto's Lambda answers an Invoke (its route goes to ``invoke`` directly)."""
    handler = LambdaResponse()
    _in_process(handler, region, access_key, **params["headers"])
    handler.path = params["url_path"]
    handler.querystring = {name: [value] for name, value in params["query_string"].items()}
    body = params["body"]
    handler.body = body.decode() if isinstance(body, bytes) else body
    try:
        answer: tuple[int, Any, Any] = handler.invoke()
    except HTTPException as refusal:  # no such function: as moto's stubber answers it
        return refusal.code or 500, dict(refusal.get_headers()), refusal.get_body()
    return answer


def _json_answer(
    response_class: type[BaseResponse],
) -> Callable[[OperationModel, dict[str, Any], str, str], tuple[int, Any, Any]]:
    """What moto's handler of a JSON service whose actions read their parameters from
    the body (``_get_param``) answers: its own ``call_action``."""

    def answer(
        model: OperationModel, params: dict[str, Any], region: str, access_key: str
    ) -> tuple[int, Any, Any]:
        handler = response_class()
        _in_process(handler, region, access_key, **params["headers"])
        body = params["body"]
        handler.body = body.decode() if isinstance(body, bytes) else body
        return handler.call_action()

    return answer


# Where a DynamoDB request answered in process keeps its parameters for moto: botocore
# hands the request's context to the ``before-call`` handlers with the request.
_IN_PROCESS_PARAMETERS = "psx_in_process_parameters"


class _NotPlain(Exception):
    """A parameter value botocore's JSON would read in a way of its own (a file)."""


def _as_moto_reads(value: Any, key: str = "") -> Any:
    """DynamoDB parameters as moto reads them once botocore wrote them as JSON and
    ``_with_binaries_decoded`` read that back: the same values in fresh containers
    (tuples made lists), each binary attribute value bytes (botocore encodes a text as
    UTF-8). Only an attribute value has a member ``B`` or ``BS`` holding text or bytes
    (attributes hold objects, names and placeholders start with # and :)."""
    if isinstance(value, dict):
        return {name: _as_moto_reads(member, name) for name, member in value.items()}
    if isinstance(value, list | tuple):
        if key == "BS":
            return [_blob(member) for member in value]
        return [_as_moto_reads(member) for member in value]
    if key == "B":
        return _blob(value)
    if value is None or isinstance(value, str | bool | int):
        return value
    raise _NotPlain


def _blob(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    raise _NotPlain


class RequestsKeptInProcess:
    """``BaseClient._convert_to_request_dict`` for requests answered in process: their
    User-Agent is not built (nothing in process reads it; a tenth of what a call cost
    botocore), and a DynamoDB request's parameters, validated as botocore validates
    them, are kept for moto as ``_as_moto_reads`` gives them instead of being written
    as JSON for ``_dynamodb_answer`` to read back."""

    def __init__(self, original: Callable[..., dict[str, Any]]) -> None:
        self._original = original

    def convert(self) -> Callable[..., dict[str, Any]]:
        original = self._original

        def convert_to_request_dict(
            client: Any,
            api_params: dict[str, Any],
            operation_model: OperationModel,
            endpoint_url: str,
            context: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None,
            set_user_agent_header: bool = True,
        ) -> dict[str, Any]:
            if not _answered_here(operation_model, endpoint_url):
                return original(
                    client,
                    api_params,
                    operation_model,
                    endpoint_url,
                    context,
                    headers,
                    set_user_agent_header,
                )
            if operation_model.service_model.service_name == "dynamodb" and context is not None:
                kept = _kept_for_moto(
                    client, api_params, operation_model, endpoint_url, context, headers
                )
                if kept is not None:
                    return kept
            return original(
                client, api_params, operation_model, endpoint_url, context, headers, False
            )

        return convert_to_request_dict


def _kept_for_moto(
    client: Any,
    api_params: dict[str, Any],
    model: OperationModel,
    endpoint_url: str,
    context: dict[str, Any],
    headers: dict[str, str] | None,
) -> dict[str, Any] | None:
    """The request dict of a DynamoDB request whose parameters moto reads from its
    context (None: a parameter botocore reads in a way of its own, a file)."""
    if client.meta.config.parameter_validation and model.input_shape is not None:
        validate_parameters(api_params, model.input_shape)
    try:
        context[_IN_PROCESS_PARAMETERS] = _as_moto_reads(api_params)
    except _NotPlain:
        return None
    target = f"{model.metadata['targetPrefix']}.{model.name}"
    request_dict = {
        "url_path": "/",
        "query_string": "",
        "method": "POST",
        "headers": {"X-Amz-Target": target, "Content-Type": _DYNAMODB_JSON, **(headers or {})},
        "body": b"",
    }
    prepare_request_dict(request_dict, endpoint_url=endpoint_url, context=context)
    return request_dict


@contextmanager
def requests_kept_in_process() -> Iterator[None]:
    """Requests answered in process converted by ``RequestsKeptInProcess``."""
    original = BaseClient._convert_to_request_dict  # type: ignore[attr-defined]
    BaseClient._convert_to_request_dict = RequestsKeptInProcess(original).convert()  # type: ignore[attr-defined]
    try:
        yield
    finally:
        BaseClient._convert_to_request_dict = original  # type: ignore[attr-defined]


def _with_binaries_decoded(document: Any) -> Any:
    """A DynamoDB request's or answer's JSON as moto's parser and botocore's read it:
    each binary attribute value (``{"B": base64}``, ``{"BS": [base64, …]}``) made bytes.
    The rest needs no reading: JSON's types are the shapes' (numbers are strings,
    no timestamps in item operations), and nothing else is an object of exactly one
    member ``B`` or ``BS`` holding text (an item's or map's attributes hold objects)."""
    if isinstance(document, dict):
        if len(document) == 1:
            (name, value), *_ = document.items()
            if name == "B" and isinstance(value, str):
                return {"B": base64.b64decode(value)}
            if name == "BS" and isinstance(value, list) and all(isinstance(v, str) for v in value):
                return {"BS": [base64.b64decode(v) for v in value]}
        return {name: _with_binaries_decoded(value) for name, value in document.items()}
    if isinstance(document, list):
        return [_with_binaries_decoded(value) for value in document]
    return document


def _dynamodb_read(model: OperationModel, answer: AWSResponse) -> dict[str, Any]:
    """The answer as botocore's endpoint parses it. A success is its JSON with binary
    values decoded (what botocore's walk over the output shape makes of a DynamoDB
    answer, at a fraction of the cost); a refusal goes through botocore's own parser,
    for its error and modelled fields (``CancellationReasons``)."""
    if answer.status_code < 300:
        content = answer.content
        parsed: dict[str, Any] = json.loads(content) if content else {}
        if b'"B' in content:
            parsed = _with_binaries_decoded(parsed)
        parsed["ResponseMetadata"] = {
            "RequestId": answer.headers.get("x-amzn-requestid"),
            "HTTPStatusCode": answer.status_code,
            "HTTPHeaders": dict(answer.headers),
        }
        return parsed
    return _read_by_botocore(model, answer)


def _read_by_botocore(model: OperationModel, answer: AWSResponse) -> dict[str, Any]:
    """What botocore's endpoint makes of an answer: its output shape, or the error with
    its modelled fields (``CancellationReasons``)."""
    response = convert_to_response_dict(answer, model)
    parser = create_parser(model.service_model.resolved_protocol)
    parsed: dict[str, Any] = parser.parse(response, model.output_shape)  # type: ignore[arg-type]
    error_code = parsed.get("Error", {}).get("Code")
    error_shape = model.service_model.shape_for_error_code(error_code) if error_code else None
    if error_shape is not None:
        parsed.update(parser.parse(response, error_shape))
    return parsed


# The services answered in process, by botocore's service name: the event their
# handler answers (botocore names it by the service id), the operations (None: all)
# and the handler. Registered for every botocore session made from now on, as moto
# registers its own stubber; ``answered_in_process`` turns them on.
_ANSWERED: dict[str, tuple[str, frozenset[str] | None, AnsweredInProcess]] = {
    "dynamodb": (
        "before-call.dynamodb",
        None,
        AnsweredInProcess("dynamodb", _dynamodb_answer, _dynamodb_read),
    ),
    "lambda": (
        "before-call.lambda.Invoke",
        frozenset({"Invoke"}),
        AnsweredInProcess("lambda", _lambda_answer, _read_by_botocore),
    ),
    "secretsmanager": (
        "before-call.secrets-manager",
        None,
        AnsweredInProcess(
            "secretsmanager", _json_answer(SecretsManagerResponse), _read_by_botocore
        ),
    ),
    "stepfunctions": (
        "before-call.sfn",
        None,
        AnsweredInProcess("states", _json_answer(StepFunctionResponse), _read_by_botocore),
    ),
}
for _event, _operations, _handler in _ANSWERED.values():
    botocore.handlers.BUILTIN_HANDLERS.append((_event, _handler))


def _answered_here(model: OperationModel, endpoint_url: str) -> bool:
    """Whether a request will be answered in process (an embedded world is open and it
    goes to an AWS endpoint of a service answered so)."""
    if not AnsweredInProcess.depth:
        return False
    _event, operations, handler = _ANSWERED.get(model.service_model.service_name, ("", None, None))
    return (
        handler is not None
        and (operations is None or model.name in operations)
        and handler.answers(endpoint_url)
    )


@contextmanager
def answered_in_process() -> Iterator[None]:
    """DynamoDB, Secrets Manager and Step Functions requests and Lambda invocations
    answered by moto in process, without the wire (inside ``mock_aws``: moto's own
    stubber answers the rest)."""
    AnsweredInProcess.depth += 1
    try:
        yield
    finally:
        AnsweredInProcess.depth -= 1


@contextmanager
def user_agents_sanitized_once() -> Iterator[None]:
    """botocore's user-agent parts cleaned once per text (``lru_cache``)."""
    original = botocore_useragent.sanitize_user_agent_string_component
    botocore_useragent.sanitize_user_agent_string_component = functools.lru_cache(maxsize=1024)(
        original
    )
    try:
        yield
    finally:
        botocore_useragent.sanitize_user_agent_string_component = original


@contextmanager
def items_written_and_answered_cheaply() -> Iterator[None]:
    """moto's DynamoDB checking each item's size once, parsing attribute values
    directly, and writing the answers of ``ITEM_ANSWERS`` as JSON directly."""
    own = DynamoResult.__dict__.get("execute_result")  # moto's inherits ActionResult's
    DynamoResult.execute_result = item_answers_as_json(DynamoResult.execute_result)  # type: ignore[method-assign]
    original_item_init = Item.__init__
    Item.__init__ = items_sized_once(original_item_init)  # type: ignore[method-assign]
    own_parse_map = BaseJSONParser.__dict__.get("_parse_map")  # moto's inherits the base's
    BaseJSONParser._parse_map = attribute_values_parsed_directly(BaseJSONParser._parse_map)  # type: ignore[method-assign]
    try:
        yield
    finally:
        if own_parse_map is None:
            del BaseJSONParser._parse_map
        else:
            BaseJSONParser._parse_map = own_parse_map  # type: ignore[method-assign]
        Item.__init__ = original_item_init  # type: ignore[method-assign]
        if own is None:
            del DynamoResult.execute_result
        else:
            DynamoResult.execute_result = own  # type: ignore[method-assign]


@contextmanager
def actions_found_by_name() -> Iterator[None]:
    """moto looking up each request's action by its name (``FunctionNames``)."""
    original = core_responses.method_names_from_class  # type: ignore[attr-defined]
    core_responses.method_names_from_class = FunctionNames  # type: ignore[attr-defined,assignment]
    try:
        yield
    finally:
        core_responses.method_names_from_class = original  # type: ignore[attr-defined]
        _is_function_of.cache_clear()


@contextmanager
def templates_read_as_json() -> Iterator[None]:
    """moto's ``Stack.parse_template``, reading a JSON template with ``json``."""
    original = CloudFormationStack.parse_template

    def parse_template(template: str) -> dict[str, Any]:
        try:
            parsed = json.loads(template)
        except ValueError:
            parsed = None
        return parsed if isinstance(parsed, dict) else original(template)

    CloudFormationStack.parse_template = staticmethod(parse_template)  # type: ignore[method-assign]
    try:
        yield
    finally:
        CloudFormationStack.parse_template = staticmethod(original)  # type: ignore[method-assign]


@contextmanager
def definitions_parsed_once() -> Iterator[None]:
    """Executions, and moto's validation of a definition it is given, take their
    program from ``PARSED_PROGRAMS``."""
    original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    original_validate = StepFunctionsParserBackend._validate_definition
    ExecutionWorker._get_evaluation_entrypoint = PARSED_PROGRAMS.entrypoint()  # type: ignore[method-assign,assignment]
    StepFunctionsParserBackend._validate_definition = staticmethod(  # type: ignore[method-assign,assignment]
        PARSED_PROGRAMS.validate(original_validate)
    )
    try:
        yield
    finally:
        ExecutionWorker._get_evaluation_entrypoint = original_entrypoint  # type: ignore[method-assign]
        StepFunctionsParserBackend._validate_definition = staticmethod(original_validate)  # type: ignore[method-assign]


@contextmanager
def embedded_aws(registry: FunctionRegistry) -> Iterator[None]:
    """moto with real Step Functions execution and Lambda routed to ``registry``."""
    saved_environment = {name: os.environ.get(name) for name in EMBEDDED_ENVIRONMENT}
    os.environ.update(EMBEDDED_ENVIRONMENT)
    time.tzset()
    original_invoke = LambdaSimpleBackend.invoke
    LambdaSimpleBackend.invoke = _invoke_in_process(registry)  # type: ignore[method-assign]
    original_dynamodb_action = DynamoHandler.call_action
    DynamoHandler.call_action = _one_at_a_time(  # type: ignore[method-assign]
        original_dynamodb_action, threads_are_greenlets()
    )
    original_s3_event = s3_notifications._get_s3_event
    s3_notifications._get_s3_event = _with_version_id(original_s3_event)
    original_task_client = lambda_eval_utils.boto_client_for  # type: ignore[attr-defined]
    lambda_eval_utils.boto_client_for = TaskClients(original_task_client).client_for  # type: ignore[attr-defined]
    original_json_path_parses = json_path.parse, result_path.parse  # type: ignore[attr-defined]
    json_path.parse = functools.lru_cache(maxsize=4096)(json_path.parse)  # type: ignore[attr-defined]
    result_path.parse = functools.lru_cache(maxsize=4096)(result_path.parse)  # type: ignore[attr-defined]
    original_query, original_all_items = Table.query, Table.all_items
    candidates = QueryCandidates(original_query, original_all_items)
    Table.query = candidates.query()  # type: ignore[method-assign]
    Table.all_items = candidates.all_items()  # type: ignore[method-assign,assignment]
    original_docker_client = DockerModel.docker_client
    DockerModel.docker_client = no_docker  # type: ignore[method-assign,assignment]
    original_copy = dynamodb_models.copy  # type: ignore[attr-defined]
    dynamodb_models.copy = TablesByReference()  # type: ignore[attr-defined,assignment]
    original_transact = DynamoDBBackend.transact_write_items
    backups = TouchedItemBackups(original_transact)
    DynamoDBBackend.transact_write_items = backups.transact_write_items()  # type: ignore[method-assign]
    # moto logs a stack trace for every failure path a workflow takes on purpose.
    logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
    try:
        with (
            expressions_parsed_once(),
            traversals_mapped_once(),
            definitions_parsed_once(),
            templates_read_as_json(),
            items_written_and_answered_cheaply(),
            items_untracked(),
            index_partitions_kept(),
            sets_read_at_once(),
            actions_found_by_name(),
            backend_urls_made_once(),
            attribute_values_serialized_by_their_keys(),
            mock_aws(config=MOTO_CONFIG),
            answered_in_process(),
            requests_kept_in_process(),
            user_agents_sanitized_once(),
            _ses_v2_actions(),
            message_ids_drawn_at_once(),
            request_ids_drawn_at_once(),
        ):
            yield
    finally:
        LambdaSimpleBackend.invoke = original_invoke  # type: ignore[method-assign]
        DynamoHandler.call_action = original_dynamodb_action  # type: ignore[method-assign]
        s3_notifications._get_s3_event = original_s3_event
        lambda_eval_utils.boto_client_for = original_task_client  # type: ignore[attr-defined]
        json_path.parse, result_path.parse = original_json_path_parses  # type: ignore[attr-defined]
        Table.query = original_query  # type: ignore[method-assign]
        Table.all_items = original_all_items  # type: ignore[method-assign]
        DockerModel.docker_client = original_docker_client  # type: ignore[method-assign]
        dynamodb_models.copy = original_copy  # type: ignore[attr-defined]
        DynamoDBBackend.transact_write_items = original_transact  # type: ignore[method-assign]
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        time.tzset()


def publish_stack_state_machines(sfn_client: Any, account_id: str, region: str) -> list[str]:
    """Make CloudFormation-created state machines executable; returns their ARNs."""
    published = []
    existing = {m["stateMachineArn"] for m in sfn_client.list_state_machines()["stateMachines"]}
    for machine in stepfunctions_backends[account_id][region].state_machines:
        if machine.arn in existing:
            continue
        created = sfn_client.create_state_machine(
            name=machine.name,
            definition=machine.definition,
            roleArn=machine.roleArn,
            type=machine.type,
        )
        published.append(created["stateMachineArn"])
    return published


def substitute_literal_subs(value: Any) -> Any:
    """Resolve ``{"Fn::Sub": [text, {name: "literal"}]}`` ourselves, recursively."""
    if isinstance(value, list):
        return [substitute_literal_subs(item) for item in value]
    if not isinstance(value, dict):
        return value
    sub = value.get("Fn::Sub")
    if isinstance(sub, list) and all(isinstance(v, str) for v in sub[1].values()):
        text: str = sub[0]
        for name, literal in sub[1].items():
            text = text.replace("${" + name + "}", literal)
        return text
    return {key: substitute_literal_subs(item) for key, item in value.items()}
