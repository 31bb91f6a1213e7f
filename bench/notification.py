"""Notification benchmark (not a test): buyers of one notice posted in batches of 1,000
through the same code the API runs, sent by the notify function in the embedded runtime
(moto's SQS, DynamoDB, SES), until every buyer is recorded sent.

    PYTHONPATH=functions:. .venv/bin/python -m bench.notification --buyers 100000

Prints the time from the first post until all are recorded sent (and buyers a second),
the CPU seconds the process spent meanwhile (per buyer too: on a shared machine the
figure to compare), the SES calls per 1,000 buyers (bulk calls and template creations),
and what 100,000 buyers cost on AWS.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.deadlines.policy import ANY_REGULATOR, DeadlinePolicy, NotificationMode
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState
from chalicelib.notices.model import Hazard, NoticeContent, Product
from chalicelib.notification.batches import accept_batch
from chalicelib.notification.services import notification_services
from chalicelib.platforms.model import Platform
from chalicelib.settings import load_settings
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.platforms_table import PlatformStore
from psx.embedded.runtime import ACCOUNT_ID, EmbeddedRuntime

BATCH = 1000
# Where buyers come from: most share their country's language, so a queue message of 50
# holds one recall notice (the API orders each batch by language before chunking).
LANGUAGES = ("ko", "ko", "ko", "en", "de", "fr", "nl", "es", "it", "pl")

# Public us-east-1 prices (December 2026); free tiers ignored.
SES_PER_EMAIL = 0.10 / 1000
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667
SQS_PER_REQUEST = 0.40 / 1_000_000
DYNAMODB_PER_WRITE_UNIT = 1.25 / 1_000_000  # upper bound, as in docs/deploy.md
DYNAMODB_PER_READ_UNIT = 0.25 / 1_000_000


def _setup(runtime: EmbeddedRuntime) -> Dispatch:
    table = os.environ["PSX_TABLE_NAME"]
    now = datetime.now(UTC)
    PlatformStore(table).create(
        Platform(platform_id="bench-shop", name="Bench Shop", jurisdictions=["KR"])
    )
    agreement = DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE)
    PlatformStore(table).set_agreement("bench-shop", ANY_REGULATOR, agreement)
    content = NoticeContent(
        source_reference="BENCH-1",
        kind="order",
        jurisdiction="KR",
        title="Recall of magnetic blocks",
        product=Product(name="Magnetic blocks", models=["KB-100"], barcodes=["8801234567893"]),
        hazard=Hazard(description="Small magnets can be swallowed."),
        remedy="Full refund",
        target_platforms=["bench-shop"],
    )
    saved = NoticeStore(table).save(
        content, regulator_id="kftc", source_format="api", source_file=None, received_at=now
    )
    return DispatchStore(table).create(
        Dispatch(
            ref=DispatchRef(saved.current.notice_id, 1, "bench-shop"),
            regulator_id="kftc",
            notice_kind="order",
            jurisdiction="KR",
            withdrawal=False,
            created_at=now,
            acknowledgement_deadline=now + timedelta(days=1),
            action_deadline=now + timedelta(days=2),
            state=DispatchState.HANDED_OFF,
            webhook_attempts=0,
            open_wait=None,
            task_token=None,
            acknowledged_at=now,
            action_reported_at=now,
        )
    )


def _batch(start: int, final: bool) -> dict[str, Any]:
    buyers = [
        {
            "buyer_ref": f"B-{n}",
            "email": f"buyer-{n}@mail.example",
            "language": LANGUAGES[n % len(LANGUAGES)],
            "purchased_on": "2026-11-01",
        }
        for n in range(start, start + BATCH)
    ]
    return {"buyers": buyers, "final": final}


def run(buyers: int) -> dict[str, Any]:
    with EmbeddedRuntime() as runtime:
        dispatch = _setup(runtime)
        services = notification_services(load_settings())
        services.recipient_key.secret()  # made once per deployment, not per post
        started, cpu_started = time.perf_counter(), time.process_time()
        for start in range(0, buyers, BATCH):
            final = start + BATCH >= buyers
            accept_batch(dispatch, _batch(start, final), datetime.now(UTC), services)
            runtime.pump()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        progress = services.recipients.progress(dispatch.ref.notice_id, "bench-shop")
        ses_calls = _ses_calls(runtime)
    return {
        "buyers": buyers,
        "seconds": round(elapsed, 1),
        "buyers_per_second": round(buyers / elapsed, 1),
        # The machine may be shared: CPU seconds (this process, all threads) say what the
        # run cost whatever else ran beside it.
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_buyer": round(cpu * 1000 / buyers, 2),
        "buyers_recorded_sent": progress.counts["buyers_notified"],
        "completed": progress.completed_at is not None,
        "ses_calls": ses_calls,
        "ses_calls_per_1000_buyers": round(ses_calls * 1000 / buyers, 1),
    }


def _ses_calls(runtime: EmbeddedRuntime) -> int:
    from moto.ses.models import ses_backends

    backend = ses_backends[ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    return len(backend.sent_messages) + len(backend.templates)


def cost_per_100k(languages: int = len(set(LANGUAGES))) -> dict[str, float]:
    """What 100,000 buyers cost on AWS, counted from the design (docs/deploy.md)."""
    buyers = 100_000
    messages = buyers / 50 + languages  # one SQS message per 50; groups split by language
    # Per buyer: its transactional put (2 write units) and its share of the progress
    # update, its claim and its settle (transactional puts: 2 each) and its share of
    # that progress.
    writes = buyers * (2 + 2 + 2) + messages * 2 * 2
    # Per buyer: the duplicate check (BatchGetItem, consistent: 1 unit) and the notify
    # function's read of the chunk (1).
    reads = buyers * 2
    invocations = messages / 10  # the event source's batch of 10 messages
    gb_seconds = invocations * 1.0 * 5.0  # 1 GB (Chalice's default), ~5 s for 500 buyers
    sqs_requests = messages / 10 + messages * 2  # send in tens; receive and delete
    lines = {
        "SES e-mails": buyers * SES_PER_EMAIL,
        "DynamoDB writes": writes * DYNAMODB_PER_WRITE_UNIT,
        "DynamoDB reads": reads * DYNAMODB_PER_READ_UNIT,
        "Lambda": invocations * LAMBDA_PER_REQUEST + gb_seconds * LAMBDA_PER_GB_SECOND,
        "SQS": sqs_requests * SQS_PER_REQUEST,
    }
    return {name: round(value, 4) for name, value in lines.items()} | {
        "total": round(sum(lines.values()), 2)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--buyers", type=int, default=100_000)
    args = parser.parse_args()
    result = run(args.buyers)
    for name, value in result.items():
        print(f"{name}: {value}")
    print("cost per 100,000 buyers on AWS (USD):")
    for name, value in cost_per_100k().items():
        print(f"  {name}: {value}")


if __name__ == "__main__":
    main()
