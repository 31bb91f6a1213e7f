"""Jurisdiction codes (ISO 3166-1 alpha-2, plus EU) and the language a notice defaults to."""

from __future__ import annotations

_ISO_3166_ALPHA2_TEXT = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO
    BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP
    GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG
    KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML
    MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE
    PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL
    SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM
    US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
"""
ISO_3166_ALPHA2 = frozenset(_ISO_3166_ALPHA2_TEXT.split())
UNION_WIDE = "EU"
# The 27 member states only: EEA states (NO, IS, LI) and the UK are not in the union.
_EU_MEMBER_STATES_TEXT = """
    AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK
"""
EU_MEMBER_STATES = frozenset(_EU_MEMBER_STATES_TEXT.split())

# Names and non-ISO codes regulators' spreadsheets actually contain (EU usage writes
# UK and EL for the United Kingdom and Greece).
_NAMES = {
    "대한민국": "KR",
    "한국": "KR",
    "korea": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "korea, republic of": "KR",
    "미국": "US",
    "usa": "US",
    "united states": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "el": "GR",
    "european union": "EU",
    "유럽연합": "EU",
}

_LANGUAGE_OF = {
    "KR": "ko",
    "US": "en",
    "GB": "en",
    "IE": "en",
    "AU": "en",
    "NZ": "en",
    "JP": "ja",
    "CN": "zh",
    "DE": "de",
    "AT": "de",
    "FR": "fr",
    "ES": "es",
    "IT": "it",
    "NL": "nl",
    "PL": "pl",
}


def jurisdiction_code(value: str) -> str | None:
    """``value`` as an ISO 3166-1 alpha-2 code (or EU), or None if it is not one."""
    if value in ISO_3166_ALPHA2 or value == UNION_WIDE:
        return value  # most cells: the code as it is (no name of ours is a code)
    cleaned = " ".join(value.split())
    named = _NAMES.get(cleaned.casefold())
    if named:
        return named
    code = cleaned.upper()
    return code if code in ISO_3166_ALPHA2 or code == UNION_WIDE else None


def default_language(jurisdiction: str) -> str | None:
    """The language of a single-language jurisdiction; None where there is no obvious one."""
    return _LANGUAGE_OF.get(jurisdiction)
