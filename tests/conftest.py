"""Shared fixtures: one embedded exchange per test module.

A fresh exchange per module keeps state from leaking between capabilities (a platform
registered by one module would otherwise receive every later module's notices); tests
in a module keep to their own regulator and platform ids.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from psx.embedded.runtime import EmbeddedRuntime

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture(scope="module")
def runtime() -> Iterator[EmbeddedRuntime]:
    with EmbeddedRuntime() as embedded:
        yield embedded


_regulator_numbers = itertools.count()


@pytest.fixture
def regulator_id() -> str:
    """A regulator id no other test uses."""
    return f"reg-{next(_regulator_numbers)}-{uuid.uuid4().hex[:6]}"
