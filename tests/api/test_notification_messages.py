"""GET …/recall-notice and …/statements-of-reasons: the rendered messages of a notice,
for its regulator and the platforms it went to, in every format, and their problems."""

from __future__ import annotations

import pytest

from tests.api.support import Api, Caller, listing, new_platform, new_regulator, seed_notice

RECALL_PAGE = "https://shop.example/recall/42"


@pytest.fixture(scope="module")
def cast(api: Api) -> tuple[Caller, Caller, Caller]:
    return new_regulator(), new_platform(), new_platform()


def _recall(api: Api, notice_id: str, caller: Caller, **params: str):  # type: ignore[no-untyped-def]
    return api.get(f"/v1/notices/{notice_id}/recall-notice", caller, **params)


def _statements(api: Api, notice_id: str, caller: Caller, **params: str):  # type: ignore[no-untyped-def]
    return api.get(f"/v1/notices/{notice_id}/statements-of-reasons", caller, **params)


def test_a_platform_gets_the_recall_notice_in_the_language_asked(
    api: Api, cast: tuple[Caller, Caller, Caller]
) -> None:
    regulator, platform, _ = cast
    notice_id = seed_notice(regulator, [platform])

    answer = _recall(api, notice_id, platform, language="ko", notice_url=RECALL_PAGE)

    assert answer.status == 200, answer
    assert answer.headers["Content-Language"] == "ko"
    message = answer.body["message"]
    assert (message["kind"], message["language"], message["fallback_language"]) == (
        "recall",
        "ko",
        False,
    )
    assert "제품 안전 리콜" in message["text"] and "Magnetic toy" in message["html"]
    assert "{{#if order_date}}" in message["text"]
    assert message["sms"].endswith(RECALL_PAGE)
    assert answer.body["platform_id"] == platform.id


@pytest.mark.parametrize(
    ("format_name", "media_type", "marker"),
    [("html", "text/html", "<!DOCTYPE html>"), ("text", "text/plain", "Produktsicherheitsrückruf")],
)
def test_html_and_text_come_as_documents(
    api: Api, cast: tuple[Caller, Caller, Caller], format_name: str, media_type: str, marker: str
) -> None:
    regulator, platform, _ = cast
    notice_id = seed_notice(regulator, [platform])

    answer = _recall(
        api, notice_id, platform, language="de", format=format_name, notice_url=RECALL_PAGE
    )

    assert answer.status == 200
    assert answer.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert marker in answer.body


def test_country_then_english_with_the_fallback_said(
    api: Api, cast: tuple[Caller, Caller, Caller]
) -> None:
    regulator, platform, _ = cast
    notice_id = seed_notice(regulator, [platform])

    by_country = _recall(api, notice_id, platform, country="FR", notice_url=RECALL_PAGE)
    fallback = _recall(api, notice_id, platform, language="ja", notice_url=RECALL_PAGE)

    assert by_country.body["message"]["language"] == "fr"
    assert fallback.body["message"]["language"] == "en"
    assert fallback.body["message"]["fallback_language"] is True


def test_the_regulator_names_the_platform_when_there_are_several(
    api: Api, cast: tuple[Caller, Caller, Caller]
) -> None:
    regulator, platform, other = cast
    notice_id = seed_notice(regulator, [platform, other])

    unnamed = _recall(api, notice_id, regulator, notice_url=RECALL_PAGE)
    named = _recall(api, notice_id, regulator, notice_url=RECALL_PAGE, platform_id=other.id)
    another_platforms = _recall(
        api, notice_id, platform, notice_url=RECALL_PAGE, platform_id=other.id
    )

    assert unnamed.status == 400
    assert unnamed.body["errors"][0]["parameter"] == "platform_id"
    assert named.status == 200 and named.body["platform_id"] == other.id
    assert another_platforms.status == 404


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"language": "xx", "notice_url": RECALL_PAGE}, "language"),
        ({"format": "pdf", "notice_url": RECALL_PAGE}, "format"),
        ({"country": "ZZ", "notice_url": RECALL_PAGE}, "country"),
        ({}, "notice_url"),  # the seeded notice has no page of its own
    ],
)
def test_bad_parameters_are_problems_naming_the_parameter(
    api: Api, cast: tuple[Caller, Caller, Caller], params: dict[str, str], parameter: str
) -> None:
    regulator, platform, _ = cast
    notice_id = seed_notice(regulator, [platform])

    answer = _recall(api, notice_id, platform, **params)

    assert answer.status == 400, answer
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert [error["parameter"] for error in answer.body["errors"]] == [parameter]


def _reported(api: Api, regulator: Caller, platform: Caller) -> str:
    notice_id = seed_notice(regulator, [platform])
    report = {
        "listings": [
            listing("L-1", "removed"),
            listing("L-2", "warning_shown"),
            listing("L-3", "no_match"),
        ]
    }
    assert api.post(f"/v1/notices/{notice_id}/actions", report, platform).status == 201
    return notice_id


def test_statements_of_reasons_for_each_listing_acted_on(
    api: Api, cast: tuple[Caller, Caller, Caller]
) -> None:
    regulator, platform, _ = cast
    notice_id = _reported(api, regulator, platform)

    mine = _statements(api, notice_id, platform, language="en")
    regulators = _statements(api, notice_id, regulator, language="pl")

    assert mine.status == 200, mine
    statements = mine.body["statements"]
    assert [(s["listing_id"], s["action"]) for s in statements] == [
        ("L-1", "removed"),
        ("L-2", "warning_shown"),
    ]
    assert "Your listing has been removed." in statements[0]["message"]["text"]
    assert regulators.status == 200
    assert regulators.body["statements"][0]["message"]["language"] == "pl"


def test_one_statement_as_a_document_and_unknown_listings(
    api: Api, cast: tuple[Caller, Caller, Caller]
) -> None:
    regulator, platform, _ = cast
    notice_id = _reported(api, regulator, platform)

    html = _statements(api, notice_id, platform, listing_id="L-2", format="html")
    without_listing = _statements(api, notice_id, platform, format="text")
    unknown = _statements(api, notice_id, platform, listing_id="L-404")
    not_acted_on = _statements(api, notice_id, platform, listing_id="L-3")

    assert html.status == 200 and "A warning is shown on your listing." in html.body
    assert without_listing.status == 400
    assert without_listing.body["errors"][0]["parameter"] == "listing_id"
    assert unknown.status == not_acted_on.status == 404


def test_dsa_database_records_only_for_eu_measures(
    api: Api, cast: tuple[Caller, Caller, Caller]
) -> None:
    regulator, platform, _ = cast
    notice_id = _reported(api, regulator, platform)

    korean = _statements(api, notice_id, platform, format="dsa-tdb")

    assert korean.status == 409
    assert korean.body["type"] == "urn:psx:problem:not-for-dsa-database"
