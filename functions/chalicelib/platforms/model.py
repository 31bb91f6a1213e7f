"""A platform: an online marketplace that receives notices from the exchange.

Which platforms a notice goes to (``select_targets``):
- a regulator that names target platforms gets exactly those (when registered and
  active), whatever their jurisdictions: the regulator knows whom its notice is for;
- otherwise every active platform that ``serves`` the notice's jurisdiction.

EU rules of ``Platform.serves``:
- a platform listing ``EU`` serves every member state and union-wide (``EU``) notices;
- a union-wide notice (``EU``) is served by a platform listing any member state, since
  the measure applies in each member state, including those the platform sells in;
- ``EU`` means the 27 member states only: EEA states (NO, IS, LI) and the UK must be
  listed by name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chalicelib.deadlines.policy import (
    ANY_REGULATOR,
    DeadlinePolicy,
    NotificationMode,
    policy_for,
)
from chalicelib.identifiers.jurisdictions import EU_MEMBER_STATES, ISO_3166_ALPHA2, UNION_WIDE
from chalicelib.identifiers.participants import PLATFORM_ID_PATTERN, REGULATOR_ID_PATTERN

_ISO_639_1_TEXT = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho
    hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku
    kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn
    no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm
    sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi
    vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_TEXT.split())

# Secrets Manager's own rule for secret names.
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
# Deliberately loose: the contact point is checked by a human at registration; this
# only catches slips such as a missing domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _jurisdiction(value: str) -> str:
    code = value.strip().upper()
    if code not in ISO_3166_ALPHA2 and code != UNION_WIDE:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code or EU")
    return code


def _language(value: str) -> str:
    code = value.strip().lower()
    if code not in ISO_639_1:
        raise ValueError(f"{value!r} is not an ISO 639-1 language code")
    return code


LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if any(character.isspace() for character in value):
        raise ValueError("a webhook URL must not contain whitespace")
    # Notices name products and sellers before they are public: only TLS leaves the
    # machine. Plain http is for receivers on this machine (psx serve, psx demo).
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{value!r}: webhooks must use https (http only to localhost)")
    # Credentials in the URL would be stored and logged in clear; the signature is
    # what authenticates our requests.
    if parts.username is not None or parts.password is not None:
        raise ValueError("a webhook URL must not contain credentials")
    return value


# A DNS name (labels of letters, digits, hyphens), optionally with a port.
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def _listing_host(value: str) -> str:
    """``host`` or ``host:port`` where the platform's listing pages live (lower case).

    The live check of takedowns fetches only URLs on these hosts: never an address a
    platform's report names. IP literals are refused, loopback aside (the embedded
    runtime's simulated marketplaces).
    """
    entry = value.strip().lower()
    host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"{value!r}: the port must be a number from 1 to 65535")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_NAME.fullmatch(host):
            raise ValueError(f"{value!r} is not a host name (host or host:port)") from None
        return entry
    if not address.is_loopback:
        raise ValueError(f"{value!r}: listing hosts are names, not IP addresses")
    return entry


def _secret_name(value: str) -> str:
    if not _SECRET_NAME.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid Secrets Manager secret name")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


_REGULATOR_ID = re.compile(REGULATOR_ID_PATTERN)


def _agreement_regulator(value: str) -> str:
    if value != ANY_REGULATOR and not _REGULATOR_ID.fullmatch(value):
        raise ValueError(f"{value!r} is not a regulator id or {ANY_REGULATOR} (every regulator)")
    return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Jurisdiction = Annotated[str, AfterValidator(_jurisdiction)]
Language = Annotated[str, AfterValidator(_language)]
Email = Annotated[str, AfterValidator(_email)]
ListingHost = Annotated[str, AfterValidator(_listing_host)]
AgreementRegulator = Annotated[str, AfterValidator(_agreement_regulator)]


class Platform(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    platform_id: str = Field(pattern=PLATFORM_ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    jurisdictions: Annotated[list[Jurisdiction], AfterValidator(_unique)] = Field(min_length=1)
    webhook_url: Annotated[str, AfterValidator(_webhook_url)] | None = None
    signing_secret_ref: Annotated[str, AfterValidator(_secret_name)] | None = Field(
        default=None, description="Name of the Secrets Manager secret holding the signing keys."
    )
    contact_email: Email | None = None
    languages: Annotated[list[Language], AfterValidator(_unique)] = Field(default_factory=list)
    # The platform's verified SES identity the exchange sends its notifications from
    # (None: the exchange's own, PSX_SENDER_IDENTITY), and where replies go.
    sender_identity: Email | None = None
    reply_to: Email | None = None
    active: bool = True
    # Where the platform's listing pages live: the only hosts a live check of its
    # takedowns fetches from (chalicelib/verification/live_check.py).
    listing_hosts: Annotated[list[ListingHost], AfterValidator(_unique)] = Field(
        default_factory=list
    )
    # Deadlines agreed with a regulator (or "*", every regulator), read by each dispatch
    # planned after the change (chalicelib/deadlines/policy.py).
    agreements: dict[AgreementRegulator, DeadlinePolicy] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> Platform:
        # Standard Webhooks receivers reject unsigned messages; catch it at registration.
        if self.webhook_url and not self.signing_secret_ref:
            raise ValueError("a platform with a webhook_url needs a signing_secret_ref")
        return self

    def notification_mode(self, regulator_id: str) -> NotificationMode:
        """Who tells the affected parties of this regulator's notices (agreement rules)."""
        return policy_for(self.agreements, regulator_id, self.platform_id).policy.notification_mode

    def serves(self, jurisdiction: str) -> bool:
        """Whether a notice for ``jurisdiction`` concerns this platform (EU rules above)."""
        code = jurisdiction.strip().upper()
        if code in self.jurisdictions:
            return True
        if code == UNION_WIDE:
            return any(listed in EU_MEMBER_STATES for listed in self.jurisdictions)
        return UNION_WIDE in self.jurisdictions and code in EU_MEMBER_STATES


def select_targets(
    platforms: Iterable[Platform], jurisdiction: str, named: list[str]
) -> tuple[list[Platform], list[str]]:
    """The platforms a notice goes to, and the named ids that are not registered.

    Named platforms that are registered but inactive are skipped without a warning:
    deactivation is the switch that stops deliveries to a platform.
    """
    if not named:
        return [p for p in platforms if p.active and p.serves(jurisdiction)], []
    by_id = {platform.platform_id: platform for platform in platforms}
    wanted = _unique(named)
    targets = [by_id[name] for name in wanted if name in by_id and by_id[name].active]
    unknown = [name for name in wanted if name not in by_id]
    return targets, unknown
