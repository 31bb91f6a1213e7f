"""Who is calling: a platform or a regulator, as the API key authorizer established."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from chalicelib.identifiers.participants import PLATFORM_ID_PATTERN, REGULATOR_ID_PATTERN


class PrincipalKind(StrEnum):
    PLATFORM = "platform"
    REGULATOR = "regulator"


_ID_PATTERNS = {
    PrincipalKind.PLATFORM: re.compile(PLATFORM_ID_PATTERN),
    PrincipalKind.REGULATOR: re.compile(REGULATOR_ID_PATTERN),
}


class InvalidPrincipal(ValueError):
    """Not ``platform:<id>`` or ``regulator:<id>`` with a valid id."""


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: str

    def __post_init__(self) -> None:
        if not _ID_PATTERNS[self.kind].fullmatch(self.id):
            raise InvalidPrincipal(f"{self.id!r} is not a valid {self.kind.value} id")

    def __str__(self) -> str:
        """The authorizer's ``principalId``: ``platform:temu``, ``regulator:kftc``."""
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Principal:
        kind, _, principal_id = text.partition(":")
        try:
            return cls(PrincipalKind(kind), principal_id)
        except ValueError as exc:
            raise InvalidPrincipal(f"{text!r} is not platform:<id> or regulator:<id>") from exc
