"""Matcher speed, before against after, on a shared machine (not a test): one worker
process per checkout, each with the same seeded catalogue built once, runs one timed
pass in turn (the order swapped every round), so that both see the same load.

    git worktree add --detach /tmp/mbase <commit>       # the "before" code, read only
    PYTHONPATH=functions:. .venv/bin/python -m bench.matching_compare --before /tmp/mbase
    git worktree remove /tmp/mbase

Rates are listings per CPU second of the worker (``time.process_time``): the median of
each side and the median of the paired ratios (after / before of the same round). Both
sides must return the same number of matches, or the comparison stops.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import IO

AFTER = Path(__file__).resolve().parent.parent
# Run with each checkout's own code (only what both have: the catalogue generator and
# the matcher's public names), so the "before" tree needs nothing of this module.
WORKER = """
import sys, time
from bench.catalogue_data import generate
from chalicelib.matching import Matcher, MatchTier, NoticeIndex, Thresholds
catalogue = generate(int(sys.argv[1]), int(sys.argv[2]))
index = NoticeIndex.build((p.notice for p in catalogue.notices), catalogue.aliases)
thresholds = Thresholds(probable_similarity=float(sys.argv[3]))
print("ready", flush=True)
for line in sys.stdin:
    tiers = [MatchTier.CERTAIN] if line.strip() == "certain" else list(MatchTier)
    matcher = Matcher(index, thresholds, tiers=tiers)
    started = time.process_time()
    matches = sum(1 for _ in matcher.match_all(catalogue.listings))
    print(len(catalogue.listings) / (time.process_time() - started), matches, flush=True)
"""
MODES = {"certain": "exact-identifier tier (certain only)", "all": "all tiers"}


class Worker:
    def __init__(self, tree: Path, listings: int, notices: int, threshold: float) -> None:
        env = dict(os.environ, PYTHONPATH="functions:.")
        arguments = [str(listings), str(notices), str(threshold)]
        self._process = subprocess.Popen(
            [sys.executable, "-c", WORKER, *arguments],
            cwd=tree,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self._read() != "ready":
            raise RuntimeError(f"the worker in {tree} did not start")

    def run(self, mode: str) -> tuple[float, int]:
        self._stdin().write(mode + "\n")
        self._stdin().flush()
        rate, matches = self._read().split()
        return float(rate), int(matches)

    def close(self) -> None:
        self._stdin().close()
        self._process.wait()

    def _stdin(self) -> IO[str]:
        assert self._process.stdin is not None
        return self._process.stdin

    def _read(self) -> str:
        assert self._process.stdout is not None
        return self._process.stdout.readline().strip()


def compare(workers: dict[str, Worker], mode: str, rounds: int) -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {side: [] for side in workers}
    for turn in range(rounds):
        sides = list(workers) if turn % 2 == 0 else list(reversed(workers))
        counts = set()
        for side in sides:
            rate, matches = workers[side].run(mode)
            rates[side].append(rate)
            counts.add(matches)
        if len(counts) != 1:
            raise SystemExit(f"{mode}: before and after disagree on the matches: {counts}")
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="checkout of the old code")
    parser.add_argument("--after", type=Path, default=AFTER, help="default: this checkout")
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threshold", type=float, default=0.55, help="probable_similarity")
    args = parser.parse_args()

    trees = {"before": args.before, "after": args.after}
    workers = {
        side: Worker(tree, args.listings, args.notices, args.threshold)
        for side, tree in trees.items()
    }
    try:
        print(f"{args.listings:,} listings x {args.notices:,} notices, {args.rounds} rounds")
        for mode, label in MODES.items():
            rates = compare(workers, mode, args.rounds)
            before, after = rates["before"], rates["after"]
            ratios = [new / old for old, new in zip(before, after, strict=True)]
            print(
                f"{label:<37} before {statistics.median(before):>9,.0f}"
                f"  after {statistics.median(after):>9,.0f}"
                f"  after/before {statistics.median(ratios):.3f}"
                f" ({min(ratios):.3f}-{max(ratios):.3f})"
            )
    finally:
        for worker in workers.values():
            worker.close()


if __name__ == "__main__":
    main()
