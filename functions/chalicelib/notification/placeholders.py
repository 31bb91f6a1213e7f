"""The one per-buyer value of a shared buyer message, as an SES template placeholder.

A buyer message is rendered once per (notice version, platform, kind, language) and sent
to every buyer with SES bulk templated sending (``SendBulkEmail``, up to 50 destinations
a call). The order date, the only value that differs per buyer, appears in the subject,
text and HTML only as Handlebars, the syntax SES templates use:

    {{#if order_date}}Order date: {{order_date}}{{/if}}

Each destination's ``ReplacementTemplateData`` is ``{"order_date": "<date as the
buyer's language writes it>"}``, or ``{"order_date": ""}`` without a date (an empty
value is false for ``#if``; the key is always present because SES fails the rendering
of a destination whose data lacks a referenced key). ``substitute`` does exactly what
SES does with that data, for single sends, the outbox and tests.

Two rules keep this exact:
- a replacement value never contains an HTML-special character (SES's escaping of
  ``{{…}}`` values then cannot change it: dates are digits, letters, spaces, dots);
- text from a notice never contains ``{{`` or ``}}`` (``inert`` breaks them with a
  zero-width space), so only our placeholders are Handlebars.
"""

from __future__ import annotations

import re

ORDER_DATE = "order_date"
VARIABLE = "{{" + ORDER_DATE + "}}"
IF_OPEN = "{{#if " + ORDER_DATE + "}}"
IF_CLOSE = "{{/if}}"

_CONDITIONAL = re.compile(re.escape(IF_OPEN) + "(.*?)" + re.escape(IF_CLOSE), re.DOTALL)
_HTML_SPECIAL = frozenset("<>&\"'`=")
_ZERO_WIDTH_SPACE = "\u200b"


def inert(text: str) -> str:
    """``text`` with no Handlebars delimiters left in it."""
    if "{{" not in text and "}}" not in text:
        return text
    return text.replace("{{", "{" + _ZERO_WIDTH_SPACE + "{").replace(
        "}}", "}" + _ZERO_WIDTH_SPACE + "}"
    )


def replacement_data(order_date: str) -> dict[str, str]:
    if _HTML_SPECIAL.intersection(order_date) or "{" in order_date or "}" in order_date:
        raise ValueError(f"{order_date!r} would be changed by SES's escaping")
    return {ORDER_DATE: order_date}


def substitute(template: str, data: dict[str, str]) -> str:
    """``template`` with the placeholders replaced as SES replaces them for ``data``."""
    value = data[ORDER_DATE]
    shown = _CONDITIONAL.sub(lambda match: match.group(1) if value else "", template)
    return shown.replace(VARIABLE, value)
