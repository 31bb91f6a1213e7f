"""The synthesized template (tests/support/template.py), read once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.template import synthesized_template


@pytest.fixture(scope="session")
def template_file(pytestconfig: pytest.Config) -> Path:
    return synthesized_template(pytestconfig)


@pytest.fixture(scope="session")
def template(template_file: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(template_file.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found
