"""Errors as RFC 9457 problem details (``application/problem+json``), and the one place
where domain exceptions become HTTP answers (``problem_for``).

Every problem has a ``type`` (``urn:psx:problem:<slug>``, listed in docs/api.md) that
clients branch on, a human ``title``/``detail``, and for invalid input ``errors``: one
entry per field, located by a JSON pointer into the body, a query parameter or a header.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal, cast

from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails

from chalicelib.dispatch.push import UnknownDispatch
from chalicelib.dispatch.waits import DispatchClosed
from chalicelib.notices.versions import ConcurrentWriteError
from chalicelib.record_size import RecordTooLarge
from chalicelib.stores.item_size import ItemTooLarge
from chalicelib.stores.signing_secrets import SigningSecretNotFound

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:psx:problem:"


class FieldError(BaseModel):
    detail: str
    code: str
    pointer: str | None = Field(
        default=None, description="JSON pointer into the request body, e.g. #/listings/0/url."
    )
    parameter: str | None = Field(default=None, description="The query parameter at fault.")
    header: str | None = Field(default=None, description="The request header at fault.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="urn:psx:problem:<slug>; see docs/api.md for the list.")
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class ApiProblem(Exception):
    """Raised anywhere in the API's logic to answer with a problem."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        errors: Iterable[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or title)
        self.problem = Problem(
            type=TYPE_PREFIX + slug, title=title, status=status, detail=detail, errors=list(errors)
        )
        self.headers = headers or {}


def not_found(what: str) -> ApiProblem:
    # The same answer whether the thing does not exist or belongs to someone else:
    # another tenant's data must not even be confirmed to exist.
    return ApiProblem(404, "not-found", "Not found", f"no {what} here")


def conflict(slug: str, title: str, detail: str) -> ApiProblem:
    return ApiProblem(409, slug, title, detail)


Location = Literal["body", "query"]


def invalid(errors: list[FieldError], detail: str = "the request is not valid") -> ApiProblem:
    return ApiProblem(400, "validation-error", "Invalid request", detail, errors)


def validation_problem(
    exc: ValidationError, where: Location = "body", data: Any = None
) -> ApiProblem:
    """Pydantic's objections, each located in ``data`` (the request as sent)."""
    return invalid([_field_error(error, where, data) for error in exc.errors()])


def _field_error(error: ErrorDetails, where: Location, data: Any) -> FieldError:
    path = _path_in(data, error["loc"], missing=error["type"] == "missing")
    code, detail = error["type"], error["msg"].removeprefix("Value error, ")
    if where == "query":
        return FieldError(detail=detail, code=code, parameter=".".join(map(str, path)) or None)
    return FieldError(detail=detail, code=code, pointer=json_pointer(path))


def _path_in(data: Any, loc: tuple[int | str, ...], missing: bool) -> list[int | str]:
    """The parts of pydantic's ``loc`` that name places in the data. The others are the
    names of union members or validators (``str``, ``list[str]``), which mean nothing
    to the client; a missing field's name is kept though it is not in the data."""
    path: list[int | str] = []
    node = data
    for index, part in enumerate(loc):
        if _holds(node, part):
            node = node[part]
        elif not (missing and index == len(loc) - 1):
            continue
        path.append(part)
    return path


def _holds(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def json_pointer(parts: Iterable[object]) -> str:
    """RFC 6901 pointer, as a URI fragment (``#/listings/0/url``)."""
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in parts)
    return "#" + "".join(f"/{part}" for part in escaped)


def _too_large(exc: RecordTooLarge) -> ApiProblem:
    """The request's content would not fit one stored record: its largest field is named."""
    error = FieldError(detail=str(exc), code="too_large", pointer=json_pointer(exc.field))
    return invalid([error], "the request holds more than one record may store")


# Domain exceptions and their answers, most specific first.
_DOMAIN_PROBLEMS: list[tuple[type[Exception], Callable[[Exception], ApiProblem]]] = [
    (ValidationError, lambda exc: validation_problem(cast(ValidationError, exc))),
    # A bound upstream let through an item DynamoDB would refuse: too large all the same.
    (ItemTooLarge, lambda exc: ApiProblem(413, "record-too-large", "Too large", str(exc))),
    (RecordTooLarge, lambda exc: _too_large(cast(RecordTooLarge, exc))),
    (
        DispatchClosed,
        lambda exc: conflict(
            "notice-closed",
            "This version is closed",
            f"{exc}: it was superseded by an amendment or withdrawn; answer the latest version",
        ),
    ),
    (UnknownDispatch, lambda exc: not_found("such notice")),
    (
        SigningSecretNotFound,
        # The secret's name is ours to know, not the platform's.
        lambda exc: conflict(
            "no-webhook", "No webhook signing secret", "no signing secret is set up for you"
        ),
    ),
    (
        ConcurrentWriteError,
        lambda exc: ApiProblem(
            409, "concurrent-update", "Changed concurrently", str(exc), headers={"Retry-After": "1"}
        ),
    ),
]


def problem_for(exc: Exception) -> ApiProblem | None:
    """The HTTP answer for a domain exception; None for the unexpected (a 500)."""
    if isinstance(exc, ApiProblem):
        return exc
    for exception_type, answer in _DOMAIN_PROBLEMS:
        if isinstance(exc, exception_type):
            return answer(exc)
    return None


def problem_from_status(status: int, detail: str | None) -> Problem:
    """For answers Chalice itself makes (405, 415, 500): the same shape as ours."""
    slugs = {
        405: ("method-not-allowed", "Method not allowed"),
        415: ("unsupported-media-type", "Unsupported media type"),
    }
    if status >= 500:
        slug, title = "internal-error", "Internal error"
        detail = "an internal error occurred; it was logged"
    else:
        slug, title = slugs.get(status, ("bad-request", "Bad request"))
    return Problem(type=TYPE_PREFIX + slug, title=title, status=status, detail=detail)
