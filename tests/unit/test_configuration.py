"""Every setting read is declared, every declared setting is read (psx/configuration.py)."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.settings import SETTINGS, Reader, Setting
from psx import configuration
from psx.configuration import Read, problems, reads_in, template_variables

FIXTURE = Path(__file__).parent / "fixtures" / "settings_reads"
TABLE = Setting("PSX_TABLE_NAME", Reader.FUNCTIONS, "the table")
ENDPOINT = Setting("PSX_ENDPOINT_URL", Reader.CLI, "endpoint", "unset")


def test_the_scanner_finds_subscripts_gets_and_click_envvars_but_not_writes() -> None:
    found = {(read.name, read.where) for read in reads_in([FIXTURE])}
    assert found == {
        ("PSX_UNDECLARED_LIMIT", "settings_reads/reads.py:6"),
        ("PSX_TABLE_NAME", "settings_reads/reads.py:7"),
        ("PSX_ENDPOINT_URL", "settings_reads/reads.py:9"),
    }


def test_a_read_that_is_not_declared_fails() -> None:
    found = problems([TABLE, ENDPOINT], reads_in([FIXTURE]), {"PSX_TABLE_NAME"})
    assert found == [
        "PSX_UNDECLARED_LIMIT is read (settings_reads/reads.py:6) but not declared in "
        "chalicelib/settings.py SETTINGS"
    ]


def test_a_declared_setting_nobody_reads_fails() -> None:
    unread = Setting("PSX_FORGOTTEN", Reader.FUNCTIONS, "nobody reads it", "1")
    reads = [Read("PSX_TABLE_NAME", "app.py:1")]
    assert problems([TABLE, unread], reads, {"PSX_TABLE_NAME"}) == [
        "PSX_FORGOTTEN is declared but never read by functions"
    ]


def test_a_template_variable_that_is_not_declared_fails() -> None:
    reads = [Read("PSX_TABLE_NAME", "app.py:1")]
    assert problems([TABLE], reads, {"PSX_TABLE_NAME", "PSX_STAGE"}) == [
        "PSX_STAGE is set by the template but not declared in SETTINGS: nothing reads it"
    ]


def test_a_required_setting_the_template_does_not_set_fails() -> None:
    reads = [Read("PSX_TABLE_NAME", "app.py:1")]
    assert problems([TABLE], reads, set()) == [
        "PSX_TABLE_NAME is required but the template does not set it"
    ]


def test_a_cli_setting_the_template_sets_fails() -> None:
    reads = [Read("PSX_ENDPOINT_URL", "cli.py:1")]
    assert problems([ENDPOINT], reads, {"PSX_ENDPOINT_URL"}) == [
        "PSX_ENDPOINT_URL is read by the CLI only, yet the template sets it"
    ]


def test_the_project_declares_what_it_reads() -> None:
    chalice_config = json.loads((configuration.ROOT / "chalice.json").read_text())
    in_template = template_variables(chalice_config)
    assert problems(SETTINGS, reads_in(configuration.SCANNED), in_template) == []


def test_the_committed_table_is_up_to_date() -> None:
    assert configuration.main(["--check"]) == 0
    chalice_config = json.loads((configuration.ROOT / "chalice.json").read_text())
    expected = configuration.table(SETTINGS, template_variables(chalice_config))
    assert configuration.DOC.read_text(encoding="utf-8") == expected
