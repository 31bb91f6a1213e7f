"""EU Safety Gate weekly report XML.

Parsed with defusedxml and no DTD at all: a report never needs one, and a DTD is how
entity bombs and external-entity reads get in. Mapping choices:

* ``caseNumber`` is the reference (``reference`` when the case number is nil);
  ``name`` is the product name (``product``, the product type, when name is nil).
* Jurisdiction is always EU: Safety Gate alerts are Union-wide. The notifying country
  goes into the title ("Toy (notified by Germany)") so it is not lost.
* Kind is *order* when the measures were ordered by an authority ("compulsory
  measures", "ordered by ..."), else *notice*.
* ``type`` (the notification type) and the report header are not mapped.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from chalicelib.intake.raw import FileRefused, RawFile, RawRecord, RawValue

ROOT = "Safety-Gate"
_NOTIFICATION = "notifications"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_ORDERED = re.compile(r"compulsory|ordered by", re.IGNORECASE)

_FIELD_OF_ELEMENT = {
    "caseNumber": "source_reference",
    "category": "category",
    "name": "product_name",
    "brand": "brand",
    "type_numberOfModel": "models",
    "batchNumber": "batch_numbers",
    "barcode": "barcodes",
    "companyRecallCode": "company_recall_code",
    "productionDates": "production_dates",
    "description": "product_description",
    "riskType": "hazard_types",
    "danger": "hazard_description",
    "level": "risk_level",
    "measures": "measures",
    "URLrecall": "source_url",
    "countryOfOrigin": "country_of_origin",
    "pictures": "pictures",
}


def read(data: bytes) -> RawFile:
    root = load_xml(data)
    if _local_name(root.tag) != ROOT:
        raise FileRefused(
            "xml_unknown_root",
            f"XML with root <{_local_name(root.tag)}> is not a notice format this exchange "
            f"reads (expected <{ROOT}>, the Safety Gate weekly report)",
        )
    notifications = [child for child in root if _local_name(child.tag) == _NOTIFICATION]
    return RawFile(records=[_record(n, element) for n, element in enumerate(notifications, 1)])


def load_xml(data: bytes) -> Element:
    """The document's root element; refuses DTDs, entities and broken XML."""
    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as unsafe:
        raise FileRefused("xml_unsafe", "XML declares entities/DTD, refused for safety") from unsafe
    except ParseError as broken:
        line, column = broken.position
        raise FileRefused(
            "xml_malformed",
            f"the XML is truncated or malformed at line {line}, column {column}",
        ) from broken


def _record(number: int, notification: Element) -> RawRecord:
    values = {_local_name(child.tag): _text(child) for child in notification}
    reference = values.get("caseNumber") or values.get("reference")
    fields: dict[str, RawValue] = {
        field: values.get(element) for element, field in _FIELD_OF_ELEMENT.items()
    }
    fields["source_reference"] = reference
    fields["product_name"] = values.get("name") or values.get("product")
    fields["title"] = _title(values.get("product"), values.get("notifyingCountry"))
    fields["kind"] = "order" if _ORDERED.search(values.get("measures") or "") else "notice"
    fields["jurisdiction"] = "EU"
    fields["language"] = "en"
    locator = f"notification {number}" + (f" ({reference})" if reference else "")
    return RawRecord(row=number, locator=locator, fields=fields)


def _title(product: str | None, country: str | None) -> str | None:
    if country:
        return f"{product or 'Product'} (notified by {country})"
    return product


def _text(element: Element) -> str | None:
    """Element text, CDATA included; child elements' texts on separate lines (pictures
    may be nested); None for ``xsi:nil`` and empty elements."""
    if element.get(_XSI_NIL, "").strip().lower() == "true":
        return None
    parts = (part.strip() for part in element.itertext())
    return "\n".join(part for part in parts if part) or None


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
