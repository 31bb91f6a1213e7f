"""Reading one catalogue part (bench, not a test): the audit's per-part read
(chalicelib/verification/parts.py) of the same synthetic listings (bench/catalogue_data.py)
as gzip JSON Lines or as Parquet; seconds, and the process's peak memory. One format per
run, so each peak is its own:

    PYTHONPATH=functions:. .venv/bin/python -m bench.parts --format jsonl.gz
    PYTHONPATH=functions:. .venv/bin/python -m bench.parts --format parquet
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import multiprocessing
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bench.audit import row_of
from bench.catalogue_data import generate
from chalicelib.verification.parts import KNOWN_FIELDS, read_part


def encoded(rows: list[dict[str, object]], part_format: str) -> bytes:
    if part_format == "jsonl.gz":
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        return gzip.compress(body.encode(), 5)
    columns = {name: [row.get(name) for row in rows] for name in KNOWN_FIELDS}
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)  # snappy, pyarrow's default
    return out.getvalue()


def _peak_mib() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent into a spawned
    # child, while VmHWM is this process's own peak resident memory.
    status = Path("/proc/self/status").read_text(encoding="ascii")
    [line] = [line for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(line.split()[1]) / 1024


def read(path: Path, part_format: str) -> None:
    """In a fresh process, so the peak is the read's and not the generator's."""
    data = path.read_bytes()
    before = _peak_mib()
    began = time.perf_counter()
    reading = read_part(f"part.{part_format}", data)
    elapsed = time.perf_counter() - began
    peak = _peak_mib()
    print(
        f"{part_format}: {len(data) / 1e6:.1f} MB, {reading.rows:,} rows "
        f"({reading.bad_rows} bad) read in {elapsed:.1f} s; peak memory {peak:.0f} MiB "
        f"({before:.0f} MiB with the file loaded, before reading)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=500_000)
    parser.add_argument("--format", dest="part_format", choices=["jsonl.gz", "parquet"])
    args = parser.parse_args()

    rows = [row_of(listing) for listing in generate(args.listings, 1_000).listings]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"part.{args.part_format}"
        path.write_bytes(encoded(rows, args.part_format))
        reader = multiprocessing.get_context("spawn").Process(
            target=read, args=(path, args.part_format)
        )
        reader.start()
        reader.join()


if __name__ == "__main__":
    main()
