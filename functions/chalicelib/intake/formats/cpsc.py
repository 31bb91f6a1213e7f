"""US CPSC Recall API JSON (an array of recalls, or one recall).

Most fields of real recalls are empty lists or null and UPCs are rare, so every
accessor tolerates a missing key, null, a non-list or a list item that is not an
object. Not mapped: RecallID (only when RecallNumber is missing), LastPublishDate,
NumberOfUnits, Retailers/Importers/Distributors and SoldAtLabel. Titles often name a
marketplace ("… Sold on Temu by …"); target platforms are deliberately left empty,
because the same product sold elsewhere must be found too.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.intake.formats.common import scalar_text
from chalicelib.intake.formats.json_items import load_json_items, records_from_items
from chalicelib.intake.raw import RawFile, RawRecord

_RECALL_KEYS = re.compile(r'"(?:RecallNumber|RecallID|RecallDate|Products|Hazards|Remedies)"\s*:')
_SNIFF_CHARS = 64 * 1024


def looks_like_cpsc(text: str) -> bool:
    """True when the JSON's first objects carry CPSC Recall API keys."""
    return _RECALL_KEYS.search(text, 0, _SNIFF_CHARS) is not None


def read(text: str) -> RawFile:
    return RawFile(records=records_from_items(load_json_items(text), _fill))


def _fill(record: RawRecord, recall: dict[str, Any]) -> None:
    products = _objects(recall, "Products")
    title = _text(recall, "Title")
    record.fields = {
        "source_reference": _text(recall, "RecallNumber") or _text(recall, "RecallID"),
        "issued_on": _text(recall, "RecallDate"),
        "title": title,
        "product_name": next(iter(_values(products, "Name")), None) or title,
        "product_description": _text(recall, "Description")
        or _joined(_values(products, "Description")),
        "models": _values(products, "Model"),
        "category": _joined(_values(products, "Type"), ", "),
        "pictures": _values(_objects(recall, "Images"), "URL"),
        "barcodes": _values(_objects(recall, "ProductUPCs"), "UPC"),
        "manufacturer": _joined(_values(_objects(recall, "Manufacturers"), "Name"), ", "),
        "country_of_origin": _joined(
            _values(_objects(recall, "ManufacturerCountries"), "Country"), ", "
        ),
        "hazard_types": _values(_objects(recall, "Hazards"), "HazardType"),
        "hazard_description": _hazard_description(recall),
        "remedy": _remedy(recall),
        "consumer_contact": _text(recall, "ConsumerContact"),
        "source_url": _text(recall, "URL"),
        "jurisdiction": "US",
        "language": "en",
        "kind": "notice",
        "measures": ["recall"],
    }


def _hazard_description(recall: dict[str, Any]) -> str | None:
    hazards = _values(_objects(recall, "Hazards"), "Name")
    injuries = _joined(_values(_objects(recall, "Injuries"), "Name"))
    return _joined([*hazards, f"Injuries: {injuries}"] if injuries else hazards)


def _remedy(recall: dict[str, Any]) -> str | None:
    remedies = _values(_objects(recall, "Remedies"), "Name")
    options = _joined(_values(_objects(recall, "RemedyOptions"), "Option"), ", ")
    return _joined([*remedies, f"Remedy options: {options}"] if options else remedies)


def _text(record: dict[str, Any], key: str) -> str | None:
    text = scalar_text(record.get(key))
    return text if text and text.strip() else None


def _objects(recall: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = recall.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _values(objects: list[dict[str, Any]], key: str) -> list[str]:
    return [text for item in objects if (text := _text(item, key))]


def _joined(texts: list[str], separator: str = "\n") -> str | None:
    return separator.join(texts) or None
