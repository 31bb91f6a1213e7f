"""Upload benchmark (not a test): one CSV file of buyers taken by the upload function's
code (checked whole, then stored and queued in batches of 1,000) in the embedded runtime,
without sending; the rate says how many rows one invocation (900 s) takes.

    PYTHONPATH=functions:. .venv/bin/python -m bench.notification_upload --rows 20000
"""

from __future__ import annotations

import argparse
import csv
import io
import time
from datetime import UTC, datetime
from typing import Any

from bench.notification import LANGUAGES, _setup
from chalicelib.notification.services import notification_services
from chalicelib.notification.upload_model import Upload, UploadFormat, new_upload_id
from chalicelib.notification.uploads import process_upload
from chalicelib.settings import load_settings
from chalicelib.stores.affected_parties_bucket import upload_key
from psx.embedded.runtime import EmbeddedRuntime


def _file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["buyer_ref", "email", "language", "purchased_on"])
    for n in range(rows):
        writer.writerow([f"B-{n}", f"buyer-{n}@mail.example", LANGUAGES[n % 10], "2026-11-01"])
    return out.getvalue().encode()


def run(rows: int) -> dict[str, Any]:
    with EmbeddedRuntime() as runtime:
        dispatch = _setup(runtime)
        services = notification_services(load_settings())
        services.recipient_key.secret()  # made once per deployment, not per file
        now = datetime.now(UTC)
        upload = Upload(
            upload_id=new_upload_id(now),
            notice_id=dispatch.ref.notice_id,
            platform_id=dispatch.ref.platform_id,
            version=dispatch.ref.version,
            format=UploadFormat.CSV,
            gzip=False,
            final=True,
            created_at=now,
        )
        services.recipients.create_upload(upload)
        data = _file(rows)
        # As the platform's PUT would; its event waits in the queue (never pumped here):
        # the function's work is timed directly.
        runtime.client("s3").put_object(
            Bucket=services.uploads.bucket, Key=upload_key(upload), Body=data
        )
        started = time.perf_counter()
        finished = process_upload(
            upload.notice_id, upload.platform_id, upload.upload_id, rows, lambda: now, services
        )
        elapsed = time.perf_counter() - started
    assert finished is not None
    return {
        "rows": rows,
        "megabytes": round(len(data) / 1e6, 2),
        "seconds": round(elapsed, 1),
        "rows_per_second": round(rows / elapsed),
        "counts": finished.counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    result = run(parser.parse_args().rows)
    for name, value in result.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
