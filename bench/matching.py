"""Catalogue matching bench (not a test): precision/recall per tier on a labelled
synthetic catalogue, the similarity threshold chosen from the curve, listings per CPU
second, and the speed-up over brute force.

    PYTHONPATH=functions:. .venv/bin/python -m bench.matching            # 1,000,000 x 1,000
    PYTHONPATH=functions:. .venv/bin/python -m bench.matching --listings 100000 --no-write
    PYTHONPATH=functions:. .venv/bin/python -m bench.matching --profile   # where match time goes

It writes the chosen threshold to ``functions/chalicelib/matching/thresholds.json``
(what ``Thresholds.chosen()`` loads) unless ``--no-write``, and its figures to
``bench/results/matching.json``. Rates are per CPU second of this process (one core),
the median of several timed passes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import platform
import pstats
import random
import statistics
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz.fuzz import token_set_ratio
from rapidfuzz.process import extract

from bench.catalogue_data import Catalogue, generate, truth_pairs
from chalicelib.matching import CatalogueListing, Matcher, MatchTier, NoticeIndex, Thresholds
from chalicelib.matching.text import words
from chalicelib.matching.thresholds import CHOSEN_FILE

RESULTS = Path(__file__).resolve().parent / "results"
# The goals for certain + probable; the chosen point is the best F1 among the
# thresholds that meet both.
TARGET_PRECISION = 0.97
TARGET_RECALL = 0.95
GRID = [round(0.3 + step / 100, 2) for step in range(71)]  # 0.30 .. 1.00
BRUTE_FORCE_SAMPLE = 2_000
# Timed passes of the matcher per mode: the rate reported is their median.
TIMED_PASSES = 5
# Listings per CPU second that this bench measured on 1,000,000 listings with the first
# matcher (commit 37c268c, one listing at a time, plus the certain-only mode), before
# the profile-led work: the figures to compare. Same machine, 2 cores shared with other
# work at load average 13-18 then, so compare at the same load (README).
BEFORE_PROFILING = {"certain_only": 174_519, "all_tiers": 146_481}
# What this bench measured at commit 94f7182, before titles were folded with spaces
# left out of the separator regex (README, load average 6 falling to 3).
BEFORE_FOLDING = {"certain_only": 393_837, "all_tiers": 327_110}


@dataclass(frozen=True)
class Found:
    listing_id: str
    notice_id: str
    tier: MatchTier
    score: float
    # Probable by the notice's suspect barcode: kept whatever the threshold.
    by_suspect_barcode: bool


def cpu_seconds(run: Any) -> tuple[Any, float]:
    started = time.process_time()
    result = run()
    return result, time.process_time() - started


def collect(matcher: Matcher, listings: Iterable[CatalogueListing]) -> list[Found]:
    return [
        Found(
            match.listing_id,
            match.notice_id,
            match.tier,
            match.score,
            any(item.startswith("suspect_gtin:") for item in match.evidence),
        )
        for match in matcher.match_all(listings)
    ]


def kept(found: list[Found], threshold: float) -> list[Found]:
    """What a matcher with this probable threshold returns: the same rules, so a
    threshold-0 run filtered by score is the run at that threshold."""
    return [
        f
        for f in found
        if f.tier is MatchTier.CERTAIN or f.by_suspect_barcode or f.score >= threshold
    ]


def precision_recall(pairs: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, Any]:
    hits = len(pairs & truth)
    return {
        "matches": len(pairs),
        "true": hits,
        "precision": round(hits / len(pairs), 4) if pairs else 1.0,
        "recall": round(hits / len(truth), 4) if truth else 1.0,
    }


def curve(found: list[Found], truth: set[tuple[str, str]]) -> list[dict[str, Any]]:
    points = []
    for threshold in GRID:
        pairs = {(f.listing_id, f.notice_id) for f in kept(found, threshold)}
        points.append({"threshold": threshold, **precision_recall(pairs, truth)})
    return points


def choose(points: list[dict[str, Any]]) -> dict[str, Any]:
    """The best F1 among the points that meet both goals; failing that, the best F1.
    Ties go to the higher threshold (fewer fuzzy matches for the same result)."""

    def f1(point: dict[str, Any]) -> tuple[float, float]:
        total = point["precision"] + point["recall"]
        score = 2 * point["precision"] * point["recall"] / total if total else 0.0
        return score, point["threshold"]

    good = [
        p for p in points if p["precision"] >= TARGET_PRECISION and p["recall"] >= TARGET_RECALL
    ]
    return max(good or points, key=f1)


def per_tier(found: list[Found], threshold: float, truth: set[tuple[str, str]]) -> dict[str, Any]:
    chosen = kept(found, threshold)
    certain = {(f.listing_id, f.notice_id) for f in chosen if f.tier is MatchTier.CERTAIN}
    probable = {(f.listing_id, f.notice_id) for f in chosen if f.tier is MatchTier.PROBABLE}
    return {
        "certain": precision_recall(certain, truth),
        "probable": precision_recall(probable, truth),
        "certain+probable": precision_recall(certain | probable, truth),
    }


def by_kind(
    catalogue: Catalogue, found: list[Found], threshold: float
) -> dict[str, dict[str, int]]:
    """Per planted kind: listings, and how many the matcher flagged (correctly for
    positives; any flag on a negative is a false positive)."""
    flagged: dict[str, set[str]] = {}
    for f in kept(found, threshold):
        flagged.setdefault(f.listing_id, set()).add(f.notice_id)
    table: dict[str, Counter[str]] = {}
    for listing_id, kind in catalogue.kinds.items():
        counts = table.setdefault(kind, Counter())
        counts["listings"] += 1
        expected = catalogue.truth.get(listing_id, frozenset())
        got = flagged.get(listing_id, set())
        if expected:
            counts["found_all"] += expected <= got
        counts["false_matches"] += len(got - expected)
    return {kind: dict(counts) for kind, counts in sorted(table.items())}


def rate(matcher: Matcher, listings: list[CatalogueListing]) -> dict[str, Any]:
    """The median of ``TIMED_PASSES`` passes over the listings, and their range: one
    pass swings +-20 % on this shared machine."""

    def run() -> int:
        return sum(1 for _ in matcher.match_all(listings))

    passes = [cpu_seconds(run) for _ in range(TIMED_PASSES)]
    seconds = statistics.median(spent for _, spent in passes)
    rates = sorted(len(listings) / spent for _, spent in passes)
    return {
        "listings": len(listings),
        "passes": TIMED_PASSES,
        "cpu_seconds": round(seconds, 2),
        "listings_per_cpu_second": round(len(listings) / seconds),
        "range": [round(rates[0]), round(rates[-1])],
        "matches": passes[0][0],
    }


def brute_force(
    catalogue: Catalogue, index: NoticeIndex, truth: set[tuple[str, str]], matcher_seconds: float
) -> dict[str, Any]:
    """rapidfuzz's token-set ratio of every listing title with every notice's name and
    title (``process.extract``, one thread), on a sample, extrapolated to the whole catalogue. The
    sample holds every planted kind (stratified) so that its P/R means something."""
    rng = random.Random(7)
    by_kind: dict[str, list[CatalogueListing]] = {}
    for listing in catalogue.listings:
        by_kind.setdefault(catalogue.kinds[listing.listing_id], []).append(listing)
    share = BRUTE_FORCE_SAMPLE // len(by_kind)
    sample = [
        listing
        for group in by_kind.values()
        for listing in rng.sample(group, min(share, len(group)))
    ]
    texts = [" ".join(words(listing.title)) for listing in sample]
    notice_texts = [notice.texts for notice in index.notices]
    names = [t[0] if t else "" for t in notice_texts]
    titles = [t[-1] if t else "" for t in notice_texts]

    def run() -> list[dict[int, float]]:
        # extract loops over the choices in C; scores under the curve's lowest
        # threshold are dropped there, as a brute-force matcher would.
        floor = GRID[0] * 100
        scores = []
        for text in texts:
            best: dict[int, float] = {}
            for choices in (names, titles):
                for _, score, position in extract(
                    text, choices, scorer=token_set_ratio, score_cutoff=floor, limit=None
                ):
                    best[position] = max(score, best.get(position, 0.0))
            scores.append(best)
        return scores

    scores, seconds = cpu_seconds(run)
    sample_ids = {listing.listing_id for listing in sample}
    sample_truth = {pair for pair in truth if pair[0] in sample_ids}
    points = []
    for threshold in GRID:
        pairs = {
            (sample[row].listing_id, index.notices[column].notice_id)
            for row, best in enumerate(scores)
            for column, score in best.items()
            if score >= threshold * 100
        }
        points.append({"threshold": threshold, **precision_recall(pairs, sample_truth)})
    per_listing = seconds / len(sample)
    extrapolated = per_listing * len(catalogue.listings)
    return {
        "sample_listings": len(sample),
        "sample_cpu_seconds": round(seconds, 2),
        "extrapolated_cpu_seconds_for_catalogue": round(extrapolated, 1),
        "listings_per_cpu_second": round(1 / per_listing),
        "speed_up_of_matcher": round(extrapolated / matcher_seconds, 1),
        "best_point_on_sample": choose(points),
        "curve_on_sample": points,
    }


def profile(matcher: Matcher, listings: list[CatalogueListing], top: int = 15) -> list[str]:
    profiler = cProfile.Profile()
    profiler.runcall(lambda: sum(1 for _ in matcher.match_all(listings)))
    stats = pstats.Stats(profiler)
    own = {function: row[2] for function, row in stats.stats.items()}  # type: ignore[attr-defined]
    total = sum(own.values())
    ranked = sorted(own.items(), key=lambda item: item[1], reverse=True)[:top]
    return [f"{t / total:5.1%} {Path(f).name}:{line}({name})" for (f, line, name), t in ranked]


def write_thresholds(point: dict[str, Any], listings: int, notices: int) -> None:
    document = {
        "chosen_by": (
            f"bench/matching.py: best certain+probable F1 with precision >= {TARGET_PRECISION}"
            f" and recall >= {TARGET_RECALL} on {listings:,} synthetic listings x"
            f" {notices:,} notices"
        ),
        "curve_point": point,
        "thresholds": {"probable_similarity": point["threshold"]},
    }
    CHOSEN_FILE.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def print_report(results: dict[str, Any]) -> None:
    print(f"\n{results['listings']:,} listings x {results['notices']:,} notices")
    print("\ntier               matches      true  precision  recall")
    for tier, row in results["per_tier"].items():
        print(
            f"{tier:<17} {row['matches']:>8,} {row['true']:>9,} {row['precision']:>10.4f}"
            f" {row['recall']:>7.4f}"
        )
    chosen = results["chosen"]
    print(
        f"\nchosen probable_similarity {chosen['threshold']} "
        f"(certain+probable P {chosen['precision']:.4f} / R {chosen['recall']:.4f})"
    )
    print("\nthreshold  precision  recall   (certain + probable)")
    for point in results["curve"]:
        if point["threshold"] * 100 % 5 == 0 or point is chosen:
            print(f"{point['threshold']:>9.2f} {point['precision']:>10.4f} {point['recall']:>7.4f}")
    print("\nkind                         listings  found_all  false_matches")
    for kind, row in results["by_kind"].items():
        print(
            f"{kind:<28} {row['listings']:>8,} {row.get('found_all', '-')!s:>10}"
            f" {row['false_matches']:>14,}"
        )
    speed = results["speed"]
    brute = results["brute_force"]
    spread = f"range of {speed['all_tiers']['passes']} passes"
    print(
        f"\n  {'listings per CPU second (one core)':<37} {'median':>9} {spread:>19}"
        f" {'94f7182':>9} {'37c268c':>9} (before profiling)"
    )
    for label, key in (
        ("exact-identifier tier (certain only)", "certain_only"),
        ("all tiers", "all_tiers"),
    ):
        now = speed[key]["listings_per_cpu_second"]
        low, high = speed[key]["range"]
        print(
            f"  {label:<37} {now:>9,} {f'{low:,}-{high:,}':>19}"
            f" {BEFORE_FOLDING[key]:>9,} {BEFORE_PROFILING[key]:>9,}"
        )
    print(
        f"  brute force (sample of {brute['sample_listings']:,}, extrapolated): "
        f"{brute['listings_per_cpu_second']:>9,}"
    )
    best = brute["best_point_on_sample"]
    print(
        f"\nwhole catalogue, CPU seconds: matcher {speed['all_tiers']['cpu_seconds']}"
        f" (P {chosen['precision']:.4f} / R {chosen['recall']:.4f})"
        f" | brute force {brute['extrapolated_cpu_seconds_for_catalogue']} extrapolated"
        f" (best on its sample: threshold {best['threshold']}, P {best['precision']:.4f}"
        f" / R {best['recall']:.4f}) | speed-up {brute['speed_up_of_matcher']}x"
    )
    print("\nprofile (own time, all tiers):")
    for line in results["profile"]:
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--notices", type=int, default=1_000)
    parser.add_argument("--no-write", action="store_true", help="keep thresholds.json as it is")
    parser.add_argument("--profile", action="store_true", help="only profile the matcher")
    args = parser.parse_args()

    catalogue, generate_seconds = cpu_seconds(lambda: generate(args.listings, args.notices))
    index, index_seconds = cpu_seconds(
        lambda: NoticeIndex.build((p.notice for p in catalogue.notices), catalogue.aliases)
    )
    if args.profile:
        matcher = Matcher(index, Thresholds.chosen())
        for line in profile(matcher, catalogue.listings[:200_000], top=25):
            print(line)
        return
    truth = set(truth_pairs(catalogue))
    found, _ = cpu_seconds(
        lambda: collect(Matcher(index, Thresholds(probable_similarity=0.0)), catalogue.listings)
    )
    points = curve(found, truth)
    chosen = choose(points)
    thresholds = Thresholds(probable_similarity=chosen["threshold"])
    all_tiers = rate(Matcher(index, thresholds), catalogue.listings)
    certain_only = rate(Matcher(index, thresholds, tiers=[MatchTier.CERTAIN]), catalogue.listings)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "listings": args.listings,
        "notices": args.notices,
        "positive_pairs": len(truth),
        "generate_cpu_seconds": round(generate_seconds, 1),
        "index": {
            "build_cpu_seconds": round(index_seconds, 3),
            "stored_bytes": len(index.dumps()),
        },
        "per_tier": per_tier(found, chosen["threshold"], truth),
        "chosen": chosen,
        "curve": points,
        "by_kind": by_kind(catalogue, found, chosen["threshold"]),
        "speed": {"all_tiers": all_tiers, "certain_only": certain_only},
        "brute_force": brute_force(catalogue, index, truth, all_tiers["cpu_seconds"]),
        "profile": profile(Matcher(index, thresholds), catalogue.listings[:100_000]),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "matching.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    if not args.no_write:
        write_thresholds(chosen, args.listings, args.notices)
    print_report(results)


if __name__ == "__main__":
    main()
