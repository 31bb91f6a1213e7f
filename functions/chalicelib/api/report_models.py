"""The compliance report's query and answer (``GET /v1/reports/compliance``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.api.models import EARLIEST_TIME, LATEST_TIME, Id
from chalicelib.reports.figures import Figures
from chalicelib.reports.report import Grouping

# A year and a day: a Pledge period is half a year, a yearly report a year.
MAX_REPORT_DAYS = 366
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day_text(value: object) -> object:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise PydanticCustomError("date_format", "must be a date YYYY-MM-DD, e.g. 2026-07-01")
    return value


def _day_in_window(day: date) -> date:
    if not EARLIEST_TIME.date() <= day < LATEST_TIME.date():
        raise PydanticCustomError("time_range", "must lie in 1970-01-01 to 2099-12-31")
    return day


QueryDay = Annotated[date, BeforeValidator(_day_text), AfterValidator(_day_in_window)]


class ComplianceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    from_: QueryDay = Field(
        alias="from", description="First day of the period (UTC), by when notices were sent."
    )
    to: QueryDay = Field(description="Last day of the period (UTC, inclusive).")
    platform: Id | None = Field(
        default=None, description="Only this platform (regulators; a platform sees itself)."
    )
    group: Grouping | None = Field(
        default=None, description="Also give each week (ISO) or month inside the period."
    )

    @field_validator("to")
    @classmethod
    def _after_from(cls, to: date, info: ValidationInfo) -> date:
        start = info.data.get("from_")
        if start is None:
            return to
        if to < start:
            raise PydanticCustomError("period_order", "must not be before from")
        if (to - start).days >= MAX_REPORT_DAYS:
            raise PydanticCustomError(
                "period_length", f"the period may span at most {MAX_REPORT_DAYS} days"
            )
        return to


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


class ComplianceRow(_Response):
    platform_id: str
    regulator_id: str = Field(description='A regulator, or "*": every regulator in view.')
    bucket: str = Field(description='"*" (the whole period), a week 2026-W27 or a month 2026-07.')
    figures: Figures = Field(description="Defined in docs/reports.md; null: not available.")


class OpenEscalation(_Response):
    notice_id: str
    version: int
    platform_id: str
    regulator_id: str
    title: str | None
    waiting_for: str
    deadline: datetime | None


class ComplianceReportView(_Response):
    period_start: date
    period_end: date = Field(description="The last day of the period (inclusive).")
    group: Grouping | None
    rows: list[ComplianceRow]
    open_escalations: list[OpenEscalation]
