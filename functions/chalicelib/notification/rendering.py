"""What buyers and sellers are told: recall notices (GPSR Art. 36) and statements of
reasons (DSA Art. 17), in the person's language. Pure domain: nothing here sends.

A buyer message depends only on (notice version, platform, kind, language), so one
rendering serves every buyer of that group (SES bulk templated sending); the per-buyer
order date is an SES placeholder (``placeholders.py`` has the convention) that
``personalise`` fills exactly as SES does.

Text from the notice stays as the regulator wrote it, labelled with its language; the
fixed wording comes from the gettext catalogues (``languages.py``) and never softens the
hazard (``notices/softening.py``; a test checks every catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from chalicelib.dispatch.actions import Listing, ListingAction
from chalicelib.identifiers.regulators import regulator_profile
from chalicelib.notices.model import Notice, NoticeKind, Product
from chalicelib.notification import placeholders, sms
from chalicelib.notification.dsa_tdb import (
    DECISION_VISIBILITY,
    dsa_tdb_record,
    legal_ground,
    territorial_scope,
)
from chalicelib.notification.languages import (
    choose_language,
    country_name,
    environment,
    language_name,
    long_date,
    translations,
)
from chalicelib.platforms.model import Platform

__all__ = [
    "MessageKind",
    "RenderedMessage",
    "choose_language",
    "dsa_tdb_record",
    "personalise",
    "render_buyer_message",
    "render_seller_statement",
    "ses_replacement_data",
]


class MessageKind(StrEnum):
    RECALL = "recall"
    UPDATED_RECALL = "updated_recall"
    RECALL_WITHDRAWN = "recall_withdrawn"
    STATEMENT_OF_REASONS = "statement_of_reasons"


BUYER_KINDS = (MessageKind.RECALL, MessageKind.UPDATED_RECALL, MessageKind.RECALL_WITHDRAWN)


@dataclass(frozen=True)
class RenderedMessage:
    kind: MessageKind
    language: str
    # True when neither the requested language nor the country's main language was
    # available and the message is in English.
    fallback_language: bool
    subject: str
    text: str
    html: str
    # At most two SMS segments, with the link to the notice; no placeholder.
    sms: str


def _text(value: str | None) -> str | None:
    return placeholders.inert(value) if value else None


def _listed(values: Iterable[str]) -> str | None:
    return placeholders.inert(", ".join(values)) or None


def _web_url(value: str | None) -> str | None:
    """Only http(s) links reach a message (no javascript:, data: or file: URLs)."""
    if value and urlsplit(value).scheme in {"http", "https"}:
        return placeholders.inert(value)
    return None


def product_label(product: Product) -> str:
    """How a message names the product: its name, else what identifies it."""
    if product.name:
        return product.name
    named = " ".join(part for part in (product.brand, *product.models[:1]) if part)
    identifiers = [*product.barcodes, *product.suspect_barcodes, *product.kc_certificates]
    return named or (identifiers[0] if identifiers else "")


def _notice_fields(notice: Notice, language: str) -> dict[str, Any]:
    """What every message shows of a notice: product, hazard, authority, reference."""
    content = notice.content
    product = content.product
    regulator = regulator_profile(notice.regulator_id)
    return {
        "lang": language,
        "product_name": _text(product_label(product)),
        "product_description": _text(product.description),
        "brand": _text(product.brand),
        "models": _listed(product.models),
        "barcodes": _listed([*product.barcodes, *product.suspect_barcodes]),
        "batch_numbers": _listed(product.batch_numbers),
        "kc_certificates": _listed(product.kc_certificates),
        "picture": next(filter(None, map(_web_url, product.pictures)), None),
        "hazard_types": _listed(content.hazard.types),
        "hazard_description": _text(content.hazard.description),
        "risk_level": _text(content.hazard.risk_level),
        "regulator_name": placeholders.inert(regulator.name),
        "regulator_contact": _text(regulator.consumer_contact),
        "reference": placeholders.inert(content.source_reference),
        "issued_on": long_date(content.issued_on, language) if content.issued_on else None,
        "source_url": _web_url(content.source_url),
        "source_lang": content.language or "",
        "source_language": language_name(content.language, language)
        if content.language
        else translations(language).gettext("the language of the notice"),
    }


def _buyer_subject(kind: MessageKind, product: str, language: str) -> str:
    gettext = translations(language).gettext
    subjects = {
        MessageKind.RECALL: gettext("Product safety recall: %(product)s"),
        MessageKind.UPDATED_RECALL: gettext("Product safety recall, updated: %(product)s"),
        MessageKind.RECALL_WITHDRAWN: gettext("Product safety recall withdrawn: %(product)s"),
    }
    return subjects[kind] % {"product": product}


def _buyer_heading(kind: MessageKind, language: str) -> str:
    gettext = translations(language).gettext
    headings = {
        MessageKind.RECALL: gettext("Product safety recall"),
        MessageKind.UPDATED_RECALL: gettext("Product safety recall: updated information"),
        MessageKind.RECALL_WITHDRAWN: gettext("Product safety recall withdrawn"),
    }
    return headings[kind]


def _buyer_sms(kind: MessageKind, product: str, notice_url: str, language: str) -> str:
    gettext = translations(language).gettext
    if kind is MessageKind.RECALL_WITHDRAWN:
        template = gettext("Product safety recall withdrawn: %(product)s. Details: %(url)s")
    elif kind is MessageKind.UPDATED_RECALL:
        template = gettext(
            "Product safety recall, updated: %(product)s. Stop using it now. Details: %(url)s"
        )
    else:
        template = gettext(
            "Product safety recall: %(product)s. Stop using it now. Details: %(url)s"
        )

    def compose(name: str) -> str:
        return template % {"product": name, "url": notice_url}

    return sms.fit(compose, product)


def render_buyer_message(
    kind: MessageKind,
    notice: Notice,
    platform: Platform,
    *,
    language: str | None,
    country: str | None,
    notice_url: str,
) -> RenderedMessage:
    """The message every buyer of ``notice`` on ``platform`` in one language gets."""
    if kind not in BUYER_KINDS:
        raise ValueError(f"{kind} is not a buyer message")
    chosen, fallback = choose_language(language, country)
    fields = _notice_fields(notice, chosen)
    product = product_label(notice.content.product)
    view = {
        **fields,
        "kind": kind.value,
        "heading": _buyer_heading(kind, chosen),
        "platform_name": placeholders.inert(platform.name),
        "platform_contact": _text(platform.contact_email),
        "notice_contact": _text(notice.content.consumer_contact),
        "remedy": _text(notice.content.remedy),
        "notice_url": _web_url(notice_url),
        "if_order_date": placeholders.IF_OPEN,
        "order_date": placeholders.VARIABLE,
        "end_if": placeholders.IF_CLOSE,
    }
    env = environment(chosen)
    return RenderedMessage(
        kind=kind,
        language=chosen,
        fallback_language=fallback,
        subject=placeholders.inert(_buyer_subject(kind, product, chosen)),
        text=env.get_template("buyer.txt.j2").render(m=SimpleNamespace(**view)),
        html=env.get_template("buyer.html.j2").render(m=SimpleNamespace(**view)),
        sms=_buyer_sms(kind, product, notice_url, chosen),
    )


def ses_replacement_data(message: RenderedMessage, order_date: date | None) -> dict[str, str]:
    """One destination's ReplacementTemplateData for ``message`` sent as an SES template."""
    shown = long_date(order_date, message.language) if order_date else ""
    return placeholders.replacement_data(shown)


