"""The synthesized template sets exactly the settings the code reads (psx/configuration.py)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.settings import SETTINGS
from psx import configuration
from psx.configuration import problems, reads_in, template_variables


def _function_variables(template: dict[str, Any]) -> set[str]:
    names = set(template["Globals"]["Function"]["Environment"]["Variables"])
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            names |= set(resource["Properties"].get("Environment", {}).get("Variables", {}))
    return names


def test_every_function_gets_what_the_declarations_say(template: dict[str, Any]) -> None:
    chalice_config = json.loads((configuration.ROOT / "chalice.json").read_text())
    in_template = _function_variables(template)
    assert in_template == template_variables(chalice_config)
    assert problems(SETTINGS, reads_in(configuration.SCANNED), in_template) == []
