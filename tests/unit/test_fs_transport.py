"""The filesystem broker's channel (screening/fs_transport.py) with two consumers on one folder, as two
worker processes are: every message is delivered once, oldest first, although each consumer lists the
folder only when the names of its last listing are used up."""

from __future__ import annotations

import pytest
from kombu import Connection

from screening import fs_transport


def _connection(folder):
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    return Connection(transport=fs_transport.Transport, transport_options=options)


@pytest.fixture
def channels(tmp_path, monkeypatch):
    clock = iter(range(10_000, 20_000))  # a millisecond per message: names in the order written
    monkeypatch.setattr(fs_transport, "monotonic", lambda: next(clock) / 1000)
    folder = tmp_path / "queue"
    folder.mkdir()
    conns = [_connection(folder) for _ in range(3)]
    yield folder, [c.default_channel for c in conns]
    for c in conns:
        c.release()


def _put(channel, body, queue="q"):
    channel._put(queue, {"body": body})


def _get(channel, queue="q"):
    try:
        return channel._get(queue)["body"]
    except fs_transport.filesystem.Empty:
        return None


def test_two_consumers_take_every_message_once_oldest_first(channels, monkeypatch):
    folder, (producer, a, b) = channels
    listings = []
    real_listdir = fs_transport.os.listdir
    monkeypatch.setattr(fs_transport.os, "listdir", lambda p: listings.append(p) or real_listdir(p))
    for i in range(10):
        _put(producer, i)
    taken = [_get(a), _get(b)]  # each lists the folder once: ten names each
    for i in range(10, 14):  # written after both listings
        _put(producer, i)
    while True:
        got = [_get(a), _get(b)]
        taken += [x for x in got if x is not None]
        if got == [None, None]:
            break
    assert sorted(taken) == list(range(14))  # none lost, none twice
    assert taken == sorted(taken)  # the older names first, the later messages after them
    assert list(folder.iterdir()) == []
    # about two listings per consumer (the first ten, the four later ones) and those that find the
    # folder empty: not one per message taken (14) or tried
    assert len(listings) <= 8


def test_a_listed_name_another_consumer_took_is_skipped_and_a_later_message_found(channels):
    _, (producer, a, b) = channels
    _put(producer, "first")
    assert _get(a) == "first"
    _put(producer, "second")
    _put(producer, "third")
    assert _get(a) == "second"  # a now holds "third" from its listing
    assert _get(b) == "third"  # b takes it first
    assert _get(a) is None  # a's listed name is gone: skipped, the folder listed again, empty
    _put(producer, "fourth")
    assert _get(a) == "fourth"


def test_a_purged_queue_leaves_no_ghost_deliveries(channels):
    _, (producer, a, _) = channels
    for i in range(3):
        _put(producer, i)
    assert _get(a) == 0
    assert producer._purge("q") == 2
    assert _get(a) is None


def test_a_worker_on_the_filesystem_broker_polls_only_its_queue(tmp_path):
    """No remote-control mailbox: its queue would be polled (the folder listed) every 10 ms."""
    import dataclasses

    from screening import tasks
    from screening.config import load_settings

    settings = dataclasses.replace(load_settings(), home=tmp_path, broker_url=None)
    assert settings.broker_kind == "filesystem"
    assert tasks.celery_config(settings)["worker_enable_remote_control"] is False