def personalise(message: RenderedMessage, order_date: date | None) -> RenderedMessage:
    """``message`` as SES delivers it to a buyer with ``order_date``."""
    data = ses_replacement_data(message, order_date)
    return replace(
        message,
        subject=placeholders.substitute(message.subject, data),
        text=placeholders.substitute(message.text, data),
        html=placeholders.substitute(message.html, data),
    )


def N_(message: str) -> str:
    """Marks ``message`` for extraction into the catalogues; translated where shown."""
    return message


_MEASURES = {
    ListingAction.REMOVED: N_("Your listing has been removed."),
    ListingAction.ACCESS_DISABLED: N_("Access to your listing has been disabled."),
    ListingAction.WARNING_SHOWN: N_("A warning is shown on your listing."),
}


def _statement_fields(
    notice: Notice, platform: Platform, listing: Listing, language: str
) -> dict[str, Any]:
    gettext = translations(language).gettext
    jurisdiction = notice.content.jurisdiction
    scope = territorial_scope(notice, platform)
    ground = legal_ground(jurisdiction) or gettext("the product safety law of %(country)s") % {
        "country": country_name(jurisdiction, language)
    }
    return {
        "measure": gettext(_MEASURES[listing.action]),
        "acted_on": long_date(listing.acted_at.date(), language),
        "territory": ", ".join(country_name(code, language) for code in scope),
        "legal_ground": placeholders.inert(ground),
        "listing_title": placeholders.inert(listing.title),
        "listing_id": placeholders.inert(listing.listing_id),
        "listing_url": _web_url(listing.url),
        "order": notice.content.kind is NoticeKind.ORDER,
    }


def render_seller_statement(
    notice: Notice,
    platform: Platform,
    listing: Listing,
    *,
    language: str | None,
    country: str | None,
) -> RenderedMessage:
    """The statement of reasons owed to the seller of ``listing`` (DSA Art. 17)."""
    if listing.action not in DECISION_VISIBILITY:
        raise ValueError(f"listing {listing.listing_id} was not acted on ({listing.action})")
    chosen, fallback = choose_language(language, country)
    view = {
        **_notice_fields(notice, chosen),
        **_statement_fields(notice, platform, listing, chosen),
        "platform_name": placeholders.inert(platform.name),
        "platform_contact": _text(platform.contact_email),
    }
    gettext = translations(chosen).gettext
    env = environment(chosen)
    subject = gettext("Statement of reasons: %(listing)s") % {"listing": view["listing_title"]}
    sms_template = gettext("Statement of reasons for your listing %(listing)s: %(measure)s")
    return RenderedMessage(
        kind=MessageKind.STATEMENT_OF_REASONS,
        language=chosen,
        fallback_language=fallback,
        subject=subject,
        text=env.get_template("statement.txt.j2").render(m=SimpleNamespace(**view)),
        html=env.get_template("statement.html.j2").render(m=SimpleNamespace(**view)),
        sms=sms.fit(
            lambda title: sms_template % {"listing": title, "measure": view["measure"]},
            listing.title,
        ),
    )
