"""Small readers of CloudFormation templates for the infrastructure tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def of_type(resources: dict[str, Any], resource_type: str) -> dict[str, Any]:
    return {k: r for k, r in resources.items() if r["Type"] == resource_type}


def get_att_target(value: Any) -> str:
    """``{"Fn::GetAtt": ["X", "Arn"]}`` -> ``"X"``."""
    assert isinstance(value, dict) and "Fn::GetAtt" in value, value
    target: str = value["Fn::GetAtt"][0]
    return target


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        yield from policy["PolicyDocument"]["Statement"]


def referenced_ids(value: Any) -> set[str]:
    """Logical ids (and pseudo parameters) a fragment refers to via Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref":
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0] if isinstance(item, list) else item.split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (item, {}) if isinstance(item, str) else item
                found |= {
                    name.split(".")[0]
                    for name in _sub_variables(text)
                    if name.split(".")[0] not in variables
                }
                found |= referenced_ids(variables)
            else:
                found |= referenced_ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= referenced_ids(item)
    return found


def _sub_variables(text: str) -> list[str]:
    names = []
    start = text.find("${")
    while start != -1:
        end = text.index("}", start)
        if text[start + 2] != "!":
            names.append(text[start + 2 : end])
        start = text.find("${", end)
    return names
