"""A listing's statement of reasons as a DSA Transparency Database record.

Field names and values follow the database's "API Documentation" page (POST
/api/v1/statement): the platform submits the record as it is, so every value here is
one of the documented enumerations, each free text stays within its documented limit,
and nothing in it is personal data (no seller id, listing title or URL, no contact).

The exchange knows the measure, the notice and its authority; it does not know how the
platform matched its listings. The record states that the decision rests on an
authority's notice without automated means (``automated_detection: "No"``,
``AUTOMATED_DECISION_NOT_AUTOMATED``), which is what the seller's statement says too.
"""

from __future__ import annotations

import hashlib
import re

from chalicelib.dispatch.actions import Listing, ListingAction
from chalicelib.identifiers.jurisdictions import EU_MEMBER_STATES, UNION_WIDE
from chalicelib.identifiers.regulators import regulator_profile
from chalicelib.notices.model import Notice, NoticeKind
from chalicelib.platforms.model import Platform

CATEGORY = "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"
DECISION_GROUND = "DECISION_GROUND_ILLEGAL_CONTENT"
CONTENT_TYPES = ["CONTENT_TYPE_PRODUCT"]
AUTOMATED_DETECTION = "No"
AUTOMATED_DECISION = "AUTOMATED_DECISION_NOT_AUTOMATED"
# An authority's order (Art. 9 DSA, GPSR Art. 22) is not an Art. 16 notice.
SOURCE_TYPES = {
    NoticeKind.NOTICE: "SOURCE_ARTICLE_16",
    NoticeKind.ORDER: "SOURCE_TYPE_OTHER_NOTIFICATION",
}
DECISION_VISIBILITY = {
    ListingAction.REMOVED: "DECISION_VISIBILITY_CONTENT_REMOVED",
    ListingAction.ACCESS_DISABLED: "DECISION_VISIBILITY_CONTENT_DISABLED",
    ListingAction.WARNING_SHOWN: "DECISION_VISIBILITY_CONTENT_LABELLED",
}
# The database accepts member states and the other EEA states only.
EEA_STATES = EU_MEMBER_STATES | {"IS", "LI", "NO"}
LEGAL_GROUND_LIMIT = 500
EXPLANATION_LIMIT = 2000
FACTS_LIMIT = 5000
_PUID_SAFE = re.compile(r"[A-Za-z0-9_-]{1,200}")

_EU_PRODUCT_SAFETY = (
    "Regulation (EU) 2023/988 (General Product Safety Regulation), Articles 5 and 22"
)
# Product-safety law per jurisdiction, by its official name (never translated).
_LEGAL_GROUNDS = {
    "KR": "제품안전기본법 (Framework Act on Product Safety); "
    "소비자기본법 (Framework Act on Consumers)",
    "US": "Consumer Product Safety Act (15 U.S.C. 2051 et seq.)",
    "GB": "General Product Safety Regulations 2005",
}


class NotForTransparencyDatabase(ValueError):
    """The measure applies outside the EU/EEA, where the database does not apply."""


def legal_ground(jurisdiction: str) -> str | None:
    """The product-safety law a notice of ``jurisdiction`` rests on, when known."""
    if jurisdiction == UNION_WIDE or jurisdiction in EEA_STATES:
        return _EU_PRODUCT_SAFETY
    return _LEGAL_GROUNDS.get(jurisdiction)


def territorial_scope(notice: Notice, platform: Platform) -> list[str]:
    """Where the measure applies: the notice's jurisdiction, and for a union-wide notice
    the member states the platform serves."""
    jurisdiction = notice.content.jurisdiction
    if jurisdiction != UNION_WIDE:
        return [jurisdiction]
    if UNION_WIDE in platform.jurisdictions:
        return sorted(EU_MEMBER_STATES)
    return sorted(EU_MEMBER_STATES.intersection(platform.jurisdictions))


