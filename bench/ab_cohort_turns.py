"""A/B sample by sample: the worker's database steps of commit ``--before`` and of this checkout, in two
child processes (each importing its own code) that take turns one sample at a time on one database a
``bench_cohort.py --keep`` run built, so the machine's other load weighs on both alike.

    .venv/bin/python bench/ab_cohort_turns.py DATABASE [--before 6fb3317] [--samples 100]
        [--sizes 10000,100000,1000000]

Each turn: claim (``worker_steps._claim``), read the batch's frozen cohort uncached (the checkout's
``worker_steps._read_cohort`` where it exists, else ``cohort.frozen`` in a transaction as the older
bench did), write (``worker_steps._finish`` with ``results.write_result``); one batch per size and side.
Prints JSON: per side and size the medians (ms) of claim, read, write and the three together.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import dataclasses, json, secrets, sys, time
import numpy as np
sys.path.insert(0, "bench")
import bench_cohort as bc
from screening import panels, worker_steps
from screening.config import load_settings
from screening.db import batches, cohort, connection, results
from screening.db.connection import Database
from screening.demo import DEFAULT_PANEL, demo_panel
from screening.domain import Karyotype, Outcome, SampleResult
import inspect
STORED = "stored" in inspect.signature(worker_steps._finish).parameters

url, sizes = sys.argv[1], [int(x) for x in sys.argv[2].split(",")]
samples, seed = int(sys.argv[3]), int(sys.argv[4])
settings = dataclasses.replace(load_settings(), database_url=url, actor="bench")
base = panels.load_panel(DEFAULT_PANEL)
cohorts = [bc.built(settings, demo_panel(base, f"n{size:08d}"), size) for size in sizes]
db = Database(url)
conn = db.connection()
for c in cohorts:
    new = tuple(batches.NewSample(f"T{i}", "/data/x.vcf", "NB", "0" * 64, "female") for i in range(samples))
    nb = batches.NewBatch(f"turns-{secrets.token_hex(4)}", c.pv_id, "m.csv", "1" * 64, new)
    with connection.transaction(conn, settings.actor):
        c.batch_pk, c.ids = batches.insert_batch(conn, nb, settings.actor)
rng = np.random.default_rng(seed)
p = bc.pools(np.random.default_rng(11))

def read(batch_pk):
    if hasattr(worker_steps, "_read_cohort"):
        return worker_steps._read_cohort(db, batch_pk)
    with connection.transaction(conn, settings.actor):
        return cohort.frozen(conn, batch_pk)

print("ready", flush=True)
for i in range(samples):
    sys.stdin.readline()
    out = {}
    for k, c in enumerate(cohorts):
        cands = bc.candidates_for(rng, p, 2 * 10**9 + seed * 10**7 + len(cohorts) * i + k)
        result = SampleResult("T", Outcome.NO_CONDITION_SUSPECTED, Karyotype.XX, (), (), (), cands, bc.PROV)
        t0 = time.perf_counter()
        claim, _ = worker_steps._claim(db, settings, c.ids[i])
        t1 = time.perf_counter()
        frozen = read(c.batch_pk)
        t2 = time.perf_counter()
        meta = results.RunMeta(c.ids[i], c.pv_id, frozen.babies, 0.1)
        # the result as that side's _finish takes it: (result, meta) since 0026, a write callable before
        stored = (result, meta) if STORED else (lambda cn: results.write_result(cn, result, meta))
        done = worker_steps._finish(db, settings, claim, "screened", None, stored)
        t3 = time.perf_counter()
        assert done.state == "screened"
        out[c.size] = [1000 * (t1 - t0), 1000 * (t2 - t1), 1000 * (t3 - t2), 1000 * (t3 - t0)]
    print(json.dumps(out), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--before", default="6fb3317")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    args = parser.parse_args()
    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    with tempfile.TemporaryDirectory() as old:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", args.before], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", old], input=archive.stdout, check=True)
        procs = {}
        for side, tree in (("before", Path(old)), ("after", ROOT)):
            env = {**os.environ, "PYTHONPATH": str(tree)}
            procs[side] = subprocess.Popen(
                [sys.executable, "-c", CHILD, url, args.sizes, str(args.samples), str(len(procs) + 1)],
                cwd=tree, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
        for p in procs.values():
            assert p.stdout.readline().strip() == "ready"
        times: dict[str, dict[str, list[list[float]]]] = {s: {} for s in procs}
        load_before = os.getloadavg()
        for i in range(args.samples):
            order = list(procs) if i % 2 == 0 else list(reversed(procs))  # who goes first alternates
            for side in order:
                p = procs[side]
                p.stdin.write("go\n")
                p.stdin.flush()
                for size, t in json.loads(p.stdout.readline()).items():
                    times[side].setdefault(size, []).append(t)
        for p in procs.values():
            p.stdin.close()
            p.wait()
    report = {"samples": args.samples, "before": args.before, "load_average": [load_before, os.getloadavg()]}
    for side, per_size in times.items():
        report[side] = {
            size: {
                name: round(statistics.median(t[j] for t in rows), 3)
                for j, name in enumerate(("claim_ms", "read_ms", "write_ms", "per_sample_ms"))
            }
            for size, rows in per_size.items()
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
