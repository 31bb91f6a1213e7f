"""Pulling a feed: fetch what is new since its cursor, write each page as an ordinary
notice file, advance the cursor.

Order of writes, for each page: the file is stored first (under
``incoming/<regulator-id>/feeds/<feed>/``, named by its content hash), then the cursor
moves past it. A crash in between re-pulls the page next time; the same content gets
the same name, which is already there, so nothing is written (nor ingested) twice. A
changed page is a new file, and intake stores only the recalls whose content changed
(as new versions of their notices: the notice id comes from the regulator and the
recall's own reference).

One pull at a time per feed: a pull first claims the feed (a lease in the store, taken
by a conditional write); every cursor move is conditional on still holding it, so two
pullers can neither both advance the cursor nor undo each other's move.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol

from chalicelib.feeds.fetch import FeedFetchFailed, Fetched, FetchPolicy, fetch
from chalicelib.feeds.model import Feed, FeedRecord, Validators
from chalicelib.feeds.sources import FeedFormatError, Page, checked_body, pages

# Longer than any pull can take (the puller function's timeout is 5 minutes): a lease
# outliving its puller (a crash) only delays the next pull by this much.
LEASE = timedelta(minutes=15)
FEEDS_FOLDER = "feeds"


class FeedNotFound(LookupError):
    pass


class FeedBusy(RuntimeError):
    """Another pull of the feed holds it."""


class LeaseLost(RuntimeError):
    """The lease ran out and another pull took the feed over: this one stops."""


class FeedStore(Protocol):
    def claim(self, name: str, owner: str, now: datetime, until: datetime) -> FeedRecord: ...

    def advance(
        self, name: str, owner: str, cursor: str | None, validators: Validators | None
    ) -> None: ...

    def finish(self, name: str, owner: str, now: datetime, error: str | None) -> None: ...

    def list(self) -> list[FeedRecord]: ...


@dataclass(frozen=True)
class FeedFile:
    regulator_id: str
    # The name under incoming/<regulator-id>/.
    relative_name: str
    body: bytes
    intake_format: str
    content_type: str
    # Empty: every platform registered for each notice's jurisdiction.
    target_platforms: tuple[str, ...]


class IncomingFiles(Protocol):
    def put_new(self, file: FeedFile) -> bool:
        """Store ``file`` unless its name is taken; False when it was already there."""
        ...


Fetcher = Callable[[str, str, FetchPolicy, Validators | None], Fetched]


@dataclass(frozen=True)
class FeedServices:
    store: FeedStore
    files: IncomingFiles
    policy: FetchPolicy
    fetcher: Fetcher = fetch
    # Who holds a lease: one id per puller (a Lambda invocation, a CLI run).
    owner: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class PullResult:
    name: str
    fetched: int = 0
    not_modified: int = 0
    files: list[str] = field(default_factory=list)
    cursor: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "feed": self.name,
            "pages_fetched": self.fetched,
            "pages_not_modified": self.not_modified,
            "files": self.files,
            "cursor": self.cursor,
            "error": self.error,
        }


def pull_due_feeds(now: datetime, services: FeedServices) -> list[PullResult]:
    """Pull every feed the schedule says is due (not paused); a feed another pull holds
    is left to it."""
    results = []
    for record in services.store.list():
        if record.due(now):
            try:
                results.append(pull_feed(record.feed.name, now, services))
            except (FeedBusy, LeaseLost):
                continue  # the other pull records its own outcome
    return results


def pull_feed(
    name: str, now: datetime, services: FeedServices, since: date | None = None
) -> PullResult:
    """Pull ``name`` now (due or not, paused or not: an operator's explicit pull).
    Raises ``FeedNotFound``, ``FeedBusy``; a failed fetch or a page in the wrong format
    is recorded on the feed (``last_error``) and in the result, not raised."""
    record = services.store.claim(name, services.owner, now, now + LEASE)
    puller = _Puller(record, services)
    error = None
    try:
        puller.run(now, since)
    except (FeedFetchFailed, FeedFormatError) as failed:
        error = f"{puller.current}: {failed}"
    services.store.finish(name, services.owner, now, error)
    return puller.result(error)


class _Puller:
    def __init__(self, record: FeedRecord, services: FeedServices) -> None:
        self.feed: Feed = record.feed
        self.cursor = record.state.cursor
        self.validators = record.state.validators
        self.services = services
        self.fetched = 0
        self.not_modified = 0
        self.files: list[str] = []
        self.current = "no page"

    def run(self, now: datetime, since: date | None) -> None:
        for page in pages(self.feed, self.cursor, now, since):
            self.current = page.label
            answer = self.services.fetcher(
                page.url, self.feed.host, self.services.policy, self.validators
            )
            if answer.status == 404 and page.may_be_missing:
                return
            if answer.status == 404:
                raise FeedFetchFailed("HTTP 404 from the feed", retryable=False)
            self._store(page, answer)

    def _store(self, page: Page, answer: Fetched) -> None:
        if answer.status == 304:
            self.not_modified += 1
        else:
            self.fetched += 1
            body = checked_body(self.feed, page, answer.body)
            if body is not None:
                self._write(page, body)
            self.validators = answer.validators
        # Never back: a --since pull re-reads older pages without undoing later ones.
        self.cursor = max(self.cursor or page.cursor, page.cursor)
        self.services.store.advance(
            self.feed.name, self.services.owner, self.cursor, self.validators
        )

    def _write(self, page: Page, body: bytes) -> None:
        digest = hashlib.sha256(body).hexdigest()[:16]
        name = f"{FEEDS_FOLDER}/{self.feed.name}/{page.label}-{digest}{page.extension}"
        file = FeedFile(
            regulator_id=self.feed.regulator_id,
            relative_name=name,
            body=body,
            intake_format=page.intake_format,
            content_type=page.content_type,
            target_platforms=tuple(self.feed.target_platforms),
        )
        if self.services.files.put_new(file):
            self.files.append(name)

    def result(self, error: str | None) -> PullResult:
        return PullResult(
            name=self.feed.name,
            fetched=self.fetched,
            not_modified=self.not_modified,
            files=self.files,
            cursor=self.cursor,
            error=error,
        )
