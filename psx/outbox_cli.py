"""`psx outbox`: what the embedded exchange sent to sellers and buyers (moto's SES and
SNS), one line per message, and each e-mail as an ``.eml`` file a person can open."""

from __future__ import annotations

import json
import tempfile
import webbrowser
from pathlib import Path

import click

from psx.cli_common import reported_errors
from psx.outbox import OutboxMessage, messages, served_data, stored_templates
from psx.target import Target
from psx.terminal import echo, one_line


@click.command()
@click.option("--notice", "notice_id", help="Only what was sent about this notice.")
@click.option("--json", "as_json", is_flag=True, help="Print the messages as JSON.")
@click.option("--open", "open_first", is_flag=True, help="Open the first e-mail listed.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Where .eml go.")
@click.option(
    "--endpoint-url",
    envvar="PSX_ENDPOINT_URL",
    required=True,
    help="AWS endpoint of `psx serve` (real SES keeps no record of what it sent).",
)
def outbox(
    notice_id: str | None, as_json: bool, open_first: bool, out: Path | None, endpoint_url: str
) -> None:
    """List what was sent (recipient, kind, language, subject, status); writes each e-mail
    as an .eml file."""
    with reported_errors():
        sesv2 = Target(endpoint_url=endpoint_url).client("sesv2")
        found = [
            message
            for message in messages(served_data(endpoint_url), stored_templates(sesv2))
            if notice_id is None or message.notice_id == notice_id
        ]
    folder = out or Path(tempfile.mkdtemp(prefix="psx-outbox-"))
    files = write_emls(found, folder)
    if as_json:
        rows = [
            {**m.as_json(), "eml": str(files[i]) if i in files else None}
            for i, m in enumerate(found)
        ]
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not found:
        echo("Nothing sent.")
    else:
        echo("\n".join(outbox_line(message) for message in found))
        echo(f"{len(files)} e-mails written to {folder}")
    if open_first and files:
        webbrowser.open(files[min(files)].as_uri())


def write_emls(found: list[OutboxMessage], folder: Path) -> dict[int, Path]:
    """Each e-mail as ``<n>-<kind>-<language>.eml``; by the message's index."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for index, message in enumerate(found):
        if message.eml is None:
            continue
        path = folder / f"{index + 1:04d}-{message.kind or 'email'}-{message.language or 'xx'}.eml"
        path.write_bytes(message.eml)
        written[index] = path
    return written


def outbox_line(message: OutboxMessage) -> str:
    return (
        f"{message.channel:5}  {message.recipient}  {message.kind or '-'}  "
        f"{message.language or '-'}  {message.status}  {one_line(message.subject or message.text)}"
    )
