"""A/B: the worker's database steps per sample, before and after the pipelined write, interleaved on one
database (the machine's other load weighs on both alike).

    .venv/bin/python bench/ab_write_path.py [--cohort 10000] [--samples 100] [--before 48e0661]

* before: the statements of commit ``--before`` (its ``queries.sql``, read with git), run one by one as
  that commit's ``worker_steps._claim`` / ``_finish`` / ``results.write_result`` ran them: claim (fail
  exhausted, decrement, claim), write (finish, decrement, lock, take out, run, delete, candidates with
  ``executemany``, put in), each commit waiting for the WAL flush;
* after: this checkout's ``worker_steps._claim`` and ``worker_steps._finish`` with ``results.write_result``.
A fresh database on ``--admin-url`` (dropped at the end), a cohort of ``--cohort`` babies bulk-loaded
as ``bench_cohort.py`` does, then ``--samples`` babies each way, in turns. Prints JSON (medians, ms).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_cohort as bc

from screening import panels, worker_steps
from screening.config import load_settings
from screening.db import batches, cohort, connection, migrate, results
from screening.db import panels as db_panels
from screening.db.connection import Database
from screening.db.sql import parse_queries
from screening.demo import DEFAULT_PANEL, demo_panel
from screening.domain import Karyotype, Outcome, SampleResult

ROOT = Path(__file__).resolve().parents[1]


def before_steps(conn, old: dict[str, str], pv_id: int, size: int, pk: int, result) -> tuple[float, float]:
    t0 = time.perf_counter()
    with connection.transaction(conn, "bench"):
        for r in conn.execute(old["fail_exhausted"], {"max_attempts": 3, "id": pk}).fetchall():
            conn.execute(old["decrement_batch"], {"batch_id": r["batch_id"]})
        params = {"id": pk, "token": uuid.uuid4(), "lease_seconds": 120, "max_attempts": 3}
        token = conn.execute(old["claim_sample"], params).fetchone()["lease_token"]
    t1 = time.perf_counter()
    meta = results.RunMeta(pk, pv_id, size, 0.1)
    with connection.transaction(conn, "bench"):
        finish = {"id": pk, "token": token, "state": "screened", "reason": None}
        batch_id = conn.execute(old["finish_sample"], finish).fetchone()["batch_id"]
        conn.execute(old["decrement_batch"], {"batch_id": batch_id}).fetchone()
        lock = conn.execute(old["cohort_lock_panel"], {"panel_version_id": pv_id}).fetchone()
        conn.execute(old["cohort_take_out"], {"panel_id": lock["panel_id"], "sample_id": pk})
        run_id = conn.execute(old["upsert_run"], results._run_params(result, meta)).fetchone()["id"]
        conn.execute(old["delete_run_results"], {"run_id": run_id})
        candidates, _ = results._ordinals(result)
        rows = [results._candidate_params(run_id, i, c) for i, c in enumerate(candidates)]
        with conn.cursor() as cur:
            cur.executemany(old["insert_candidate"], rows)
        put = {"panel_id": lock["panel_id"], "sample_id": pk, "run_id": run_id}
        conn.execute(old["cohort_put_in"], put)
    return t1 - t0, time.perf_counter() - t1


def after_steps(db: Database, settings, pv_id: int, size: int, pk: int, result) -> tuple[float, float]:
    t0 = time.perf_counter()
    claim, _ = worker_steps._claim(db, settings, pk)
    t1 = time.perf_counter()
    meta = results.RunMeta(pk, pv_id, size, 0.1)
    outcome = worker_steps._finish(db, settings, claim, "screened", None, (result, meta))
    assert outcome.state == "screened"
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cohort", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--before", default="48e0661")
    args = parser.parse_args()
    show = ["git", "-C", str(ROOT), "show", f"{args.before}:screening/db/queries.sql"]
    old = parse_queries(subprocess.run(show, capture_output=True, text=True, check=True).stdout)
    name = f"ab_write_{secrets.token_hex(4)}"
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    settings = dataclasses.replace(load_settings(), database_url=url, actor="bench")
    try:
        migrate.upgrade(url)
        version = demo_panel(panels.load_panel(DEFAULT_PANEL), "ab")
        with connection.session(settings) as conn, connection.transaction(conn, "bench"):
            row, _ = db_panels.publish(conn, version, None, "bench")
        rng = np.random.default_rng(5)
        p = bc.pools(rng)
        with connection.session(settings) as conn:
            bc.load(conn, row.id, rng, p, args.cohort)
            with connection.transaction(conn, "bench"):
                cohort.rebuild(conn, version.panel_id)
            conn.execute("ANALYZE")
        db = Database(url)
        conn = db.connection()
        n = args.samples
        new = tuple(
            batches.NewSample(f"A{i}", "/data/x.vcf.gz", "NB", "0" * 64, "female") for i in range(2 * n)
        )
        with connection.transaction(conn, "bench"):
            _, ids = batches.insert_batch(
                conn, batches.NewBatch("ab", row.id, "m.csv", "1" * 64, new), "bench"
            )
        ways = {
            "before": lambda pk, r: before_steps(conn, old, row.id, args.cohort, pk, r),
            "after": lambda pk, r: after_steps(db, settings, row.id, args.cohort, pk, r),
        }
        times: dict[str, dict[str, list[float]]] = {w: {"claim": [], "write": [], "both": []} for w in ways}
        load = [os.getloadavg()[0]]
        for i in range(n):
            order = list(ways) if i % 2 == 0 else list(reversed(ways))
            for k, way in enumerate(order):
                candidates = bc.candidates_for(rng, p, 10**9 + 2 * i + k)
                result = SampleResult(
                    f"A{i}", Outcome.NO_CONDITION_SUSPECTED, Karyotype.XX, (), (), (), candidates, bc.PROV
                )
                claim_s, write_s = ways[way](ids[2 * i + k], result)
                for key, value in (("claim", claim_s), ("write", write_s), ("both", claim_s + write_s)):
                    times[way][key].append(1000 * value)
        load.append(os.getloadavg()[0])
        report: dict = {"cohort_babies": args.cohort, "samples_each": n, "load_average_before_after": load}
        for way, t in times.items():
            report[way] = {f"{k}_ms_median": round(statistics.median(v), 3) for k, v in t.items()}
        with connection.session(settings) as c2:
            report["cohort_check_matches"] = cohort.check(c2, version.panel_id).matches
        db.close()
        print(json.dumps(report, indent=2))
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
