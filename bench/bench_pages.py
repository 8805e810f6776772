"""Benchmark: the review queue and the batch list with a national cohort (10⁵ runs by default).

    .venv/bin/python bench/bench_pages.py [--runs 100000] [--repeat 21]

Real PostgreSQL: a fresh database on ``--admin-url`` (default the local server), dropped at the end.
Bulk-loads ``--runs`` screened babies with ``bench_cohort.load`` (batches of 96), then marks 1 % of the
runs "condition suspected" with one finding each (the starter panel's genes, all urgencies) and
records a case outcome for half of them. Times, medians of ``--repeat`` calls of the functions the
pages call: ``review.review_queue`` (the reviewers' queue, 200 rows), ``batches.list_batches`` (the
lab's batch list, 100 batches with counts per state) and the samples of one batch of 96 (the batch
page's list). Each is also timed with the indexes added for it dropped (in a transaction rolled back after),
to show what they are for. Writes bench/out/bench_pages.json (and prints it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import secrets
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_cohort

from screening import panels
from screening.config import load_settings
from screening.db import batches, connection, migrate, review
from screening.db import panels as db_panels
from screening.db.sql import query
from screening.demo import DEFAULT_PANEL, demo_panel

OUT = Path(__file__).resolve().parent / "out"
FLAG = (
    "WITH flagged AS (UPDATE screening_run SET outcome = 'condition_suspected' WHERE id % 100 = 7 "
    "RETURNING id, panel_version_id) "
    "INSERT INTO finding (run_id, ordinal, hgnc_id, symbol, moi, condition, pattern) "
    "SELECT f.id, 0, g.hgnc_id, g.symbol, g.moi, g.condition, 'homozygous' FROM flagged f "
    "JOIN LATERAL (SELECT * FROM panel_gene WHERE panel_version_id = f.panel_version_id "
    "AND ordinal = f.id % 200) g ON true"
)
DECIDE = (
    "INSERT INTO case_decisions (run_id, outcome, reason, decided_by) "
    "SELECT id, 'condition_suspected', 'bench', 'bench' FROM screening_run "
    "WHERE outcome = 'condition_suspected' AND id % 200 = 7"
)
# indexes of migration 0006 for these pages (dropped, in a rolled-back transaction, for the "without")
INDEXES = {
    "review_queue": ["screening_run_suspected"],
    "list_batches": [],
    "batch_status": [],
}


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(1000 * statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--explain", action="store_true", help="Print the plans (EXPLAIN ANALYZE).")
    args = parser.parse_args()
    name = f"bench_pages_{secrets.token_hex(4)}"
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    settings = dataclasses.replace(load_settings(), database_url=url, actor="bench")
    out: dict = {"runs": args.runs, "repeat": args.repeat}
    try:
        migrate.upgrade(url)
        version = demo_panel(panels.load_panel(DEFAULT_PANEL), "pages")
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            row, _ = db_panels.publish(conn, version, None, settings.actor)
        rng = np.random.default_rng(3)
        conn = connection.connect(url)
        bench_cohort.load(conn, row.id, rng, bench_cohort.pools(rng), args.runs)
        conn.execute("SET session_replication_role = replica")
        with conn.transaction():
            conn.execute(FLAG)
            conn.execute(DECIDE)
        conn.execute("SET session_replication_role = origin")
        conn.execute("ANALYZE")
        out["awaiting_review"] = len(review.review_queue(conn, limit=100_000))
        batch_pk = conn.execute("SELECT max(id) AS id FROM batch").fetchone()["id"]
        pages = {
            "review_queue": lambda: review.review_queue(conn, limit=200),
            "list_batches": lambda: batches.list_batches(conn, limit=100),
            "batch_status": lambda: (
                batches.list_samples(conn, batch_pk),
                batches.engine_seconds(conn, batch_pk),
            ),
        }
        if args.explain:
            plans = {
                "review_queue": (query("review_queue"), {"limit": 200}),
                "list_batches": (
                    query("list_batches_page"),
                    {"limit": 100, "offset": 0, "state": None, "panel_id": None, "since": None},
                ),
            }
            for page, (sql, params) in plans.items():
                rows = conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
                print(page, *(r["QUERY PLAN"] for r in rows), sep="\n", file=sys.stderr)
        for page, fn in pages.items():
            out[f"{page}_ms"] = timed(fn, args.repeat)
            if INDEXES[page]:
                with conn.transaction(force_rollback=True):
                    for index in INDEXES[page]:
                        conn.execute(f"DROP INDEX {index}")  # constant names from INDEXES
                    out[f"{page}_ms_without_its_index"] = timed(fn, args.repeat)
        conn.close()
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_pages.json").write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
