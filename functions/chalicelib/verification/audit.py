"""The compliance audit of one platform's catalogue snapshot, step by step as the
workflow runs it (workflows/compliance-audit.asl.json):

1. ``start_audits`` (the schedule, or `psx audit verify`): one execution per platform
   whose newest complete snapshot has no report yet;
2. ``prepare_audit``: checks the snapshot is complete, makes sure the notice index of
   the active notice versions watched on the platform exists (those sent there and
   those marked global: no other notice is ever a candidate), writes the Map's items
   (one per part);
3. ``match_part`` (one per part, in a Distributed Map): reads the part, matches every
   listing, writes the matches and the part's reading next to the audit;
4. ``takedown_audit.check_platform_takedowns``: live-checks every listing the platform
   reported taken down, writes the checks next to the audit;
5. ``store_findings``: checks every part held the rows its manifest declares, applies
   the rules to the matches and the live checks, stores each finding once, records it
   on the notice's timeline, escalates it, moves the verification cases on, and writes
   the snapshot's report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from chalicelib.dispatch.cases import CaseStatus
from chalicelib.dispatch.model import Dispatch
from chalicelib.identifiers import brand_aliases
from chalicelib.matching import Match, Matcher, MatchTier, NoticeIndex, Thresholds
from chalicelib.notices.model import Notice
from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.verification.findings import Finding, FindingKind, FindingStatus, FoundListing
from chalicelib.verification.parts import PartReading, read_part
from chalicelib.verification.rules import (
    ActiveNotice,
    Audit,
    MatchedListing,
    PlatformAnswer,
    findings_of,
)
from chalicelib.verification.services import VerificationServices
from chalicelib.verification.snapshots import SnapshotManifest, missing_parts
from chalicelib.verification.takedown_checks import TakedownCheck

ACTOR = "psx:compliance-audit"
# Findings listed in one escalation message (all are counted): SNS takes 256 KB.
MAX_ESCALATED = 1000
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


# -- 1. start --------------------------------------------------------------------------


def audit_execution_name(platform_id: str, snapshot_id: str, rerun_at: datetime | None) -> str:
    """Step Functions names: at most 80 of [A-Za-z0-9_-]; one per snapshot (and re-run)."""
    name = f"audit-{_NAME_UNSAFE.sub('_', platform_id)[:24]}-{snapshot_id}"
    return f"{name}-r{rerun_at:%Y%m%dT%H%M%S}" if rerun_at else name


def start_audits(
    services: VerificationServices,
    at: datetime,
    platform_id: str | None = None,
    rerun: bool = False,
) -> list[dict[str, str]]:
    """Start an audit of each platform's newest complete snapshot not audited yet (with
    ``rerun``, audited or not: its findings are stored once all the same)."""
    catalogue = services.catalogue
    started = []
    for platform in [platform_id] if platform_id else catalogue.platforms():
        snapshot_id = newest_complete_snapshot(services, platform)
        if snapshot_id is None or (not rerun and catalogue.has_report(platform, snapshot_id)):
            continue
        name = audit_execution_name(platform, snapshot_id, at if rerun else None)
        payload = {"platform_id": platform, "snapshot_id": snapshot_id, "at": at.isoformat()}
        if services.audits.start(name, payload):
            started.append({"platform_id": platform, "snapshot_id": snapshot_id, "name": name})
    return started


def newest_complete_snapshot(services: VerificationServices, platform_id: str) -> str | None:
    for snapshot_id in services.catalogue.snapshots(platform_id):
        if incompleteness(services, platform_id, snapshot_id) is None:
            return snapshot_id
    return None


def incompleteness(
    services: VerificationServices, platform_id: str, snapshot_id: str
) -> str | None:
    """Why the snapshot is not complete yet; None when it is (as far as S3 shows)."""
    try:
        manifest = services.catalogue.manifest(platform_id, snapshot_id)
    except ValidationError as exc:
        return f"the manifest is invalid: {exc.errors()[0]['msg']}"
    if manifest is None:
        return "no manifest"
    missing = missing_parts(manifest, services.catalogue.uploaded_parts(platform_id, snapshot_id))
    return f"parts not uploaded: {', '.join(missing)}" if missing else None


# -- 2. prepare ------------------------------------------------------------------------


def prepare_audit(
    services: VerificationServices, platform_id: str, snapshot_id: str
) -> dict[str, Any]:
    """The Map's input: where its items are (``complete`` false: nothing to audit)."""
    reason = incompleteness(services, platform_id, snapshot_id)
    if reason is not None:
        return {"complete": False, "reason": reason, "bucket": None, "items_key": None}
    manifest = _manifest(services, platform_id, snapshot_id)
    index_key = ensure_notice_index(services, platform_id)
    items = [
        {
            "platform_id": platform_id,
            "snapshot_id": snapshot_id,
            "part": part.name,
            "index_key": index_key,
        }
        for part in manifest.parts
    ]
    items_key = services.catalogue.put_items(platform_id, snapshot_id, items)
    return {
        "complete": True,
        "reason": None,
        "bucket": services.catalogue.bucket,
        "items_key": items_key,
    }


