"""The batch pipeline end to end: real PostgreSQL, real Celery worker processes, the real engine and
simulator. No eager mode, no mocked database."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest
from conftest import (
    Pipeline,
    assert_matches_truth,
    make_settings,
    publish,
    query_all,
    query_one,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]
HERE = Path(__file__).resolve().parent


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _counts(url: str, batch_id: str) -> dict[str, int]:
    rows = query_all(
        url,
        "SELECT s.state, count(*) FROM sample s JOIN batch b ON b.id = s.batch_id "
        "WHERE b.lab_batch_id = %(b)s GROUP BY s.state",
        {"b": batch_id},
    )
    return dict(rows)


def _assert_once(url: str, batch_id: str) -> None:
    """Every sample has exactly one run, and no finding or candidate is stored twice."""
    runs = query_all(
        url,
        "SELECT s.id, count(r.id) FROM sample s JOIN batch b ON b.id = s.batch_id "
        "LEFT JOIN screening_run r ON r.sample_id = s.id WHERE b.lab_batch_id = %(b)s GROUP BY s.id",
        {"b": batch_id},
    )
    assert runs
    assert all(n == 1 for _, n in runs), runs
    dupes = query_one(
        url,
        "SELECT count(*) FROM (SELECT f.run_id, f.hgnc_id, f.pattern FROM finding f "
        "JOIN screening_run r ON r.id = f.run_id JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s "
        "GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        {"b": batch_id},
    )
    assert dupes[0] == 0


def _carriers(url: str, batch_id: str) -> dict[str, list[str]]:
    rows = query_all(
        url,
        "SELECT s.sample_id, array_agg(DISTINCT c.hgnc_id ORDER BY c.hgnc_id) FROM candidate c "
        "JOIN screening_run r ON r.id = c.run_id JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s AND c.role = 'carrier' GROUP BY 1",
        {"b": batch_id},
    )
    return dict(rows)


def _carrier_keys(url: str, batch_id: str) -> dict[str, list[str]]:
    rows = query_all(
        url,
        "SELECT s.sample_id, array_agg(DISTINCT c.chrom || ':' || c.pos || ':' || c.ref || '>' || c.alt) "
        "FROM candidate c JOIN screening_run r ON r.id = c.run_id JOIN sample s ON s.id = r.sample_id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s AND c.role = 'carrier' GROUP BY 1",
        {"b": batch_id},
    )
    return {sid: sorted(keys) for sid, keys in rows}


def test_truth_table_recovered_through_the_pipeline(db_url, panel, sim, tmp_path, pipeline_factory):
    p: Pipeline = pipeline_factory(make_settings(tmp_path / "home", db_url))
    label = publish(p.settings, panel, sim, "truth")
    p.start(2)
    batch_id = p.submit(sim.manifest, label, "truth-1")
    p.wait(batch_id)
    status = p.status_json(batch_id)
    assert status["state"] == "finalised"
    assert_matches_truth(status, sim.truth)
    truth = json.loads(sim.truth.read_text())["babies"]
    expected_carriers = {b["sample_id"]: sorted(set(b["carriers"])) for b in truth if b["carriers"]}
    assert _carriers(db_url, batch_id) == expected_carriers
    expected_keys = {b["sample_id"]: sorted(b.get("carrier_variants", [])) for b in truth if b["carriers"]}
    if all(expected_keys.values()):  # simulators that record the carrier calls themselves
        assert _carrier_keys(db_url, batch_id) == expected_keys
    for s in status["samples"]:  # carriers are stored, never shown as findings
        assert all(f["pattern"] for f in s["findings"])
        assert s["flagged_genes"] == sorted({f["hgnc_id"] for f in s["findings"]})
    _assert_once(db_url, batch_id)
    # the same manifest again: no second batch
    again = p.cli(
        "batch", "submit", str(sim.manifest), "--panel", label, "--batch-id", batch_id, "--format", "json"
    )
    expected = {"batch_id": batch_id, "created": False, "samples": 0, "programme": "england"}
    assert json.loads(again.stdout) == expected
    assert query_one(db_url, "SELECT count(*) FROM batch WHERE lab_batch_id = %(b)s", {"b": batch_id})[0] == 1
    events = query_one(
        db_url,
        "SELECT count(*) FROM event e JOIN sample s ON e.entity = 'sample' AND e.entity_id = s.id "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s AND e.to_state = 'screened'",
        {"b": batch_id},
    )
    assert events[0] == 24


def test_kill9_of_a_worker_mid_batch(db_url, panel, sim, tmp_path, pipeline_factory):
    p = pipeline_factory(make_settings(tmp_path / "home", db_url))
    label = publish(p.settings, panel, sim, "kill9")
    _reconciler, victim = p.start(2)
    node = next(a for a in victim.args if a.startswith("--hostname=")).split("=", 1)[1]
    node = node.replace("%h", socket.gethostname())
    batch_id = p.submit(sim.manifest, label, "kill9-1")
    wait_until(lambda: _counts(db_url, batch_id).get("screened", 0) >= 3, 120, "3 screened samples")
    wait_until(lambda: _counts(db_url, batch_id).get("running", 0) >= 2, 30, "both workers busy", 0.02)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    # a commit the dead worker had sent still completes on the server: wait until its connections are
    # gone, so that what it holds below is final (else a sample can be "held" and then committed)
    gone = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %(n)s"
    wait_until(lambda: query_one(db_url, gone, {"n": node[:63]})[0] == 0, 60, "the dead worker's connections")
    # what the dead worker still holds (it may have finished its sample just before dying: then none)
    held_sql = "SELECT id FROM sample WHERE state = 'running' AND claimed_by = %(n)s"
    held = query_all(db_url, held_sql, {"n": node})
    p.wait(batch_id)
    assert _counts(db_url, batch_id) == {"screened": 24}
    _assert_once(db_url, batch_id)
    assert_matches_truth(p.status_json(batch_id), sim.truth)
    for (sample_pk,) in held:
        expired = query_one(
            db_url,
            "SELECT count(*) FROM event WHERE entity = 'sample' AND entity_id = %(s)s "
            "AND detail LIKE '%%lease expired%%'",
            {"s": sample_pk},
        )
        assert expired[0] >= 1, f"sample {sample_pk} of the killed worker was not recovered through its lease"


def test_a_killed_worker_is_noticed_by_its_heartbeat_long_before_its_lease(
    db_url, panel, sim, tmp_path, pipeline_factory
):
    """Issue 10: samples of a killed worker waited a whole lease (128-131 s). Here the lease is 15
    minutes and the victim hangs on its first sample until killed: only the heartbeat (timeout 5 s)
    can bring that sample back, and the batch must finish long before the lease would."""
    import dataclasses

    from screening.demo import start_workers

    settings = dataclasses.replace(
        make_settings(tmp_path / "home", db_url),
        lease_seconds=900,
        heartbeat_seconds=1.0,
        heartbeat_timeout_seconds=5.0,
    )
    p = pipeline_factory(settings)
    label = publish(p.settings, panel, sim, "heartbeat")
    env = {"PYTHONPATH": str(HERE)}
    p.workers += start_workers(p.settings, 1, p.log_dir, app_module="hang_app", extra_env=env)
    victim = start_workers(p.settings, 1, p.log_dir, False, "hang_app", {**env, "SCREENING_TEST_HANG": "1"})[
        0
    ]
    p.workers.append(victim)
    node = next(a for a in victim.args if a.startswith("--hostname=")).split("=", 1)[1]
    node = node.replace("%h", socket.gethostname())
    batch_id = p.submit(sim.manifest, label, "heartbeat-1")
    held_sql = "SELECT id FROM sample WHERE state = 'running' AND claimed_by = %(n)s"
    wait_until(lambda: query_all(db_url, held_sql, {"n": node}), 120, "the victim to hold a sample")
    held = [r[0] for r in query_all(db_url, held_sql, {"n": node})]
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    status = p.wait(batch_id, timeout_s=400)  # well under the 900 s lease
    assert status.batch.state == "finalised"
    assert _counts(db_url, batch_id) == {"screened": 24}
    _assert_once(db_url, batch_id)
    attempts = query_all(db_url, "SELECT attempts FROM sample WHERE id = ANY(%(ids)s)", {"ids": held})
    assert held
    assert all(a == 2 for (a,) in attempts)  # claimed by the victim, then once more after its silence
    logs = "\n".join(f.read_text(errors="replace") for f in p.log_dir.glob("*.log"))
    assert "not seen for 5 s; lease ended" in logs


BROKERS = [
    pytest.param("redis://127.0.0.1:6379/0", 6379, id="redis"),
    pytest.param("amqp://guest:guest@127.0.0.1:5672//", 5672, id="rabbitmq"),
]


@pytest.mark.parametrize(("broker_url", "port"), BROKERS)
def test_configured_brokers(broker_url, port, db_url, panel, sim, tmp_path, pipeline_factory):
    if not _port_open(port):
        pytest.skip(f"no broker on 127.0.0.1:{port}")
    p = pipeline_factory(make_settings(tmp_path / "home", db_url, broker_url))
    p.purge()
    label = publish(p.settings, panel, sim, f"broker-{port}")
    p.start(2)
    batch_id = p.submit(sim.manifest, label, f"broker-{port}")
    p.wait(batch_id)
    assert _counts(db_url, batch_id) == {"screened": 24}
    _assert_once(db_url, batch_id)
    assert_matches_truth(p.status_json(batch_id), sim.truth)
    if broker_url.startswith("amqp") and shutil.which("rabbitmqctl"):
        listed = subprocess.run(
            ["rabbitmqctl", "list_queues", "name", "type", "--quiet"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"{p.settings.queue}\tquorum" in listed
    _delete_queue(broker_url, p.settings.queue)


def _delete_queue(broker_url: str, queue: str) -> None:
    """The per-run test queue is not left behind on the shared broker."""
    from kombu import Connection

    with Connection(broker_url) as conn:
        conn.default_channel.queue_delete(queue)


def test_embedded_default_services(panel, sim, tmp_path, pipeline_factory):
    """No configuration at all: embedded PostgreSQL in SCREENING_HOME and the filesystem broker."""
    from screening.config import load_settings

    home = tmp_path / "home"
    settings = load_settings({"SCREENING_HOME": str(home), "SCREENING_USER": "pytest"})
    p = pipeline_factory(settings)
    env_backup = {
        k: os.environ.pop(k) for k in ("SCREENING_DATABASE_URL", "SCREENING_BROKER_URL") if k in os.environ
    }
    try:
        p.cli("db", "upgrade")
        clinvar = str(sim.clinvar_vcf)
        published = json.loads(
            p.cli(
                "panel", "publish", str(panel_dir()), "--clinvar", clinvar, "-m", "first", "--format", "json"
            ).stdout
        )
        p.start(2)
        batch_id = p.submit(sim.manifest, published["panel"], "embedded-1")
        p.wait(batch_id)
        status = p.status_json(batch_id)
        assert_matches_truth(status, sim.truth)
        assert (home / "pgdata").is_dir()
        assert (home / "broker").is_dir()
    finally:
        p.stop()
        os.environ.update(env_backup)
        from screening.db.connection import embedded_server

        embedded_server(home / "pgdata").cleanup()


def panel_dir() -> Path:
    from conftest import PANEL_DIR

    return PANEL_DIR


def test_changed_vcf_fails_with_reason_and_retry_screens_it(db_url, panel, sim, tmp_path, pipeline_factory):
    root = tmp_path / "data"
    (root / "babies").mkdir(parents=True)
    lines = sim.manifest.read_text().splitlines()[:3]  # header + 2 babies
    for line in lines[1:]:
        rel = line.split(",")[1]
        shutil.copy(sim.out_dir / rel, root / rel)
        shutil.copy(sim.out_dir / f"{rel}.tbi", root / f"{rel}.tbi")
    manifest = root / "two.csv"
    manifest.write_text("\n".join(lines) + "\n")
    p = pipeline_factory(make_settings(tmp_path / "home", db_url))
    label = publish(p.settings, panel, sim, "changed")
    batch_id = p.submit(manifest, label, "changed-1")
    changed = root / lines[2].split(",")[1]
    original = changed.read_bytes()
    changed.write_bytes(original[:-28] + b"\0" * 28)  # same size, other content
    p.start(1)
    p.wait(batch_id)
    status = {s["sample_id"]: s for s in p.status_json(batch_id)["samples"]}
    second = lines[2].split(",")[0]
    assert status[second]["state"] == "failed"
    assert "VCF changed since submission" in status[second]["reason"]
    assert status[lines[1].split(",")[0]]["state"] == "screened"
    changed.write_bytes(original)
    os.utime(f"{changed}.tbi")  # the index is not older than the restored file
    assert p.cli("batch", "retry", batch_id).stdout.strip() == "re-queued 1 sample(s)"
    p.wait(batch_id)
    status = {s["sample_id"]: s for s in p.status_json(batch_id)["samples"]}
    assert status[second]["state"] == "screened", status[second]["reason"]
    assert status[second]["reason"] is None
    listed = json.loads(p.cli("batch", "list", "--format", "json").stdout)
    assert any(b["batch_id"] == batch_id and b["counts"]["screened"] == 2 for b in listed)


def _rewrite(path: Path, edit) -> None:
    """Re-write a bgzipped VCF's text through ``edit(lines) -> lines`` and index it again (a valid file)."""
    import gzip

    from screening.simulate.vcf_files import write_vcf_bgzip_indexed

    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.unlink()
    Path(f"{path}.tbi").unlink(missing_ok=True)
    write_vcf_bgzip_indexed("\n".join(edit(lines)) + "\n", path)


