"""`psx serve` over real HTTP, driven by `psx upload` and `psx status` as a user would."""

from __future__ import annotations

import email
import gzip
import json
import os
import re
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from chalicelib.deadlines.working_days import add_working_days
from psx.outbox_cli import outbox
from psx.polling import wait_until
from psx.target import _LOCAL_DEFAULTS
from tests.e2e.serving import PSX, Served, free_port, psx_serve
from tests.support import unique_platform_id

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with psx_serve() as served:
        yield served


def test_serve_prints_both_addresses(served: Served) -> None:
    assert served.aws in served.banner
    assert f"{served.api}/v1" in served.banner


def test_the_api_answers_over_http(served: Served) -> None:
    with urllib.request.urlopen(f"{served.api}/v1/health", timeout=10) as response:
        assert json.load(response)["status"] == "ok"


def test_upload_then_status_over_http(served: Served, tmp_path: Path) -> None:
    notices = tmp_path / "week.csv"
    notices.write_text(
        "source_reference,product_name,barcodes,jurisdiction\n"
        "S-1,Baby walker,4006381333931,KR\n"
        "S-2,,,KR\n",
        encoding="utf-8",
    )

    uploaded = served.run("upload", str(notices), "--regulator", "kftc", "--json")

    assert uploaded.returncode == 0, uploaded.stderr
    report = json.loads(uploaded.stdout)
    assert report["counts"]["accepted"] == 1 and report["counts"]["rejected"] == 1
    notice_id = next(r["notice_id"] for r in report["rows"] if r["status"] == "accepted")

    status = served.run("status", notice_id)
    for _ in range(50):  # the workflow records "received" asynchronously
        if "received" in status.stdout:
            break
        time.sleep(0.2)
        status = served.run("status", notice_id)
    assert status.returncode == 0, status.stderr
    assert "Baby walker" in status.stdout and "received" in status.stdout