def ensure_notice_index(services: VerificationServices, platform_id: str) -> str:
    """The key of the index of the active notice versions watched on the platform, built
    (with the brand aliases of ``identifiers/brand_aliases.py``) if this set of versions
    and aliases has none yet (a notice stored, withdrawn, sent or extended to the
    platform since, or an alias added, is a new set; platforms watching the same set
    share one index)."""
    watched = watched_notices(services, platform_id)
    versions = [(notice.notice_id, notice.version) for notice in watched]
    key = services.notice_indexes.key_for(versions, brand_aliases.fingerprint())
    if not services.notice_indexes.exists(key):
        index = NoticeIndex.build(watched, brand_aliases.BRAND_ALIASES)
        services.notice_indexes.put(key, index.dumps())
    return key


def watched_notices(services: VerificationServices, platform_id: str) -> list[Notice]:
    """The active notices' current versions that the platform's catalogue is checked
    against (``ActiveNotice.watched_on``): only these are matched, so a notice the
    platform is not watched for costs its listings nothing."""
    watched = []
    for active in services.active_notices.active():
        notice = services.lifecycle.notices.get_version(active.notice_id, active.version)
        if notice is None:
            continue
        dispatches = services.lifecycle.dispatches.for_notice(active.notice_id)
        if active_notice(notice, dispatches).watched_on(platform_id):
            watched.append(notice)
    return watched


def active_notice(notice: Notice, dispatches: Iterable[Dispatch]) -> ActiveNotice:
    """What the rules need of a notice: where it was sent (withdrawals aside) and its mark."""
    return ActiveNotice(
        notice_id=notice.notice_id,
        version=notice.version,
        regulator_id=notice.regulator_id,
        sent_to=frozenset(d.ref.platform_id for d in dispatches if not d.withdrawal),
        global_watch=notice.content.global_watch,
    )


# -- 3. match one part -----------------------------------------------------------------

# Matchers per Lambda container, by index key (which changes with the notices watched):
# an index is loaded once and serves every part the container is given. A few are kept,
# as audits of platforms watching other notices may share the container.
_MATCHERS: dict[str, Matcher] = {}
_MATCHERS_KEPT = 4


def matcher_for(services: VerificationServices, index_key: str) -> Matcher:
    matcher = _MATCHERS.get(index_key)
    if matcher is None:
        data = services.notice_indexes.get(index_key)
        if data is None:
            raise LookupError(f"no notice index {index_key}")
        matcher = Matcher(NoticeIndex.loads(data), Thresholds.chosen())
        if len(_MATCHERS) >= _MATCHERS_KEPT:
            del _MATCHERS[next(iter(_MATCHERS))]  # the one loaded first
        _MATCHERS[index_key] = matcher
    return matcher


def match_part(
    services: VerificationServices, platform_id: str, snapshot_id: str, part: str, index_key: str
) -> dict[str, Any]:
    data = services.catalogue.read_part(platform_id, snapshot_id, part)
    reading = read_part(part, data) if data is not None else PartReading(part, unreadable="gone")
    matcher = matcher_for(services, index_key)
    matches = []
    for listing, listing_matches in matcher.match_each(reading.listings):
        for match in listing_matches:
            found = FoundListing(
                listing_id=listing.listing_id,
                title=listing.title,
                seller_id=listing.seller_id,
                link=listing.link,
                availability=listing.availability,
                listed_at=listing.listed_at,
            )
            matches.append(
                {"match": _match_document(match), "listing": found.model_dump(mode="json")}
            )
    document = {
        "part": part,
        "rows": reading.rows,
        "listings": len(reading.listings),
        "bad_rows": reading.bad_rows,
        "problems": [asdict(problem) for problem in reading.problems],
        "unreadable": reading.unreadable,
        "matches": matches,
    }
    services.catalogue.put_matches(platform_id, snapshot_id, part, document)
    return {"part": part, "rows": reading.rows, "matches": len(matches)}


def _match_document(match: Match) -> dict[str, Any]:
    return {
        "notice_id": match.notice_id,
        "version": match.version,
        "listing_id": match.listing_id,
        "tier": match.tier.value,
        "evidence": list(match.evidence),
        "score": match.score,
    }