def test_damaged_and_truncated_vcfs_fail_closed_and_the_rest_is_screened(
    db_url, panel, sim, tmp_path, pipeline_factory
):
    """A malformed record the baby carries in a panel region holds that baby with file, line and record
    named; a file cut at a record boundary (re-compressed, re-indexed: valid) is testing not possible,
    'VCF incomplete'; the third baby is screened as usual."""
    root = tmp_path / "data"
    (root / "babies").mkdir(parents=True)
    truth = {b["sample_id"]: b for b in json.loads(sim.truth.read_text())["babies"]}
    lines = sim.manifest.read_text().splitlines()
    with_variants = [r for r in lines[1:] if any(f["variants"] for f in truth[r.split(",")[0]]["findings"])]
    header, rows = lines[0], with_variants[:3]
    for line in rows:
        rel = line.split(",")[1]
        shutil.copy(sim.out_dir / rel, root / rel)
    damaged_id, truncated_id, intact_id = (r.split(",")[0] for r in rows)
    finding = next(f["variants"][0] for f in truth[damaged_id]["findings"] if f["variants"])
    chrom, pos = finding.split(":")[:2]

    def damage(text_lines):  # the finding record's DP made negative
        out = []
        for ln in text_lines:
            f = ln.split("\t")
            here = not ln.startswith("#") and f[0].removeprefix("chr") == chrom
            if here and int(f[1]) <= int(pos) < int(f[1]) + len(f[3]):
                keys, values = f[8].split(":"), f[9].split(":")
                values[keys.index("DP")] = "-5"
                ln = "\t".join([*f[:9], ":".join(values), *f[10:]])
            out.append(ln)
        return out

    def truncate(text_lines):  # everything after chromosome 10 dropped
        kept, seen_11 = [], False
        for ln in text_lines:
            seen_11 = seen_11 or ln.split("\t", 1)[0] in ("chr11", "11")
            if ln.startswith("#") or not seen_11:
                kept.append(ln)
        return kept

    for sample_id, edit in ((damaged_id, damage), (truncated_id, truncate)):
        rel = next(r.split(",")[1] for r in rows if r.startswith(sample_id + ","))
        _rewrite(root / rel, edit)
    for line in rows:
        rel = line.split(",")[1]
        if not (root / f"{rel}.tbi").exists():
            shutil.copy(sim.out_dir / f"{rel}.tbi", root / f"{rel}.tbi")
    manifest = root / "three.csv"
    manifest.write_text("\n".join([header, *rows]) + "\n")
    p = pipeline_factory(make_settings(tmp_path / "home", db_url))
    label = publish(p.settings, panel, sim, "failclosed")
    batch_id = p.submit(manifest, label, "failclosed-1")
    p.start(1)
    p.wait(batch_id)
    status = {s["sample_id"]: s for s in p.status_json(batch_id)["samples"]}
    damaged = status[damaged_id]
    assert damaged["state"] == "held", damaged
    assert "FORMAT DP is negative" in damaged["reason"]
    assert "line " in damaged["reason"]
    assert f"{chrom}:" in damaged["reason"]
    truncated = status[truncated_id]
    assert truncated["state"] == "screened"
    assert truncated["outcome"] == "testing_not_possible"
    assert truncated["reasons"][0].startswith("VCF incomplete:")
    assert "chromosome X" in truncated["reasons"][0]
    assert status[intact_id]["state"] == "screened"
    assert status[intact_id]["outcome"] == truth[intact_id]["expected_outcome"]
