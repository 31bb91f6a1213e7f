"""Who the exchange's regulators are, as a consumer should see them.

A buyer recall notice names the authority and gives its consumer contact (GPSR Art. 36:
a free contact); the notice itself carries only the regulator's id and, sometimes, a
contact the regulator wrote into it (often the recalling firm's). The public facts of
each regulator live here, next to the rules for its id: add an entry when a regulator
joins. An unknown id still renders, under its id and without a directory contact.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegulatorProfile:
    name: str
    consumer_contact: str | None = None


_DIRECTORY = {
    "kftc": RegulatorProfile(
        "공정거래위원회 (Korea Fair Trade Commission)",
        "1372 소비자상담센터 (1372 Consumer Counselling Centre): 1372, https://www.1372.go.kr",
    ),
    "kca": RegulatorProfile(
        "한국소비자원 (Korea Consumer Agency)",
        "1372 소비자상담센터 (1372 Consumer Counselling Centre): 1372, https://www.1372.go.kr",
    ),
    "cpsc": RegulatorProfile(
        "U.S. Consumer Product Safety Commission",
        "CPSC Hotline: 800-638-2772 (toll-free), https://www.cpsc.gov",
    ),
    "eu-safety-gate": RegulatorProfile(
        "European Commission, Safety Gate",
        "https://ec.europa.eu/safety-gate",
    ),
}


def regulator_profile(regulator_id: str) -> RegulatorProfile:
    return _DIRECTORY.get(regulator_id) or RegulatorProfile(regulator_id)