def _match_of(document: dict[str, Any]) -> Match:
    return Match(
        notice_id=document["notice_id"],
        version=document["version"],
        listing_id=document["listing_id"],
        tier=MatchTier(document["tier"]),
        evidence=tuple(document["evidence"]),
        score=document["score"],
    )


# -- 4. store the findings -------------------------------------------------------------


def store_findings(
    services: VerificationServices, platform_id: str, snapshot_id: str, at: datetime
) -> dict[str, Any]:
    """Store what the parts' matches show; nothing when a part's rows disagree with the
    manifest (the snapshot is then not complete, and is reported so)."""
    manifest = _manifest(services, platform_id, snapshot_id)
    readings = {
        part.name: services.catalogue.matches(platform_id, snapshot_id, part.name)
        for part in manifest.parts
    }
    parts = [_part_report(part.name, part.rows, readings[part.name]) for part in manifest.parts]
    report: dict[str, Any] = {
        "platform_id": platform_id,
        "snapshot_id": snapshot_id,
        "snapshot_time": manifest.snapshot_time.isoformat(),
        "audited_at": at.isoformat(),
        "rows": sum(part["rows_read"] for part in parts),
        "bad_rows": sum(part["bad_rows"] for part in parts),
        "parts": parts,
    }
    checked = services.catalogue.takedowns(platform_id, snapshot_id) or {}
    checks = [TakedownCheck.model_validate(check) for check in checked.get("checks", [])]
    report["live_checks"] = {
        key: checked.get(key, 0) for key in ("checked", "still_listed", "not_checked")
    }
    disagreeing = [part["name"] for part in parts if part["problem"]]
    if disagreeing:
        report |= {"status": "incomplete", "findings": 0, "new_findings": 0}
        report["reason"] = f"parts disagree with the manifest: {', '.join(disagreeing)}"
        services.catalogue.put_report(platform_id, snapshot_id, report)
        return report
    matched = [
        MatchedListing(_match_of(m["match"]), FoundListing.model_validate(m["listing"]))
        for reading in readings.values()
        for m in reading["matches"]
    ]
    notice_ids = {item.match.notice_id for item in matched} | {c.notice_id for c in checks}
    audit = _audit(services, platform_id, snapshot_id, manifest, at, notice_ids)
    findings = findings_of(matched, audit, checks)
    new = _record(services, findings)
    _move_cases(services, platform_id, at)
    report |= {"status": "audited", "findings": len(findings), "new_findings": len(new)}
    services.catalogue.put_report(platform_id, snapshot_id, report)
    return report


def _manifest(
    services: VerificationServices, platform_id: str, snapshot_id: str
) -> SnapshotManifest:
    manifest = services.catalogue.manifest(platform_id, snapshot_id)
    if manifest is None:
        raise LookupError(f"snapshot {platform_id}/{snapshot_id} has no manifest")
    return manifest


def _part_report(name: str, declared: int, reading: dict[str, Any] | None) -> dict[str, Any]:
    if reading is None:
        problem: str | None = "not matched (no result)"
        reading = {"rows": 0, "listings": 0, "bad_rows": 0, "problems": [], "unreadable": None}
    elif reading["unreadable"]:
        problem = f"unreadable: {reading['unreadable']}"
    elif reading["rows"] != declared:
        problem = f"{reading['rows']} rows, the manifest declares {declared}"
    else:
        problem = None
    return {
        "name": name,
        "rows_declared": declared,
        "rows_read": reading["rows"],
        "listings": reading["listings"],
        "bad_rows": reading["bad_rows"],
        "bad_row_examples": reading["problems"],
        "problem": problem,
    }


def _audit(
    services: VerificationServices,
    platform_id: str,
    snapshot_id: str,
    manifest: SnapshotManifest,
    at: datetime,
    notice_ids: set[str],
) -> Audit:
    active = {a.notice_id: a for a in services.active_notices.active()}
    notices: dict[str, ActiveNotice] = {}
    answers: dict[str, PlatformAnswer] = {}
    for notice_id in sorted(notice_ids):
        if notice_id not in active:
            continue  # withdrawn since the index was built
        notice = services.lifecycle.notices.get_version(notice_id, active[notice_id].version)
        if notice is None:
            continue
        dispatches = services.lifecycle.dispatches.for_notice(notice_id)
        notices[notice_id] = active_notice(notice, dispatches)
        answers[notice_id] = platform_answer(
            d for d in dispatches if d.ref.platform_id == platform_id
        )
    return Audit(
        platform_id=platform_id,
        snapshot_id=snapshot_id,
        snapshot_time=manifest.snapshot_time,
        found_at=at,
        notices=notices,
        answers=answers,
    )