def puid(notice: Notice, listing: Listing) -> str:
    """Unique per notice and listing, stable across renderings (the database refuses a
    PUID twice, so a resubmission cannot duplicate the statement)."""
    listing_part = listing.listing_id
    if not _PUID_SAFE.fullmatch(listing_part):
        listing_part = "h" + hashlib.sha256(listing_part.encode()).hexdigest()[:32]
    return f"{notice.notice_id}-{listing_part}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _joined(label: str, values: list[str]) -> str | None:
    return f"{label}: {', '.join(values)}" if values else None


def _product_facts(notice: Notice) -> list[str | None]:
    product = notice.content.product
    return [
        f"Product: {product.name}" if product.name else None,
        f"Brand: {product.brand}" if product.brand else None,
        _joined("Models", product.models),
        _joined("Barcodes", product.barcodes + product.suspect_barcodes),
        _joined("Batch numbers", product.batch_numbers),
        _joined("KC certificates", product.kc_certificates),
    ]


def _hazard_facts(notice: Notice) -> list[str | None]:
    hazard = notice.content.hazard
    return [
        _joined("Hazard", hazard.types),
        f"Hazard description: {hazard.description}" if hazard.description else None,
        f"Risk level: {hazard.risk_level}" if hazard.risk_level else None,
    ]


def decision_facts(notice: Notice, listing: Listing) -> str:
    content = notice.content
    issued = f", issued {content.issued_on.isoformat()}" if content.issued_on else ""
    kind = "order" if content.kind is NoticeKind.ORDER else "notice"
    lines = [
        f"Product safety {kind} from a public authority: "
        f"{regulator_profile(notice.regulator_id).name}, reference {content.source_reference}"
        f"{issued}.",
        *_product_facts(notice),
        *_hazard_facts(notice),
        _joined("Measures in the notice", content.measures),
        f"Measure on the listing: {listing.action.value.replace('_', ' ')} on "
        f"{listing.acted_at.date().isoformat()}.",
    ]
    return _clip("\n".join(line for line in lines if line), FACTS_LIMIT)


def _explanation(notice: Notice) -> str:
    content = notice.content
    hazard = ", ".join(content.hazard.types) or "a safety hazard"
    risk = f" ({content.hazard.risk_level})" if content.hazard.risk_level else ""
    return _clip(
        f"The authority {regulator_profile(notice.regulator_id).name} found that the "
        f"product presents {hazard}{risk}; a dangerous product may not be offered to "
        "consumers, so the listing offering it is illegal content. "
        + (content.hazard.description or ""),
        EXPLANATION_LIMIT,
    ).strip()


def dsa_tdb_record(notice: Notice, platform: Platform, listing: Listing) -> dict[str, object]:
    """The statement of reasons of ``listing`` ready for POST /api/v1/statement."""
    if listing.action not in DECISION_VISIBILITY:
        raise ValueError(f"listing {listing.listing_id} was not acted on ({listing.action})")
    scope = territorial_scope(notice, platform)
    outside = [code for code in scope if code not in EEA_STATES]
    if outside or not scope:
        raise NotForTransparencyDatabase(
            f"the measure applies in {', '.join(outside) or 'no EU/EEA state'}: the DSA "
            "Transparency Database takes statements for EU/EEA states only"
        )
    return {
        "decision_visibility": [DECISION_VISIBILITY[listing.action]],
        "decision_ground": DECISION_GROUND,
        "category": CATEGORY,
        "illegal_content_legal_ground": _clip(
            legal_ground(notice.content.jurisdiction) or _EU_PRODUCT_SAFETY, LEGAL_GROUND_LIMIT
        ),
        "illegal_content_explanation": _explanation(notice),
        "territorial_scope": scope,
        "content_type": CONTENT_TYPES,
        "application_date": listing.acted_at.date().isoformat(),
        "decision_facts": decision_facts(notice, listing),
        "source_type": SOURCE_TYPES[notice.content.kind],
        "automated_detection": AUTOMATED_DETECTION,
        "automated_decision": AUTOMATED_DECISION,
        "puid": puid(notice, listing),
    }
