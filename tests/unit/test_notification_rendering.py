"""Buyer recall notices and seller statements of reasons: every template in every
language, the catalogues, SES placeholders, SMS length and the DSA database record."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from moto.ses.template import parse_template

from chalicelib.dispatch.actions import ListingAction
from chalicelib.notices.model import NoticeKind
from chalicelib.notices.softening import softening_phrases
from chalicelib.notification import placeholders, sms
from chalicelib.notification.dsa_tdb import NotForTransparencyDatabase
from chalicelib.notification.languages import (
    PACKAGE,
    SUPPORTED_LANGUAGES,
    catalogue_path,
    choose_language,
    language_name,
    long_date,
    translations,
)
from chalicelib.notification.rendering import (
    BUYER_KINDS,
    MessageKind,
    RenderedMessage,
    dsa_tdb_record,
    personalise,
    render_buyer_message,
    render_seller_statement,
    ses_replacement_data,
)
from tests.support.notification_samples import NOTICE_URL, korean_notice, listing, temu

_PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _buyer(kind: MessageKind, language: str, **changes: object) -> RenderedMessage:
    return render_buyer_message(
        kind,
        korean_notice(**changes),
        temu(),
        language=language,
        country=None,
        notice_url=NOTICE_URL,
    )


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language)


# -- language choice ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "country", "expected"),
    [
        ("ko", "DE", ("ko", False)),
        ("DE", None, ("de", False)),
        ("ko-KR", None, ("ko", False)),
        ("de_AT", "FR", ("de", False)),
        ("ja", "FR", ("fr", False)),
        (None, "AT", ("de", False)),
        (None, "KR", ("ko", False)),
        ("en", "JP", ("en", False)),
        ("ja", "JP", ("en", True)),
        (None, "BE", ("en", True)),
        (None, None, ("en", True)),
    ],
)
def test_language_is_requested_then_country_then_english(
    requested: str | None, country: str | None, expected: tuple[str, bool]
) -> None:
    assert choose_language(requested, country) == expected


def test_a_buyer_message_records_the_fallback() -> None:
    message = render_buyer_message(
        MessageKind.RECALL,
        korean_notice(),
        temu(),
        language="ja",
        country="JP",
        notice_url=NOTICE_URL,
    )
    assert (message.language, message.fallback_language) == ("en", True)


# -- required parts, every template in every language --------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("kind", [MessageKind.RECALL, MessageKind.UPDATED_RECALL])
def test_recall_notice_has_every_required_part(kind: MessageKind, language: str) -> None:
    gettext = translations(language).gettext
    message = _buyer(kind, language)
    stop = gettext("Stop using it now.")
    for body, shown in ((message.text, str), (unescape(message.html), str)):
        for part in (
            gettext("Product safety recall"),
            "어린이용 전기 히터",  # name
            "따뜻한아이",  # brand
            "WK-200, WK-210",  # models
            "8801234567893",  # barcodes, suspect ones too
            "880123456789",
            "B2026-11",  # batch
            "Temu",  # where sold
            placeholders.IF_OPEN,  # when: the order date, per buyer
            placeholders.VARIABLE,
            "과열로 화재가 발생할 수 있습니다.",  # hazard, as written
            "심각한 위험",
            stop,
            gettext("Get the remedy below. It is free of charge."),
            "무상 환불",  # remedy
            "1372",  # the regulator's consumer contact
            "product-safety@temu.example",  # the platform's
            language_name("ko", language),  # the notice's own text, labelled
            "KFTC-2026-0412",
            NOTICE_URL,
        ):
            assert shown(part) in body, (kind, language, part)
        # What to do starts with "stop using it now".
        assert body.index(shown(stop), body.index(shown(gettext("What to do")))) < body.index(
            shown(gettext("Keep it away from children and anyone else who could use it."))
        )
    assert '<img src="https://img.example/heater.jpg"' in message.html
    assert message.subject.startswith(gettext("Product safety recall")[:6])
    assert NOTICE_URL in message.sms
    if kind is MessageKind.UPDATED_RECALL:
        replaces = gettext(
            "This notice replaces the recall notice you received earlier about this product."
        )
        assert replaces in message.text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_withdrawal_notice_names_the_product_and_the_contacts(language: str) -> None:
    gettext = translations(language).gettext
    message = _buyer(MessageKind.RECALL_WITHDRAWN, language)
    for body, shown in ((message.text, str), (unescape(message.html), str)):
        for part in (
            gettext("Product safety recall withdrawn"),
            gettext("The earlier recall notice about this product no longer applies."),
            "어린이용 전기 히터",
            "1372",
            "product-safety@temu.example",
        ):
            assert shown(part) in body, (language, part)
        assert shown(gettext("Stop using it now.")) not in body
    assert NOTICE_URL in message.sms


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize(
    "action", [ListingAction.REMOVED, ListingAction.ACCESS_DISABLED, ListingAction.WARNING_SHOWN]
)
def test_statement_of_reasons_has_every_required_part(action: ListingAction, language: str) -> None:
    gettext = translations(language).gettext
    measures = {
        ListingAction.REMOVED: "Your listing has been removed.",
        ListingAction.ACCESS_DISABLED: "Access to your listing has been disabled.",
        ListingAction.WARNING_SHOWN: "A warning is shown on your listing.",
    }
    message = render_seller_statement(
        korean_notice(), temu(), listing(action), language=language, country=None
    )
    assert message.kind is MessageKind.STATEMENT_OF_REASONS
    for body, shown in ((message.text, str), (unescape(message.html), str)):
        for part in (
            gettext(measures[action]),  # the measure
            gettext("Territorial scope"),
            gettext("Indefinite: until the authority withdraws or changes its notice."),
            gettext("The measure carries out an order from a public authority."),  # facts
            "공정거래위원회",
            "KFTC-2026-0412",
            long_date(date(2026, 11, 20), language),
            "과열로 화재가 발생할 수 있습니다.",
            gettext(  # automated means
                "The decision was taken on the basis of the authority's notice, "
                "not by automated means."
            ),
            "제품안전기본법",  # the legal ground
            gettext(
                "Out-of-court dispute settlement: you can refer the decision to a "
                "certified out-of-court dispute settlement body."
            ),
            gettext("Courts: you can challenge the decision before the courts."),
            "Kids electric heater WK-200",
            "TM-778899",
        ):
            assert shown(part) in body, (action, language, part)
        complaint = gettext(
            "Internal complaint: you can complain about this decision to %(platform)s, free "
            "of charge, for at least 6 months from the date of this statement."
        ) % {"platform": "Temu"}
        assert shown(complaint) in body


def test_territorial_scope_is_named_in_the_sellers_language() -> None:
    message = render_seller_statement(
        korean_notice(), temu(), listing(), language="de", country=None
    )
    assert "Südkorea" in message.text


def test_a_listing_without_a_measure_gets_no_statement() -> None:
    with pytest.raises(ValueError, match="not acted on"):
        render_seller_statement(
            korean_notice(), temu(), listing(ListingAction.NO_MATCH), language="en", country=None
        )


# -- catalogues ---------------------------------------------------------------------


def _extracted_ids() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.j2", "jinja2")]
    keywords = {"_": None, "gettext": None, "N_": None}
    return {
        message
        for _, _, message, _, _ in extract_from_dir(PACKAGE, method_map, keywords=keywords)
        if isinstance(message, str)
    }


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    catalogue = _catalogue(language)
    entries = {message.id: message for message in catalogue if message.id}
    assert set(entries) == _extracted_ids(), "run the pybabel commands in the README"
    for msgid, message in entries.items():
        assert isinstance(msgid, str) and isinstance(message.string, str)
        assert message.string.strip(), (language, msgid)
        assert not message.fuzzy, (language, msgid)
        assert sorted(_PLACEHOLDER.findall(message.string)) == sorted(
            _PLACEHOLDER.findall(msgid)
        ), (language, msgid)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_fixed_wording_never_softens_the_hazard(language: str) -> None:
    for message in _catalogue(language):
        if message.id:
            assert softening_phrases(str(message.string)) == [], (language, message.string)


def _english_fragments() -> set[str]:
    """Pieces of fixed English wording long enough not to occur by chance."""
    fragments = set()
    for message in _catalogue("en"):
        if message.id:
            for piece in _PLACEHOLDER.split(str(message.id)):
                if len(piece.split()) >= 2 and len(piece.strip()) >= 12:
                    fragments.add(piece.strip())
    return fragments


@pytest.mark.parametrize("language", [code for code in SUPPORTED_LANGUAGES if code != "en"])
def test_no_english_fixed_wording_leaks_into_another_language(language: str) -> None:
    fragments = _english_fragments()
    messages = [_buyer(kind, language) for kind in BUYER_KINDS]
    for action in (
        ListingAction.REMOVED,
        ListingAction.ACCESS_DISABLED,
        ListingAction.WARNING_SHOWN,
    ):
        messages.append(
            render_seller_statement(
                korean_notice(), temu(), listing(action), language=language, country=None
            )
        )
    for message in messages:
        for body in (message.subject, message.text, message.html, message.sms):
            leaked = [fragment for fragment in fragments if fragment in body]
            assert leaked == [], (language, message.kind, leaked)


# -- HTML ---------------------------------------------------------------------------


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.loaded: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in {"src", "href", "srcset", "background", "data"} and tag != "a":
                self.loaded.append((tag, name, value or ""))


@pytest.mark.parametrize("kind", BUYER_KINDS)
def test_html_loads_nothing_remote_but_the_product_picture(kind: MessageKind) -> None:
    message = _buyer(kind, "fr")
    parser = _Resources()
    parser.feed(message.html)
    assert parser.loaded == [("img", "src", "https://img.example/heater.jpg")]
    assert not parser.tags & {"style", "link", "script", "iframe", "object"}


def test_notice_text_is_escaped_in_html_and_inert_for_ses() -> None:
    product = korean_notice().content.product.model_copy(
        update={"name": "<script>alert(1)</script> {{order_date}}", "pictures": ["javascript:x"]}
    )
    message = _buyer(MessageKind.RECALL, "en", product=product)
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html
    assert "<img" not in message.html  # a picture that is not http(s) is left out
    shown = personalise(message, date(2026, 10, 1))
    assert "{\u200b{order_date}\u200b}" in shown.text  # the notice's braces stay as written


# -- SES placeholders -----------------------------------------------------------------


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("order_date", [date(2026, 10, 1), None])
def test_personalise_is_what_ses_makes_of_the_template(
    language: str, order_date: date | None
) -> None:
    for kind in BUYER_KINDS:
        message = _buyer(kind, language)
        data = ses_replacement_data(message, order_date)
        mine = personalise(message, order_date)
        # moto's SES renders templates (Handlebars subset) as SES does.
        assert mine.subject == parse_template(message.subject, data)
        assert mine.text == parse_template(message.text, data)
        assert mine.html == parse_template(message.html, data)
        shown_date = long_date(order_date, language) if order_date else None
        if shown_date:
            assert shown_date in mine.text and shown_date in mine.html
        gettext = translations(language).gettext
        assert (gettext("Order date") in mine.text) is bool(order_date)
        assert "{{" not in mine.text and "{{" not in mine.html


def test_replacement_data_always_carries_the_key() -> None:
    message = _buyer(MessageKind.RECALL, "ko")
    assert ses_replacement_data(message, None) == {"order_date": ""}
    assert ses_replacement_data(message, date(2026, 10, 1)) == {"order_date": "2026년 10월 1일"}


def test_a_value_ses_would_escape_is_refused() -> None:
    with pytest.raises(ValueError, match="escaping"):
        placeholders.replacement_data("1 < 2")


def test_the_shared_message_holds_no_buyer_value() -> None:
    first = _buyer(MessageKind.RECALL, "de")
    again = _buyer(MessageKind.RECALL, "de")
    assert first == again
    assert personalise(first, date(2026, 10, 1)) != personalise(first, date(2026, 9, 1))


# -- SMS ----------------------------------------------------------------------------


def test_segments_follow_gsm7_and_ucs2() -> None:
    assert sms.segments("a" * 160) == 1
    assert sms.segments("a" * 161) == 2
    assert sms.segments("a" * 306) == 2
    assert sms.segments("a" * 307) == 3
    assert sms.segments("€" * 80) == 1
    assert sms.segments("€" * 81) == 2
    assert sms.segments("가" * 70) == 1
    assert sms.segments("가" * 71) == 2
    assert sms.segments("가" * 134) == 2
    assert sms.segments("가" * 135) == 3


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_sms_fits_two_segments_even_for_a_long_name(language: str) -> None:
    long_name = "Kinder Heizlüfter mit Thermostat und Überhitzungsschutz " * 6
    product = korean_notice().content.product.model_copy(update={"name": long_name})
    for kind in BUYER_KINDS:
        message = _buyer(kind, language, product=product)
        assert sms.segments(message.sms) <= 2, (language, kind, message.sms)
        assert message.sms.endswith(NOTICE_URL)
        assert "Kinder Heiz" in message.sms
    statement = render_seller_statement(
        korean_notice(), temu(), listing(title=long_name), language=language, country=None
    )
    assert sms.segments(statement.sms) <= 2


def test_an_sms_that_cannot_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="two segments"):
        render_buyer_message(
            MessageKind.RECALL,
            korean_notice(),
            temu(),
            language="en",
            country=None,
            notice_url="https://psx.example/" + "x" * 400,
        )


# -- DSA Transparency Database ----------------------------------------------------------

_TDB_FIELDS = {
    "decision_visibility",
    "decision_ground",
    "category",
    "illegal_content_legal_ground",
    "illegal_content_explanation",
    "territorial_scope",
    "content_type",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "puid",
}


def _eu_notice(**changes: object):  # type: ignore[no-untyped-def]
    return korean_notice(**{"jurisdiction": "DE", "language": "de", **changes})


@pytest.mark.parametrize(
    ("action", "visibility"),
    [
        (ListingAction.REMOVED, "DECISION_VISIBILITY_CONTENT_REMOVED"),
        (ListingAction.ACCESS_DISABLED, "DECISION_VISIBILITY_CONTENT_DISABLED"),
        (ListingAction.WARNING_SHOWN, "DECISION_VISIBILITY_CONTENT_LABELLED"),
    ],
)
def test_dsa_record_has_exactly_the_documented_fields(
    action: ListingAction, visibility: str
) -> None:
    record = dsa_tdb_record(_eu_notice(), temu(), listing(action))
    assert set(record) == _TDB_FIELDS
    assert record["decision_visibility"] == [visibility]
    assert record["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert record["category"] == "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
    assert record["content_type"] == ["CONTENT_TYPE_PRODUCT"]
    assert record["territorial_scope"] == ["DE"]
    assert record["application_date"] == "2026-11-22"
    assert record["source_type"] == "SOURCE_TYPE_OTHER_NOTIFICATION"  # an order
    assert record["automated_detection"] in {"Yes", "No"}
    assert record["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,500}", str(record["puid"]))
    assert len(str(record["illegal_content_legal_ground"])) <= 500
    assert len(str(record["illegal_content_explanation"])) <= 2000
    assert len(str(record["decision_facts"])) <= 5000
    assert "KFTC-2026-0412" in str(record["decision_facts"])


def test_dsa_record_carries_no_personal_data() -> None:
    acted = listing(seller_id="kim.minji@example.kr")
    record = dsa_tdb_record(_eu_notice(), temu(), acted)
    values = repr(record)
    for personal in (acted.seller_id, acted.url, acted.title, "080-000-0000"):
        assert personal not in values


def test_dsa_record_for_a_notice_and_a_union_wide_one() -> None:
    notice = _eu_notice(kind=NoticeKind.NOTICE, jurisdiction="EU")
    record = dsa_tdb_record(notice, temu(), listing())
    assert record["source_type"] == "SOURCE_ARTICLE_16"
    assert len(record["territorial_scope"]) == 27  # type: ignore[arg-type]
    in_two = dsa_tdb_record(notice, temu(jurisdictions=["FR", "NL", "KR"]), listing())
    assert in_two["territorial_scope"] == ["FR", "NL"]


def test_dsa_record_puid_is_stable_and_safe() -> None:
    odd = listing(listing_id="shop/778 899?x")
    first = dsa_tdb_record(_eu_notice(), temu(), odd)["puid"]
    assert first == dsa_tdb_record(_eu_notice(), temu(), odd)["puid"]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", str(first))
    assert first != dsa_tdb_record(_eu_notice(), temu(), listing())["puid"]


def test_dsa_record_is_refused_outside_the_eea() -> None:
    with pytest.raises(NotForTransparencyDatabase, match="KR"):
        dsa_tdb_record(korean_notice(), temu(), listing())


def test_catalogue_sources_are_in_the_repository() -> None:
    # No compiled catalogue is kept: the .po files are the only source (README).
    assert not list(Path(PACKAGE, "locale").rglob("*.mo"))
