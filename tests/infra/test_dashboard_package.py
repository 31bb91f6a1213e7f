"""The dashboard's static files reach Lambda: Chalice packages everything under chalicelib/."""

from __future__ import annotations

import zipfile
from pathlib import Path

from chalicelib.dashboard import FILES


def test_the_deployment_package_holds_every_dashboard_file(template_file: Path) -> None:
    package = template_file.parent / "deployment.zip"
    names = set(zipfile.ZipFile(package).namelist())
    assert {f"chalicelib/dashboard/{name}" for name in FILES} <= names
