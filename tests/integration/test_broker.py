"""The filesystem broker (screening/fs_transport.py) with real worker processes: a corrupt message and a
half-written one in the queue folder are quarantined and logged, never fatal; the batch is screened."""

from __future__ import annotations

import pytest
from conftest import make_settings, publish, query_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_corrupt_and_half_written_messages_are_quarantined_and_the_worker_lives(
    db_url, panel, sim, tmp_path, pipeline_factory
):
    p = pipeline_factory(make_settings(tmp_path / "home", db_url))
    label = publish(p.settings, panel, sim, "broker-fs")
    queue = p.settings.broker_folder / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    name = f".{p.settings.queue}.msg"
    (queue / f"0000000001_corrupt{name}").write_bytes(b'{"body": "not json at all')
    (queue / f"0000000002_empty{name}").write_bytes(b"")
    (queue / f".tmp-0000000003_partial{name}.part").write_bytes(b'{"half": ')  # a write in progress
    workers = p.start(2)
    batch_id = p.submit(sim.manifest, label, "broker-fs-1")
    status = p.wait(batch_id)
    assert status.batch.state == "finalised"
    counts = dict(
        query_all(
            db_url,
            "SELECT s.state, count(*) FROM sample s JOIN batch b ON b.id = s.batch_id "
            "WHERE b.lab_batch_id = %(b)s GROUP BY s.state",
            {"b": batch_id},
        )
    )
    assert counts == {"screened": 24}
    assert all(w.poll() is None for w in workers), "a worker died on a corrupt message"
    quarantined = sorted(f.name for f in (p.settings.broker_folder / "quarantine").iterdir())
    assert quarantined == [f"0000000001_corrupt{name}", f"0000000002_empty{name}"]
    assert (queue / f".tmp-0000000003_partial{name}.part").exists()  # never read as a message
    logs = "\n".join(f.read_text(errors="replace") for f in p.log_dir.glob("*.log"))
    assert "could not be decoded" in logs
    assert "Unrecoverable error" not in logs
