"""What the lab pages say of the workers' heartbeat (pure: the seconds come from worker_heartbeat)."""

from __future__ import annotations

from screening.web.pages_lab import worker_heartbeat


def test_never_seen_is_a_warning():
    shown = worker_heartbeat(None, 30.0)
    assert shown["warning"] is True
    assert shown["text"].startswith("No worker has ever been seen")


def test_silent_beyond_the_heartbeat_timeout_is_a_warning_naming_both_times():
    shown = worker_heartbeat(125.0, 30.0)
    assert shown["warning"] is True
    assert "No worker has been seen for 2m05s (heartbeat timeout 30s)" in shown["text"]


def test_seen_within_the_timeout_says_when():
    assert worker_heartbeat(30.0, 30.0) == {
        "warning": False,
        "text": "Workers running: last heartbeat 30s ago.",
    }