def platform_answer(dispatches: Iterable[Dispatch]) -> PlatformAnswer:
    """Every action report of the platform for one notice, oldest version first, so a
    later version's report of a listing stands."""
    reported_at = None
    actions = {}
    for dispatch in sorted(dispatches, key=lambda d: d.ref.version):
        if dispatch.action_report is None:
            continue
        reported_at = dispatch.action_reported_at
        actions.update({item.listing_id: item.action for item in dispatch.action_report.listings})
    return PlatformAnswer(reported_at=reported_at, actions=actions)


def _record(services: VerificationServices, findings: list[Finding]) -> list[Finding]:
    """Store each finding once, escalate the ones not yet on the timeline (one message
    per regulator and kind), then put them on the timeline; the new ones. Escalated
    before the events are recorded: a crash in between escalates again on the retry
    rather than never."""
    new, pending = [], []
    for finding in findings:
        added = services.findings.add(finding)
        if added:
            new.append(finding)
        if added or not services.lifecycle.notices.has_event(finding.notice_id, _key(finding)):
            pending.append(finding)
    _escalate(services, pending)
    jurisdictions: dict[tuple[str, int], str] = {}  # a notice's findings share it
    for finding in pending:
        version = (finding.notice_id, finding.version)
        if version not in jurisdictions:
            jurisdictions[version] = _jurisdiction(services, *version)
        services.lifecycle.notices.append_event(
            TimelineEvent(
                notice_id=finding.notice_id,
                event_key=_key(finding),
                kind=EventKind.FINDING_RECORDED,
                at=finding.found_at,
                actor=ACTOR,
                details=recorded_details(finding, jurisdictions[version]),
            )
        )
    return new


def _jurisdiction(services: VerificationServices, notice_id: str, version: int) -> str:
    # The reports count a found_elsewhere finding in working time of the notice's
    # jurisdiction, with no dispatch to take it from (chalicelib/reports/contract.py).
    notice = services.lifecycle.notices.get_version(notice_id, version)
    return notice.content.jurisdiction if notice is not None else ""


def _key(finding: Finding) -> str:
    return event_key_for(finding.version, "finding", finding.finding_id)


def _escalate(services: VerificationServices, findings: list[Finding]) -> None:
    """One message per regulator and kind (``event_type`` ``finding_<kind>``): a large
    catalogue's findings would otherwise flood the topic one by one."""
    grouped: dict[tuple[str, FindingKind], list[Finding]] = {}
    for finding in findings:
        grouped.setdefault((finding.regulator_id, finding.kind), []).append(finding)
    for (regulator_id, kind), group in sorted(grouped.items()):
        platforms = sorted({finding.platform_id for finding in group})
        services.lifecycle.escalations.publish(
            regulator_id,
            f"finding_{kind.value}",
            f"{len(group)} {kind.value} finding(s) on {', '.join(platforms)}",
            {
                "kind": kind.value,
                "count": len(group),
                "platforms": platforms,
                "findings": [
                    {
                        "finding_id": f.finding_id,
                        "notice_id": f.notice_id,
                        "platform_id": f.platform_id,
                        "listing_id": f.listing.listing_id,
                    }
                    for f in group[:MAX_ESCALATED]
                ],
            },
        )


def recorded_details(finding: Finding, jurisdiction: str) -> dict[str, Any]:
    return {
        "platform_id": finding.platform_id,
        "finding_id": finding.finding_id,
        "finding_kind": finding.kind.value,
        "listing_id": finding.listing.listing_id,
        "regulator_id": finding.regulator_id,
        "jurisdiction": jurisdiction,
    }


def _move_cases(services: VerificationServices, platform_id: str, at: datetime) -> None:
    """Each verification case of the platform opened before the audit, for every active
    notice: findings open, or verified (the snapshot shows nothing left to do)."""
    cases = services.lifecycle.verification_cases
    for notice_id in sorted(a.notice_id for a in services.active_notices.active()):
        own = [c for c in cases.for_notice(notice_id) if c.platform_id == platform_id]
        if not any(case.opened_at <= at for case in own):
            continue  # the notice was never handed off on this platform: nothing to move
        open_findings = any(
            f.platform_id == platform_id and f.status is FindingStatus.OPEN
            for f in services.findings.for_notice(notice_id)
        )
        status = CaseStatus.FINDINGS_OPEN if open_findings else CaseStatus.VERIFIED
        for case in own:
            if case.opened_at <= at:
                cases.set_status(case.ref, status)
