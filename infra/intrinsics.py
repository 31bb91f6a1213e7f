"""CloudFormation's intrinsic functions as small builders; every infra module uses them."""

from __future__ import annotations

from typing import Any

# A resource, a policy statement or any other piece of a template.
Template = dict[str, Any]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}
