"""Every setting the code reads, checked against its declarations; docs/configuration.md.

The declarations are ``chalicelib.settings.SETTINGS``. The reads are found in the source:
an environment variable's name (``PSX_``, ``POWERTOOLS_``, ``AWS_``…) as a string
literal that is the key of ``os.environ[...]``, the first argument of a call
(``os.environ.get``, ``os.getenv``, the settings helpers, ``Target.output``) or a click
``envvar=``. What the template sets comes from ``chalice.json`` and
``infra.stack.FUNCTION_ENVIRONMENT`` (tests compare it with the synthesized template too).

``python -m psx.configuration`` rewrites docs/configuration.md; ``--check`` exits 1 when
the table is out of date or a setting is read but not declared, or declared but not read.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from chalicelib.settings import SETTINGS, Reader, Setting
from infra.stack import FUNCTION_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
SCANNED = (ROOT / "functions", ROOT / "psx")
DOC = ROOT / "docs" / "configuration.md"
_VARIABLE = re.compile(r"^(PSX|POWERTOOLS|AWS)_[A-Z0-9_]+$")


@dataclass(frozen=True)
class Read:
    name: str
    where: str  # path:line


def reads_in(roots: Iterable[Path]) -> list[Read]:
    """Every environment variable read in the Python files under ``roots``."""
    found: list[Read] = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found.extend(
                Read(name, f"{path.relative_to(root.parent)}:{line}")
                for name, line in _names_read(tree)
            )
    return found


def _names_read(tree: ast.AST) -> Iterable[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if _is_environ(node.value):
                yield from _variable(node.slice)
        elif isinstance(node, ast.Call) and not _is_declaration(node):
            if node.args:
                yield from _variable(node.args[0])
            for keyword in node.keywords:
                if keyword.arg == "envvar":
                    yield from _variable(keyword.value)


def _is_declaration(call: ast.Call) -> bool:
    # A Setting(...) in SETTINGS names a variable without reading it.
    return isinstance(call.func, ast.Name) and call.func.id == Setting.__name__


def _is_environ(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _variable(node: ast.expr) -> Iterable[tuple[str, int]]:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _VARIABLE.fullmatch(node.value)
    ):
        yield node.value, node.lineno


def template_variables(chalice_config: Mapping[str, object]) -> set[str]:
    """What the deployed functions get: chalice.json (every stage) and the stack."""
    names = set(_environment(chalice_config))
    stages = chalice_config.get("stages", {})
    assert isinstance(stages, dict)
    for stage in stages.values():
        names |= set(_environment(stage))
    return names | set(FUNCTION_ENVIRONMENT)


def _environment(config: object) -> dict[str, object]:
    assert isinstance(config, dict)
    variables = config.get("environment_variables", {})
    assert isinstance(variables, dict)
    return variables


def problems(
    settings: Iterable[Setting], reads: Iterable[Read], in_template: set[str]
) -> list[str]:
    """What makes the configuration undeclared: one sentence per mistake."""
    declared = {setting.name: setting for setting in settings}
    read_at: dict[str, list[str]] = {}
    for read in reads:
        read_at.setdefault(read.name, []).append(read.where)
    found = [
        f"{name} is read ({', '.join(read_at[name])}) but not declared in "
        "chalicelib/settings.py SETTINGS"
        for name in sorted(set(read_at) - set(declared))
    ]
    found += [
        f"{name} is set by the template but not declared in SETTINGS: nothing reads it"
        for name in sorted(in_template - set(declared))
    ]
    for setting in declared.values():
        # Powertools reads its own variables: there is no read of ours to find.
        if setting.read_by is not Reader.POWERTOOLS and setting.name not in read_at:
            found.append(f"{setting.name} is declared but never read by {setting.read_by}")
        required = setting.read_by is not Reader.CLI and setting.default is None
        if required and setting.name not in in_template:
            found.append(f"{setting.name} is required but the template does not set it")
        if setting.read_by is Reader.CLI and setting.name in in_template:
            found.append(f"{setting.name} is read by the CLI only, yet the template sets it")
    return found


def table(settings: Iterable[Setting], in_template: set[str]) -> str:
    """docs/configuration.md: the one table of settings."""
    rows = [
        f"| `{setting.name}` | {setting.read_by} | {_where(setting, in_template)} | "
        f"{setting.meaning} |"
        for setting in settings
    ]
    return "\n".join(
        [
            "# Configuration",
            "",
            "<!-- Generated by `python -m psx.configuration` from `SETTINGS` in",
            "functions/chalicelib/settings.py; do not edit by hand. -->",
            "",
            "Every environment variable the code reads. *Set by the template*: the stack",
            "(`infra/stack.py`, resolved by CloudFormation) or `chalice.json` sets it on",
            "every function; the others are optional and keep their default.",
            "",
            "| variable | read by | value | meaning |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )


def _where(setting: Setting, in_template: set[str]) -> str:
    if setting.name in FUNCTION_ENVIRONMENT:
        return "set by the template (`infra/stack.py`)"
    if setting.name in in_template:
        return "set by the template (`chalice.json`)"
    if setting.default is None:
        return "required"
    return f"optional, default `{setting.default}`"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check, do not write")
    args = parser.parse_args(argv)
    chalice_config = json.loads((ROOT / "chalice.json").read_text(encoding="utf-8"))
    in_template = template_variables(chalice_config)
    mistakes = problems(SETTINGS, reads_in(SCANNED), in_template)
    expected = table(SETTINGS, in_template)
    if args.check and DOC.read_text(encoding="utf-8") != expected:
        mistakes.append(f"{DOC.relative_to(ROOT)} is out of date: python -m psx.configuration")
    elif not args.check:
        DOC.write_text(expected, encoding="utf-8")
    for mistake in mistakes:
        print(mistake, file=sys.stderr)
    return 1 if mistakes else 0


if __name__ == "__main__":
    sys.exit(main())