def test_a_refused_file_exits_non_zero_with_the_reason(served: Served, tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 truncated zip")

    uploaded = served.run("upload", str(junk), "--regulator", "kftc")

    assert uploaded.returncode == 1
    assert "REFUSED" in uploaded.stderr


def test_two_files_uploaded_under_one_name_at_once_each_get_their_own_report(
    served: Served, tmp_path: Path
) -> None:
    # Finding 6: two different files named same.csv, uploaded at the same moment.
    files = []
    for reference in ("SAME-A", "SAME-B"):
        folder = tmp_path / reference
        folder.mkdir()
        path = folder / "same.csv"
        path.write_text(
            f"source_reference,product_name,jurisdiction\n{reference},Kettle {reference},KR\n",
            encoding="utf-8",
        )
        files.append(path)
    env = {**os.environ, "PSX_ENDPOINT_URL": served.aws}
    uploads = [
        subprocess.Popen(
            [*PSX, "upload", str(path), "--regulator", "kftc", "--json", "--timeout", "90"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for path in files
    ]

    outputs = [upload.communicate(timeout=180) for upload in uploads]

    assert [upload.returncode for upload in uploads] == [0, 0], outputs
    reports = [json.loads(stdout) for stdout, _ in outputs]
    assert [[row["source_reference"] for row in r["rows"]] for r in reports] == [
        ["SAME-A"],
        ["SAME-B"],
    ]
    assert reports[0]["file"]["version_id"] != reports[1]["file"]["version_id"]


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("week\n47.csv", "U+000A"),
        ("\x1b]0;pwned\x07.csv", "U+001B"),
        ("\u202egnp.csv", "U+202E"),  # a right-to-left override disguising the name
        (os.fsdecode(b"caf\xe9.csv"), "U+DCE9"),  # a Latin-1 name: not UTF-8, as S3 needs
    ],
    ids=["newline", "escape-sequence", "bidi-override", "not-utf8"],
)
def test_a_file_name_s3_or_a_terminal_would_choke_on_is_refused_before_upload(
    served: Served, tmp_path: Path, name: str, says: str
) -> None:
    notices = tmp_path / name
    notices.write_text("product_name,jurisdiction\nKettle,KR\n", encoding="utf-8")

    uploaded = served.run("upload", str(notices), "--regulator", "kftc")

    assert uploaded.returncode == 1, uploaded.stderr
    assert says in uploaded.stderr and "rename the file" in uploaded.stderr
    assert "Traceback" not in uploaded.stderr
    assert not any(c in uploaded.stderr for c in "\x1b\x07\u202e")  # shown escaped
    assert uploaded.stdout == ""


def test_upload_without_a_running_exchange_says_so(tmp_path: Path) -> None:
    notices = tmp_path / "x.csv"
    notices.write_text("product_name\nx\n", encoding="utf-8")
    env = {**os.environ, "PSX_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}

    result = subprocess.run(
        [*PSX, "upload", str(notices), "--regulator", "kftc"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert result.returncode == 3
    assert "psx serve" in result.stderr


def test_audit_runs_the_deadline_check_at_the_given_time(served: Served) -> None:
    audited = served.run("audit", "--at", "2031-01-02T09:00:00", "--json")

    assert audited.returncode == 0, audited.stderr
    result = json.loads(audited.stdout)
    assert result["at"].startswith("2031-01-02T09:00:00")
    assert result["missed"] == []


def test_report_publish_runs_the_daily_publication_now(served: Served) -> None:
    published = served.run("report", "--publish")
    refused = served.run("report", "--publish", "--period", "2026-H1")

    assert published.returncode == 0, published.stderr
    result = json.loads(published.stdout)
    assert result["status"] == "SUCCEEDED"
    assert result["run"].startswith("compliance-reports-")
    now = datetime.now(UTC)
    assert result["half_year"] == f"{now.year}-H{1 if now.month <= 6 else 2}"
    assert refused.returncode == 2 and "--publish" in refused.stderr


def test_platforms_can_be_registered_and_listed_over_the_endpoint(served: Served) -> None:
    added = served.run(
        "platforms",
        "add",
        "coupang",
        "--name",
        "Coupang",
        "--jurisdiction",
        "KR",
        "--webhook-url",
        "https://coupang.example/psx",
        "--json",
    )

    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["signing_secret"].startswith("whsec_")
    listed = served.run("platforms", "list")
    assert "coupang" in listed.stdout


def _dispatch_status(served: Served, notice_id: str, platform_id: str) -> dict[str, Any]:
    """The platform's dispatch once the workflow has pushed it (or kept it in the inbox),
    with its dispatched event: the workflow stores the dispatch before that event and
    moves it on from ``in_inbox`` after, so a status read earlier sees only part of it."""

    def pushed() -> dict[str, Any] | None:
        status = served.json("status", notice_id, "--json")
        mine = [d for d in status["dispatches"] if d["platform_id"] == platform_id]
        dispatched = [
            e
            for e in status["timeline"]
            if e["kind"] == "dispatched" and e["details"]["platform_id"] == platform_id
        ]
        if not (mine and dispatched) or mine[0]["state"] == "in_inbox":
            return None
        return {**mine[0], "dispatched_at": datetime.fromisoformat(dispatched[0]["at"])}

    return wait_until(pushed, f"notice {notice_id} to be dispatched to {platform_id}", 120)


def _due(dispatch: dict[str, Any], kind: str) -> datetime:
    return datetime.fromisoformat(dispatch["deadlines"][kind]["due"])


def test_agreed_deadlines_apply_to_notices_dispatched_after_the_agreement(
    served: Served, tmp_path: Path
) -> None:
    platform_id = unique_platform_id("agreed")
    added = served.run("platforms", "add", platform_id, "--name", "Agreed", "--jurisdiction", "KR")
    assert added.returncode == 0, added.stderr
    agreed = served.run(
        "agreements", "set", "kftc", platform_id, "--acknowledge-days", "4", "--action-days", "6"
    )
    assert agreed.returncode == 0, agreed.stderr
    listed = served.json("agreements", "list", "--json")
    agreed_deadlines = {
        "regulator_id": "kftc",
        "platform_id": platform_id,
        "acknowledge_working_days": 4,
        "order_action_working_days": 6,
        "notice_action_working_days": 6,
    }
    assert any(row.items() >= agreed_deadlines.items() for row in listed), listed
    notices = tmp_path / "agreed.csv"
    notices.write_text(
        "source_reference,product_name,barcodes,jurisdiction,notice_type,target_platforms\n"
        f"A-1,Heater,4006381333931,KR,notice,{platform_id}\n",
        encoding="utf-8",
    )
    report = served.json("upload", str(notices), "--regulator", "kftc", "--json")
    notice_id = report["rows"][0]["notice_id"]

    dispatch = _dispatch_status(served, notice_id, platform_id)

    at = dispatch["dispatched_at"]
    assert dispatch["agreement"] == f"kftc:{platform_id}"
    assert _due(dispatch, "acknowledgement") == add_working_days(at, 4, "KR")
    assert _due(dispatch, "action_report") == add_working_days(at, 6, "KR")
    assert f"deadlines from   kftc:{platform_id}" in served.run("status", notice_id).stdout
    # A later change leaves the deadlines already given alone.
    changed = served.run("agreements", "set", "kftc", platform_id, "--acknowledge-days", "1")
    assert changed.returncode == 0, changed.stderr
    assert _dispatch_status(served, notice_id, platform_id) == dispatch


def test_evidence_exported_over_http_verifies(served: Served, tmp_path: Path) -> None:
    notices = tmp_path / "evidence.csv"
    notices.write_text(
        "source_reference,product_name,jurisdiction\nE-1,Night light,KR\n", encoding="utf-8"
    )
    uploaded = served.run("upload", str(notices), "--regulator", "kftc", "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    notice_id = json.loads(uploaded.stdout)["rows"][0]["notice_id"]
    bundle = tmp_path / "bundle.zip"

    exported = served.run("evidence", notice_id, "--out", str(bundle))
    verified = served.run("evidence", "--verify", str(bundle))
    missing = served.run("evidence", "ntc-000000000000000000000000", "--out", str(tmp_path / "x"))

    assert exported.returncode == 0, exported.stderr
    # At least the file and its report (webhook attempts too, if a platform is registered).
    assert f"Evidence of {notice_id}: " in exported.stdout
    assert re.search(r"files/kftc/\S+/evidence\.csv .* COMPLIANCE until", exported.stdout)
    assert re.search(r"files/kftc/\S+/result-\w+\.json .* COMPLIANCE until", exported.stdout)
    assert verified.returncode == 0 and "every SHA-256 matches" in verified.stdout
    assert missing.returncode == 1 and "no notice" in missing.stderr


def test_an_operator_extends_a_notice_to_another_platform(served: Served, tmp_path: Path) -> None:
    first, third = unique_platform_id("first"), unique_platform_id("third")
    for platform_id in (first, third):
        added = served.run(
            "platforms",
            "add",
            platform_id,
            "--name",
            "M",
            "--jurisdiction",
            "KR",
            "--listing-host",
            f"www.{platform_id}.example",
        )
        assert added.returncode == 0, added.stderr
    listed = {p["platform_id"]: p for p in served.json("platforms", "list", "--json")}
    assert listed[third]["listing_hosts"] == [f"www.{third}.example"]
    notices = tmp_path / "extend.csv"
    notices.write_text(
        "source_reference,product_name,barcodes,jurisdiction,target_platforms\n"
        f"X-1,Heater,4006381333931,KR,{first}\n",
        encoding="utf-8",
    )
    notice_id = served.json("upload", str(notices), "--regulator", "kftc", "--json")["rows"][0][
        "notice_id"
    ]
    _dispatch_status(served, notice_id, first)

    extended = served.json("notices", "extend", notice_id, "--platform", third, "--json")
    again = served.run("notices", "extend", notice_id, "--platform", third)
    refused = served.run("notices", "extend", notice_id, "--platform", first)

    assert extended == {"notice_id": notice_id, "version": 1, "added": [third], "unchanged": []}
    assert again.returncode == 0 and "already extended" in again.stdout
    assert refused.returncode == 1 and first in refused.stderr
    assert _dispatch_status(served, notice_id, third)["agreement"] == "defaults"


def test_a_catalogue_uploaded_with_the_cli_is_audited_on_demand(
    served: Served, tmp_path: Path
) -> None:
    platform_id = unique_platform_id("shop")
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "id,title,brand,gtin,availability\n"
        "L-1,Wooden toy train,Woodland,,in_stock\n"
        ",A row without an id,,,in_stock\n",
        encoding="utf-8",
    )
    gzipped = tmp_path / "more.jsonl.gz"
    gzipped.write_bytes(gzip.compress(b'{"id": "L-2", "title": "Puzzle"}\n'))

    uploaded = served.json("catalogue", "upload", str(catalogue), str(gzipped),
                           "--platform", platform_id, "--json")  # fmt: skip
    audited = served.json("audit", "verify", "--platform", platform_id, "--json")
    nothing_new = served.run("audit", "verify", "--platform", platform_id)
    again = served.run("audit", "verify", "--platform", platform_id, "--again")

    assert [(p["name"], p["rows"]) for p in uploaded["parts"]] == [
        ("catalogue.csv", 2),
        ("more.jsonl.gz", 1),
    ]
    [audit] = audited
    assert (audit["platform_id"], audit["snapshot_id"]) == (platform_id, uploaded["snapshot_id"])
    report = audit["report"]
    assert (audit["status"], report["status"], report["rows"], report["bad_rows"]) == (
        "SUCCEEDED",
        "audited",
        3,
        1,
    )
    assert (report["findings"], report["new_findings"]) == (0, 0)
    assert report["live_checks"] == {"checked": 0, "still_listed": 0, "not_checked": 0}
    assert nothing_new.returncode == 0 and "No new complete snapshot" in nothing_new.stdout
    assert again.returncode == 0, again.stderr
    assert f"{platform_id} {uploaded['snapshot_id']}: SUCCEEDED, 3 rows (1 bad)" in again.stdout
    assert "0 findings (0 new)" in again.stdout


def test_a_catalogue_file_the_cli_cannot_read_is_refused_with_the_reason(
    served: Served, tmp_path: Path
) -> None:
    notes = tmp_path / "catalogue.docx"
    notes.write_bytes(b"not a catalogue")

    uploaded = served.run("catalogue", "upload", str(notes), "--platform", "shop-x")

    assert uploaded.returncode == 1
    assert "catalogue.docx" in uploaded.stderr


def _post_json(url: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer: dict[str, Any] = json.load(response)
            return answer
    except urllib.error.HTTPError as error:
        pytest.fail(f"{url}: {error.code} {error.read().decode()}")


def _sent(served: Served, notice_id: str, count: int) -> list[dict[str, Any]]:
    for _ in range(150):  # the notify function sends from the queue asynchronously
        listed: list[dict[str, Any]] = served.json("outbox", "--notice", notice_id, "--json")
        if len(listed) >= count:
            return listed
        time.sleep(0.2)
    pytest.fail(f"nothing sent about {notice_id}")


def test_outbox_shows_what_the_exchange_sent_and_opens_an_eml(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform_id = unique_platform_id("mailer")
    added = served.run("platforms", "add", platform_id, "--name", "Mailer", "--jurisdiction", "KR")
    assert added.returncode == 0, added.stderr
    agreed = served.run("agreements", "set", "kftc", platform_id, "--notification-mode", "exchange")
    assert agreed.returncode == 0, agreed.stderr
    key = served.json("keys", "issue", "--platform", platform_id, "--json")["key"]
    notices = tmp_path / "outbox.csv"
    reference = f"OUT-{platform_id}"
    notices.write_text(
        f"source_reference,product_name,jurisdiction\n{reference},Hot kettle,KR\n",
        encoding="utf-8",
    )
    report = served.json("upload", str(notices), "--regulator", "kftc", "--json")
    notice_id = report["rows"][0]["notice_id"]
    _dispatch_status(served, notice_id, platform_id)

    parties = _post_json(
        f"{served.api}/v1/notices/{notice_id}/affected-parties",
        key,
        {
            "version": 1,
            "buyers": [{"buyer_ref": "B-1", "email": "kim@mail.example", "language": "ko"}],
        },
    )
    (sent,) = _sent(served, notice_id, 1)
    listed = served.run("outbox", "--notice", notice_id)
    opened: list[str] = []
    monkeypatch.setattr("psx.outbox_cli.webbrowser.open", opened.append)
    # In this process the CLI points every AWS client at `psx serve` (psx/target.py sets
    # AWS_ENDPOINT_URL and local credentials); put them back after the test, or the
    # worker's later tests would talk to a server that has stopped.
    for name in ("AWS_ENDPOINT_URL", *_LOCAL_DEFAULTS):
        before = os.environ.get(name)
        monkeypatch.setenv(name, before or "")  # recorded: restored, or unset, afterwards
        if before is None:
            monkeypatch.delenv(name)
    out = tmp_path / "eml"
    result = CliRunner().invoke(
        outbox, ["--notice", notice_id, "--open", "--out", str(out), "--endpoint-url", served.aws]
    )

    assert parties["queued"] == 1
    assert (sent["recipient"], sent["kind"], sent["language"]) == (
        "kim@mail.example",
        "recall",
        "ko",
    )
    assert listed.returncode == 0 and "kim@mail.example" in listed.stdout, listed.stderr
    assert result.exit_code == 0, result.output
    (eml,) = out.glob("*.eml")
    assert opened == [eml.as_uri()]
    message = email.message_from_bytes(eml.read_bytes())
    assert message["To"] == "kim@mail.example" and message.is_multipart()
    assert "Hot kettle" in str(make_header(decode_header(message["Subject"])))
