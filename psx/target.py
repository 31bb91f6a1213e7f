"""Which exchange the CLI talks to: a running `psx serve`, or a stack on real AWS.

``--endpoint-url`` (or PSX_ENDPOINT_URL) points boto3 at `psx serve`; without it the
usual AWS credentials and region are used. Resource names come from the stack's
outputs, the same outputs the functions' environment is built from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from infra.stack import output_name

DEFAULT_STACK = "psx-dev"
_LOCAL_DEFAULTS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}


class TargetError(RuntimeError):
    """The exchange could not be reached or is not deployed under that stack name."""


@dataclass
class Target:
    stack_name: str = DEFAULT_STACK
    endpoint_url: str | None = None
    _outputs: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.endpoint_url:
            # Domain code builds its own clients: AWS_ENDPOINT_URL points them all at
            # `psx serve`, which accepts any credentials.
            os.environ["AWS_ENDPOINT_URL"] = self.endpoint_url
            for name, value in _LOCAL_DEFAULTS.items():
                os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]

    def output(self, environment_variable: str) -> str:
        """The value functions see as ``environment_variable`` (e.g. PSX_INTAKE_BUCKET)."""
        return self.output_named(output_name(environment_variable))

    def output_named(self, name: str) -> str:
        if not self._outputs:
            self._outputs = self._read_outputs()
        if name not in self._outputs:
            raise TargetError(f"stack {self.stack_name!r} has no output {name}: redeploy it")
        return self._outputs[name]

    def _read_outputs(self) -> dict[str, str]:
        where = self.endpoint_url or "AWS"
        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=self.stack_name)
        except ClientError as exc:
            message = exc.response["Error"]["Message"]
            raise TargetError(f"stack {self.stack_name!r} not found at {where}: {message}") from exc
        except BotoCoreError as exc:
            raise TargetError(
                f"cannot reach {where} ({exc}); is `psx serve` running, or are AWS "
                "credentials configured?"
            ) from exc
        return {o["OutputKey"]: o["OutputValue"] for o in stacks["Stacks"][0].get("Outputs", [])}
