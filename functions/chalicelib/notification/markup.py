"""HTML pieces the e-mail templates repeat, as Jinja filters: inline styles (e-mail
clients drop style sheets), every value escaped. Filters rather than macros because a
macro call costs about ten times more, and plain string joins rather than
``Markup.format`` for the same reason (bench/rendering.py)."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from chalicelib.notification.placeholders import IF_CLOSE, IF_OPEN

# How a row's value is shown: as text (""), a link, only when the buyer's order date
# is known (an SES placeholder), or as text in a language (its ISO 639-1 code).
LINK = "link"
IF_ORDER_DATE = "if_order_date"

_TABLE = '<table style="border-collapse:collapse;font-size:15px">\n'
_LABEL = (
    '<tr><th style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;color:#555;'
    'font-weight:normal;white-space:nowrap">'
)
_CELL = '</th><td style="padding:4px 0"'
_SECTION = (
    '<h2 style="font-size:18px;margin:24px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px">'
)


def section(title: str) -> Markup:
    return Markup(f"{_SECTION}{escape(title)}</h2>")


def table(rows: Iterable[tuple[str, str | None, str]]) -> Markup:
    """A label/value table of the rows that have a value."""
    cells = [_TABLE]
    for label, value, shown in rows:
        if not value:
            continue
        row = f"{_LABEL}{escape(label)}{_CELL}{_value(escape(value), shown)}</td></tr>\n"
        cells.append(f"{IF_OPEN}{row}{IF_CLOSE}" if shown == IF_ORDER_DATE else row)
    cells.append("</table>")
    return Markup("".join(cells))


def _value(value: Markup, shown: str) -> str:
    """The rest of the value's cell, from the end of its opening tag."""
    if shown == LINK:
        return f'><a href="{value}" style="color:#0b57d0">{value}</a>'
    if shown and shown != IF_ORDER_DATE:
        return f' lang="{escape(shown)}">{value}'
    return f">{value}"


def underline(title: str, rule: str = "-") -> str:
    """A plain-text title over a rule as long as the title."""
    return f"{title}\n{rule * len(title)}"
