"""Which notice file names the exchange takes: printable, and at most 255 bytes."""

from __future__ import annotations

import pytest

from chalicelib.stores.intake_bucket import MAX_FILE_NAME_BYTES, file_name_problem


@pytest.mark.parametrize(
    "name",
    ["week-47.csv", "2026 리콜 목록.xlsx", "notices\u00a0(final).json", "sub/folder/week.csv"],
)
def test_printable_names_are_taken(name: str) -> None:
    assert file_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("a\nb.csv", "U+000A"),
        ("a\tb.csv", "U+0009"),
        ("\x1b[31mred.csv", "U+001B"),
        ("\u202egnp.csv", "U+202E"),
        ("line\u2028break.csv", "U+2028"),
        ("caf\udce9.csv", "U+DCE9"),
        ("리" * 86, f"the limit is {MAX_FILE_NAME_BYTES}"),  # 258 bytes in UTF-8
    ],
)
def test_unprintable_or_long_names_are_refused_with_the_reason(name: str, says: str) -> None:
    problem = file_name_problem(name)

    assert problem is not None and says in problem
    assert not any(c in problem for c in "\n\t\x1b\u202e\u2028")  # shown escaped
