"""Bytes to text for the text formats, refusing binary content with a reason."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from chalicelib.intake.raw import FileRefused

# Binary files regulators upload by mistake, named so the refusal says what to do.
_KNOWN_BINARIES = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Excel .xls workbook; save it as .xlsx or CSV"),
    (b"%PDF-", "a PDF document; send the notices as CSV, XLSX, JSON or XML"),
    (b"\x1f\x8b", "gzip-compressed; upload the file uncompressed"),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Control bytes other than tab, line feed, form feed and carriage return never occur
# in CSV/JSON/XML text in any encoding we accept (CP949 trail bytes are >= 0x41).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0c\r")
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
# Korean text was already tried as CP949; on short Western text charset-normalizer
# otherwise prefers Chinese or Japanese multi-byte readings ("für" → "f黵").
_EAST_ASIAN_MULTIBYTE = [
    "big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jisx0213", "euc_jp",
    "euc_kr", "gb18030", "gb2312", "gbk", "hz", "iso2022_jp", "johab", "shift_jis",
    "shift_jis_2004", "shift_jisx0213",
]  # fmt: skip
_SNIFF_BYTES = 64 * 1024
_MAX_CONTROL_SHARE = 0.01


def _refuse_known_binary(data: bytes) -> None:
    for magic, what in _KNOWN_BINARIES:
        if data.startswith(magic):
            raise FileRefused("binary_content", f"the file is {what}")


def decode_text(data: bytes) -> str:
    """The file's text: UTF-8 (with or without BOM), UTF-16 with BOM, CP949/EUC-KR,
    else whatever charset-normalizer is confident about."""
    _refuse_known_binary(data)
    if data.startswith(_UTF16_BOMS):
        return _decode_utf16(data)
    _refuse_control_bytes(data)
    for decode in (_utf8, _korean, _detected):
        text = decode(data)
        if text is not None:
            return text
    raise FileRefused(
        "undecodable_text",
        "the file is neither UTF-8 nor CP949/EUC-KR text and its encoding could not be "
        "detected; save it as UTF-8",
    )


def _refuse_control_bytes(data: bytes) -> None:
    if b"\x00" in data:
        raise FileRefused(
            "binary_content", "the file contains NUL bytes: it is binary, not CSV, JSON or XML"
        )
    sample = data[:_SNIFF_BYTES]
    controls = len(sample.translate(None, _NOT_CONTROL))
    if controls > _MAX_CONTROL_SHARE * len(sample):
        raise FileRefused(
            "binary_content", "the file is mostly control characters: it is binary, not text"
        )


def _decode_utf16(data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as bad:
        raise FileRefused("undecodable_text", f"the UTF-16 text is damaged: {bad.reason}") from bad


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def _korean(data: bytes) -> str | None:
    """CP949 (a superset of EUC-KR) if the result reads as Korean.

    Latin-1 bytes often form valid CP949 pairs too; requiring Hangul among the non-ASCII
    characters keeps a German CSV from turning into hanja."""
    try:
        text = data.decode("cp949")
    except UnicodeDecodeError:
        return None
    non_ascii = [char for char in text if not char.isascii()]
    hangul = sum(1 for char in non_ascii if "\uac00" <= char <= "\ud7a3")
    return text if hangul * 2 >= len(non_ascii) else None


def _detected(data: bytes) -> str | None:
    best = from_bytes(data, cp_exclusion=_EAST_ASIAN_MULTIBYTE).best()
    return None if best is None else str(best)
