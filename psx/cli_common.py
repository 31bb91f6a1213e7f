"""What every `psx` command group shares: exit codes, error exit, target options."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from psx.target import DEFAULT_STACK, TargetError
from psx.terminal import echo, printable

EXIT_REFUSED = 1
EXIT_UNREACHABLE = 3
EXIT_TIMEOUT = 4


def exit_with(message: str, code: int) -> NoReturn:
    echo(f"Error: {message}", err=True)
    sys.exit(code)


def target_options(command: Any) -> Any:
    command = click.option(
        "--endpoint-url",
        envvar="PSX_ENDPOINT_URL",
        help="AWS endpoint of `psx serve`; omit to use real AWS with the usual credentials.",
    )(command)
    return click.option("--stack", default=DEFAULT_STACK, show_default=True)(command)


@contextmanager
def reported_errors(*expected: type[Exception]) -> Iterator[None]:
    """Every expected failure of a command, as a clear message and exit code; ``expected``
    are the command's own domain errors (shown as they are)."""
    try:
        yield
    except TargetError as exc:
        exit_with(str(exc), EXIT_UNREACHABLE)
    except ValidationError as exc:
        raise click.UsageError(printable(validation_message(exc))) from exc
    except expected as exc:
        raise click.ClickException(printable(str(exc))) from exc
    except ClientError as exc:
        error = exc.response["Error"]
        message = printable(f"AWS refused: {error['Code']}: {error['Message']}")
        raise click.ClickException(message) from exc
    except BotoCoreError as exc:
        exit_with(f"cannot reach AWS: {exc}", EXIT_UNREACHABLE)


def validation_message(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        message = error["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {message}" if field else message)
    return "; ".join(problems)
