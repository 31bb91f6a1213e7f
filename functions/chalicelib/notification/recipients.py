"""Affected parties as the exchange notifies them: checked one by one (a bad recipient
never holds back the good ones in its batch), normalised, and keyed by an HMAC of the
normalised address so that nobody is told twice and no key reveals an address.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from chalicelib.platforms.model import ISO_639_1

# The most sellers, and the most buyers, of one batch.
MAX_PARTIES = 1000


class Party(StrEnum):
    SELLER = "seller"
    BUYER = "buyer"


class RecipientStatus(StrEnum):
    QUEUED = "queued"  # stored, on the queue
    EXCLUDED = "excluded"  # bought before the agreement's lookback window: not told
    SENDING = "sending"  # claimed by one delivery; never claimed again
    SENT = "sent"
    FAILED = "failed"  # a hard failure (or an interrupted send, which is never repeated)
    CANCELLED = "cancelled"  # the notice was withdrawn before it was sent


SETTLED = frozenset({RecipientStatus.SENT, RecipientStatus.FAILED, RecipientStatus.CANCELLED})


class Recipient(BaseModel):
    """One person to tell (a seller: about one listing), as stored with the delivery."""

    model_config = ConfigDict(frozen=True)

    party: Party
    ref: str  # the platform's own id: buyer_ref or seller_id
    email: str | None = None
    phone: str | None = None  # E.164
    language: str | None = None
    country: str | None = None
    purchased_on: date | None = None
    listing_id: str | None = None
    name: str | None = None

    def address(self) -> str:
        """The normalised address the person is known by: e-mail first, else phone."""
        address = self.email or self.phone
        assert address is not None  # checked on the way in
        return address

    def key(self, secret: bytes) -> str:
        """The recipient's key within its notice and platform: who it is (an HMAC of the
        address, so the key reveals nothing) and, for a seller, which listing."""
        digest = hmac.new(secret, self.address().encode("utf-8"), hashlib.sha256).hexdigest()
        listing = f"#{self.listing_id}" if self.party is Party.SELLER else ""
        return f"{self.party.value}#{digest}{listing}"


# What a follow-up's key starts with; a recipient's key starts with its party.
FOLLOW_UP_PREFIX = "F#"


def follow_up_key(kind: str, version: int, recipient_key: str) -> str:
    """The key of what ``version`` of a notice sends (``kind``) to someone told earlier:
    once per person, kind and version."""
    return f"{FOLLOW_UP_PREFIX}{kind}#v{version}#{recipient_key}"


@dataclass(frozen=True)
class StoredRecipient:
    key: str
    recipient: Recipient
    status: RecipientStatus
    claim: str | None = None
    error: str | None = None
    kind: str | None = None  # what was sent (or tried)
    told_version: int | None = None  # the notice version its send was of


@dataclass(frozen=True)
class Outcome:
    """How one claimed recipient's send ended, and the progress counts it moves
    (``held``: the recipient as the delivery holds it, which its record rewrites)."""

    held: StoredRecipient
    status: RecipientStatus
    kind: str | None = None
    error: str | None = None
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.held.key


@dataclass(frozen=True)
class Problem:
    """Why one recipient of a batch was refused: a JSON pointer into the request body."""

    pointer: str
    detail: str
    code: str


class SellerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    seller_id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=500)
    email: str
    language: str | None = None
    listing_ids: list[str] = Field(min_length=1, max_length=1000)


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EARLIEST_DAY, _LATEST_DAY = date(1970, 1, 1), date(2100, 1, 1)


def _purchase_day(value: object) -> object:
    """YYYY-MM-DD in 1970..2099 only: a timestamp or a far date is a mistake, not a day."""
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    day = date.fromisoformat(value)
    if not _EARLIEST_DAY <= day < _LATEST_DAY:
        raise ValueError("must lie in 1970-01-01 to 2099-12-31")
    return day


PurchaseDay = Annotated[date, BeforeValidator(_purchase_day)]


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    buyer_ref: str = Field(
        min_length=1, max_length=200, description="Your pseudonymous id of the buyer."
    )
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164, used when there is no email.")
    language: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    listing_id: str | None = Field(default=None, max_length=200)
    purchased_on: PurchaseDay | None = Field(default=None, description="YYYY-MM-DD.")


@dataclass
class Checked:
    recipients: list[Recipient]
    problems: list[Problem]


def check_parties(body: dict[str, Any]) -> Checked:
    """Every good recipient of a batch, and a problem for each bad one (``/sellers/3/email``)."""
    checked = Checked([], [])
    for index, raw in enumerate(body.get("sellers") or []):
        _check(f"/sellers/{index}", raw, _seller, checked)
    for index, raw in enumerate(body.get("buyers") or []):
        _check(f"/buyers/{index}", raw, _buyer, checked)
    return checked


def _check(pointer: str, raw: object, build: Any, checked: Checked) -> None:
    try:
        recipients, problems = build(raw, pointer)
    except ValidationError as error:
        for issue in error.errors():
            where = "/".join(str(part) for part in issue["loc"])
            checked.problems.append(Problem(f"{pointer}/{where}", issue["msg"], "invalid"))
        return
    if problems:
        checked.problems.extend(problems)
    else:
        checked.recipients.extend(recipients)


def _seller(raw: object, pointer: str) -> tuple[list[Recipient], list[Problem]]:
    seller = SellerIn.model_validate(raw)
    problems: list[Problem] = []
    email = _email(seller.email, f"{pointer}/email", problems)
    language = _language(seller.language, f"{pointer}/language", problems)
    recipients = [
        Recipient(
            party=Party.SELLER,
            ref=seller.seller_id,
            email=email,
            language=language,
            listing_id=listing_id,
            name=seller.name,
        )
        for listing_id in dict.fromkeys(seller.listing_ids)
    ]
    return recipients, problems


def _buyer(raw: object, pointer: str) -> tuple[list[Recipient], list[Problem]]:
    buyer = BuyerIn.model_validate(raw)
    problems: list[Problem] = []
    if buyer.email is None and buyer.phone is None:
        problems.append(Problem(pointer, "give an email or a phone number", "missing_contact"))
    email = _email(buyer.email, f"{pointer}/email", problems) if buyer.email else None
    phone = _phone(buyer.phone, f"{pointer}/phone", problems) if buyer.phone else None
    recipient = Recipient(
        party=Party.BUYER,
        ref=buyer.buyer_ref,
        email=email,
        phone=phone,
        language=_language(buyer.language, f"{pointer}/language", problems),
        country=buyer.country.upper() if buyer.country else None,
        listing_id=buyer.listing_id,
        purchased_on=buyer.purchased_on,
    )
    return [recipient], problems


def _email(value: str, pointer: str, problems: list[Problem]) -> str | None:
    try:
        # No DNS lookup: a batch of 1,000 addresses must not wait on resolvers.
        valid = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        problems.append(Problem(pointer, str(error), "invalid_email"))
        return None
    # Lower-cased whole: RFC 5321 lets a local part be case-sensitive, but no mail
    # provider treats it so, and telling one person twice is the harm to avoid.
    return f"{valid.local_part}@{valid.ascii_domain}".lower()


def _phone(value: str, pointer: str, problems: list[Problem]) -> str | None:
    try:
        number = phonenumbers.parse(value, None)  # E.164 only: no region to guess from
    except phonenumbers.NumberParseException as error:
        problems.append(Problem(pointer, f"not an E.164 number: {error}", "invalid_phone"))
        return None
    if not phonenumbers.is_valid_number(number):
        problems.append(Problem(pointer, "not a valid phone number", "invalid_phone"))
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _language(value: str | None, pointer: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    code = value.strip().lower()
    if code not in ISO_639_1:
        problems.append(Problem(pointer, f"{value!r} is not an ISO 639-1 code", "unknown_language"))
        return None
    return code


def within_lookback(purchased_on: date | None, received_on: date, months: int) -> bool:
    """Whether a buyer is told: bought within ``months`` before the platform received the
    notice; a buyer without a purchase date is told (and counted as undated)."""
    return purchased_on is None or purchased_on >= months_before(received_on, months)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day where it is shorter)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last))
