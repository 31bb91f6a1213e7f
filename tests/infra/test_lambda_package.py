"""The deployment package Lambda is given: under Lambda's unzipped-size quota (pyarrow
alone is ~140 MB of it), and the audit's Parquet reader in a wheel that the python3.11
runtime (glibc 2.26) loads."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

# Function code and layers together, unzipped; CreateFunction refuses more with
# "Unzipped size must be smaller than 262144000 bytes".
LAMBDA_UNZIPPED_LIMIT = 262_144_000
RUNTIME_GLIBC = (2, 26)
LEGACY_MANYLINUX = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}


def _package(template_file: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(template_file.parent / "deployment.zip")


def test_the_deployment_package_fits_lambdas_unzipped_size_limit(template_file: Path) -> None:
    unzipped = sum(info.file_size for info in _package(template_file).infolist())

    assert unzipped < LAMBDA_UNZIPPED_LIMIT, f"{unzipped:,} bytes unzipped"


def _glibc(platform_tag: str) -> tuple[int, int] | None:
    legacy = platform_tag.removesuffix("_x86_64")
    if legacy in LEGACY_MANYLINUX:
        return LEGACY_MANYLINUX[legacy]
    found = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform_tag)
    return (int(found[1]), int(found[2])) if found else None


def test_pyarrow_is_packaged_from_a_wheel_python311_on_lambda_loads(template_file: Path) -> None:
    package = _package(template_file)
    [wheel] = [
        name for name in package.namelist() if re.fullmatch(r"pyarrow-[^/]+\.dist-info/WHEEL", name)
    ]
    tags = [
        line.removeprefix("Tag: ").split("-")
        for line in package.read(wheel).decode().splitlines()
        if line.startswith("Tag: ")
    ]
    loadable = [
        platform
        for interpreter, _, platform in tags
        if interpreter == "cp311" and (_glibc(platform) or (99, 0)) <= RUNTIME_GLIBC
    ]

    assert loadable, tags
    assert "pyarrow/_parquet.cpython-311-x86_64-linux-gnu.so" in package.namelist()
