"""What every `psx` command group shares: exit codes, error exit, target options."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from psx.target import DEFAULT_STACK

EXIT_REFUSED = 1
EXIT_UNREACHABLE = 3
EXIT_TIMEOUT = 4


def exit_with(message: str, code: int) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


def target_options(command: Any) -> Any:
    command = click.option(
        "--endpoint-url",
        envvar="PSX_ENDPOINT_URL",
        help="AWS endpoint of `psx serve`; omit to use real AWS with the usual credentials.",
    )(command)
    return click.option("--stack", default=DEFAULT_STACK, show_default=True)(command)
