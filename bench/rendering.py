"""Rendering benchmark (not a test): messages rendered per CPU second of one core, for
buyer recall notices and seller statements of reasons in the 8 written languages.

    PYTHONPATH=functions:. .venv/bin/python -m bench.rendering [--messages 4000] [--profile]

A message is everything one person is sent: subject, plain text, HTML and SMS. Buyer
messages are rendered once per (notice version, platform, kind, language) and shared;
``personalise`` (the order date, per buyer) is measured beside them.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time
from collections.abc import Callable
from datetime import date

from bench.run import RESULTS
from chalicelib.dispatch.actions import ListingAction
from chalicelib.notification.languages import SUPPORTED_LANGUAGES
from chalicelib.notification.rendering import (
    MessageKind,
    RenderedMessage,
    personalise,
    render_buyer_message,
    render_seller_statement,
)
from tests.support.notification_samples import NOTICE_URL, korean_notice, listing, temu

GOAL_PER_CORE = 5_000


def _renderers() -> list[Callable[[], RenderedMessage]]:
    notice, platform = korean_notice(), temu()
    removed = listing(ListingAction.REMOVED)
    renderers: list[Callable[[], RenderedMessage]] = []
    for language in SUPPORTED_LANGUAGES:
        renderers.append(
            lambda language=language: render_buyer_message(  # type: ignore[misc]
                MessageKind.RECALL,
                notice,
                platform,
                language=language,
                country=None,
                notice_url=NOTICE_URL,
            )
        )
        renderers.append(
            lambda language=language: render_seller_statement(  # type: ignore[misc]
                notice, platform, removed, language=language, country=None
            )
        )
    return renderers


def _rate(work: Callable[[], object], count: int) -> float:
    """Calls of ``work`` per CPU second of this (single-threaded) process."""
    started = time.process_time()
    for _ in range(count):
        work()
    return count / (time.process_time() - started)


def measure(messages: int) -> dict[str, float]:
    renderers = _renderers()
    for render in renderers:  # catalogues compiled and templates loaded once per process
        render()
    position = iter(range(10**12))

    def next_message() -> RenderedMessage:
        return renderers[next(position) % len(renderers)]()

    shared = renderers[0]()
    return {
        "messages_per_cpu_second": _rate(next_message, messages),
        "personalise_per_cpu_second": _rate(
            lambda: personalise(shared, date(2026, 10, 1)), messages
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--profile", action="store_true", help="print where the time goes")
    args = parser.parse_args()
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(measure, args.messages)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        return
    results = measure(args.messages)
    rate = results["messages_per_cpu_second"]
    print(
        f"rendering, both kinds, {len(SUPPORTED_LANGUAGES)} languages: "
        f"{rate:,.0f} messages/s/core (goal {GOAL_PER_CORE:,})"
    )
    print(f"personalise (order date, per buyer): {results['personalise_per_cpu_second']:,.0f}/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rendering.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
