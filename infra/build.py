"""Synthesize the deployable template: Chalice's SAM template merged with infra/stack.py.

    python -m infra.build --stage dev      # writes build/<stage>/sam.json (+ deployment.zip)

We merge ourselves rather than with ``chalice package --merge-template`` because
Chalice's merge combines an intrinsic function with the one it replaces (an SQS event
source would get both its ``Fn::Sub`` and our ``Fn::GetAtt``); here an intrinsic
function in the override replaces what was there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.stack import merge_template

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = ROOT / "build"


def _is_intrinsic(value: dict[str, Any]) -> bool:
    return len(value) == 1 and next(iter(value)) in {"Ref", "Condition"} | {
        key for key in value if key.startswith("Fn::")
    }


def merge(base: Any, override: Any) -> Any:
    """Deep-merge ``override`` into ``base``; lists, scalars and intrinsics replace."""
    if isinstance(base, dict) and isinstance(override, dict) and not _is_intrinsic(override):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return override


def synthesize(stage: str) -> Path:
    out_dir = BUILD_DIR / stage
    chalice = Path(sys.executable).with_name("chalice")
    subprocess.run(
        [str(chalice), "package", "--stage", stage, str(out_dir)],
        cwd=ROOT / "functions",
        check=True,
        # Packaging needs a region name only to render ARNs; it calls no AWS API.
        env={**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1")},
    )
    template_file = out_dir / "sam.json"
    chalice_template = json.loads(template_file.read_text(encoding="utf-8"))
    template = merge(chalice_template, merge_template())
    template_file.write_text(json.dumps(template, indent=2), encoding="utf-8")
    return template_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", default="dev")
    print(synthesize(parser.parse_args().stage))


if __name__ == "__main__":
    main()
