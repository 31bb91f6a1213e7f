"""`psx serve`'s event sources (``EmbeddedRuntime.poll``): SQS long polling, so an
idle queue costs one ReceiveMessage per wait instead of one every fraction of a second,
and a message sent while the poller waits wakes it (moto's receive waits on the queue's
condition, which every send notifies)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from moto.sqs.models import Queue

from psx.embedded.runtime import LONG_POLL_SECONDS, EmbeddedRuntime, SqsEventSource

# A guard against a hang, not a speed assertion: every wait here ends on a message.
JOIN_SECONDS = 4 * LONG_POLL_SECONDS


class Recorder:
    """An in-process function that keeps the bodies it is given."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.delivered = threading.Event()

    def __call__(self, event: dict[str, Any], context: object) -> None:
        self.bodies.extend(record["body"] for record in event["Records"])
        self.delivered.set()


@pytest.fixture
def source(runtime: EmbeddedRuntime) -> tuple[SqsEventSource, Recorder]:
    sqs = runtime.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"poll-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    function_name = f"poll-test-{uuid.uuid4().hex[:8]}"
    recorder = Recorder()
    runtime.registry.register(function_name, recorder)
    return SqsEventSource(
        queue_url, queue_arn["Attributes"]["QueueArn"], function_name, batch_size=5
    ), recorder


@pytest.fixture
def waiting(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a ReceiveMessage waits on its queue (moto's long poll)."""
    started = threading.Event()
    original = Queue.wait_for_messages

    def wait_for_messages(queue: Queue, timeout: int) -> None:
        started.set()
        original(queue, timeout)

    monkeypatch.setattr(Queue, "wait_for_messages", wait_for_messages)
    return started


def test_one_long_poll_of_an_empty_queue_delivers_the_message_sent_while_it_waits(
    runtime: EmbeddedRuntime,
    source: tuple[SqsEventSource, Recorder],
    waiting: threading.Event,
) -> None:
    event_source, recorder = source
    delivered: list[int] = []
    poll = threading.Thread(
        target=lambda: delivered.append(
            runtime.deliver_batch(event_source, wait_seconds=LONG_POLL_SECONDS)
        )
    )
    poll.start()
    assert waiting.wait(JOIN_SECONDS), "the receive answered at once instead of waiting"
    runtime.client("sqs").send_message(QueueUrl=event_source.queue_url, MessageBody="hello")
    poll.join(JOIN_SECONDS)

    assert not poll.is_alive()
    assert delivered == [1]
    assert recorder.bodies == ["hello"]


def test_the_poller_delivers_each_message_as_it_arrives_until_stopped(
    runtime: EmbeddedRuntime, source: tuple[SqsEventSource, Recorder]
) -> None:
    event_source, recorder = source
    sqs = runtime.client("sqs")
    stop = threading.Event()
    poller = threading.Thread(target=runtime.poll, args=(event_source, stop))
    poller.start()
    for body in ("first", "second"):
        recorder.delivered.clear()
        sqs.send_message(QueueUrl=event_source.queue_url, MessageBody=body)
        assert recorder.delivered.wait(JOIN_SECONDS), f"{body!r} was not delivered"
    stop.set()
    # The poller notices the stop before its next receive or when its wait ends: a last
    # message ends a wait now (delivered if the poller was waiting, left queued if not).
    sqs.send_message(QueueUrl=event_source.queue_url, MessageBody="last")
    poller.join(JOIN_SECONDS)

    assert not poller.is_alive()
    left = sqs.receive_message(QueueUrl=event_source.queue_url).get("Messages", [])
    # Each message delivered once and deleted, or still queued: never both, never lost.
    assert recorder.bodies + [message["Body"] for message in left] == ["first", "second", "last"]
