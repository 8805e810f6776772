"""Benchmark: a day of England's births (1,650 babies) through two worker processes, against a cohort
of 10⁵ babies already screened.

    SCREENING_HOME=/tmp/dayhome .venv/bin/python bench/bench_day.py [--babies 1650] [--distinct 96]
        [--cohort 100000] [--batch-size 96] [--workers 2]

Services as configured (SCREENING_DATABASE_URL / SCREENING_BROKER_URL), else the embedded ones in
SCREENING_HOME (the default: embedded PostgreSQL and the filesystem broker). Steps:
- simulate ``--distinct`` babies at the simulator's panel scale: WGS record density (one call per
  700 bp) in the panel's padded gene regions and in the chrX/chrY karyotype windows, sparse elsewhere
  — the records the engine reads are those of a WGS file, the file is far smaller (its sha256 is
  cheaper than a WGS file's 0.16 s);
- publish the starter panel with the simulated ClinVar snapshot; bulk-load ``--cohort`` screened
  babies under it (``bench_cohort.load``, COPY) and rebuild the counts from them;
- the day: ``--babies`` manifest rows, each naming one of the distinct babies' files under its own
  sample id, in batches of ``--batch-size``, all submitted one after the other (``batches.submit``: the
  whole manifest validated, every VCF hashed, the cohort frozen) to ``--workers`` idle worker
  processes (one pool process each); wall time from the first submission to the last batch finalised;
- the engine-only lower bound measured in the same run: ``vcf_screen.screen_vcf`` per baby in
  ``--workers`` fresh processes configured like workers (POLARS_MAX_THREADS=1) screening at the same
  time, as the day's workers do, each given the last batch's frozen cohort as a worker is (the ClinVar
  route's internal allele frequency): median seconds per baby × babies / workers. The engine reads the
  index in a thread and hashes in another, so one baby alone uses more than one core; one alone's
  time × babies / workers (``ratio_to_one_alone_bound``, the bound as first written) is not reachable
  by two engines on two cores, and is reported beside it. Also the ratio to the engine time the
  workers measured themselves.
Writes bench/out/bench_day.json (and prints it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_batch
import bench_cohort
from cpu_by_process import CpuByProcess

from screening import batches, panel_content, panels, simulate, tasks, vcf
from screening.config import load_settings
from screening.db import batches as db_batches
from screening.db import cohort, connection, migrate
from screening.db import panels as db_panels
from screening.demo import DEFAULT_PANEL, demo_panel, start_workers, stop_workers, wait_for_batch

OUT = Path(__file__).resolve().parent / "out"
POSTGRES_AUX = ("checkpointer", "writer", "autovacuum", "logical replication", "stats")


def process_kinds(pool_pids: set[int], cpu: CpuByProcess):
    """The kind of each process of the day, for the CPU accounting."""

    def kind(pid: int, ppid: int, cmdline: str) -> str:
        if pid == os.getpid():
            return "bench process (submissions: manifest checks, VCF hashing, cohort freeze; polling)"
        if "celery" in cmdline and " worker " in cmdline:
            if pid in pool_pids:
                return "pool processes (engine, claim, result write)"
            if "celery" in cpu.parent_cmdline(pid):
                return "embedded beat"
            return "worker main processes (broker reads, pool pipes, heartbeat)"
        if cmdline.startswith("postgres:") or "/bin/postgres" in cmdline:
            if any(a in cmdline for a in POSTGRES_AUX) or "/bin/postgres" in cmdline:
                return "postgres background (WAL writer, checkpointer, autovacuum)"
            return "postgres backends"
        return "other"

    return kind


def manifests(sim, babies: int, batch_size: int, tag: str) -> list[Path]:
    """The day's manifests, beside the simulated files: ``babies`` rows in batches, each row one of the
    distinct babies' files (its columns kept) under its own sample id."""
    header, *rows = sim.manifest.read_text().splitlines()
    out = []
    for b, start in enumerate(range(0, babies, batch_size)):
        lines = [header]
        for i in range(start, min(start + batch_size, babies)):
            _, *rest = rows[i % len(rows)].split(",")
            lines.append(",".join([f"D{i:05d}", *rest]))
        path = sim.out_dir / f"{tag}-{b:03d}.csv"
        path.write_text("\n".join(lines) + "\n")
        out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--babies", type=int, default=1650)
    parser.add_argument("--distinct", type=int, default=96)
    parser.add_argument("--cohort", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=96)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--engine-samples", type=int, default=24, help="babies per engine timing process")
    args = parser.parse_args()

    settings = load_settings()
    url = connection.database_url(settings)
    migrate.upgrade(url)
    panel = panels.load_panel(DEFAULT_PANEL)
    t0 = time.perf_counter()
    sim = simulate.simulate_batch(
        panel, settings.home / "bench" / f"day-n{args.distinct}-s{args.seed}", args.distinct, args.seed
    )
    simulate_s = time.perf_counter() - t0
    clinvar = vcf.read_clinvar(str(sim.clinvar_vcf), panel.genome_build, panels.region_list(panel))
    version = demo_panel(panel, clinvar.sha256)
    version = dataclasses.replace(version, panel_id=f"{version.panel_id}-day{time.time_ns() % 10**8}")
    version = panel_content.sealed(version)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row, _ = db_panels.publish(conn, version, clinvar, settings.actor)

    t0 = time.perf_counter()
    conn = connection.connect(url)
    rng = np.random.default_rng(args.seed)
    bench_cohort.load(conn, row.id, rng, bench_cohort.pools(rng), args.cohort)
    with connection.transaction(conn, settings.actor):
        cohort.rebuild(conn, version.panel_id)
    conn.execute("ANALYZE")
    conn.close()
    cohort_s = time.perf_counter() - t0

    tag = f"day{time.time_ns() % 10**8}"
    files = manifests(sim, args.babies, args.batch_size, tag)
    procs = start_workers(
        dataclasses.replace(settings, worker_concurrency=1), args.workers, settings.home / "logs"
    )
    cpu = CpuByProcess(lambda *_: "")
    try:
        time.sleep(4)  # workers up and idle
        with cpu:
            started = time.perf_counter()
            subs = []
            for i, manifest in enumerate(files):
                sub = batches.submit(settings, manifest, row.label, tasks.enqueue_samples, f"{tag}-{i:03d}")
                subs.append(sub)
            submitted = time.perf_counter() - started
            states = [wait_for_batch(settings, s.lab_batch_id, timeout_s=7200) for s in subs]
            wall = time.perf_counter() - started
        with connection.session(settings) as conn:
            beats = conn.execute("SELECT pid, pool_pids FROM worker_heartbeat").fetchall()
        pool_pids = {c for b in beats for c in b["pool_pids"] or () if c != b["pid"]}
        cpu.kinds = process_kinds(pool_pids, cpu)
    finally:
        stop_workers(procs)
    counts: dict[str, int] = {}
    for st in states:
        for k, v in st.counts.items():
            counts[k] = counts.get(k, 0) + v
    in_workers: list[float] = []
    with connection.session(settings) as conn:
        for s in subs:
            in_workers += [x for x in db_batches.engine_seconds(conn, s.batch_pk) if x is not None]
        frozen = [cohort.frozen(conn, s.batch_pk) for s in subs]
    last = frozen[-1]
    # the bound's engine gets what the workers' got: the last batch's frozen cohort (the internal
    # allele frequency of the ClinVar route), else that rule is not evaluated and the bound is cheaper
    cohort_ipc = None
    if last.frame is not None and last.babies >= settings.cohort_min_babies:
        cohort_ipc = OUT / "bench_day_cohort.arrow"
        OUT.mkdir(exist_ok=True)
        last.frame.write_ipc(cohort_ipc)
    n = args.engine_samples
    single = bench_batch.engine_seconds_in_worker_env(sim, n, cohort_ipc=cohort_ipc)
    at_once = bench_batch.engine_seconds_in_worker_env(sim, n, at_once=args.workers, cohort_ipc=cohort_ipc)
    at_once_no_cohort = bench_batch.engine_seconds_in_worker_env(sim, n, at_once=args.workers)
    ideal = at_once * args.babies / args.workers
    ideal_single = single * args.babies / args.workers
    report = {
        "babies": args.babies,
        "distinct_baby_files": args.distinct,
        "files": "simulator panel scale (WGS record density in the panel regions and karyotype windows)",
        "cohort_babies": args.cohort,
        "cohort_babies_frozen_first_last": [frozen[0].babies, last.babies],
        "batches": len(subs),
        "workers": args.workers,
        "counts": counts,
        "simulate_s": round(simulate_s, 1),
        "cohort_load_and_rebuild_s": round(cohort_s, 1),
        "submit_all_s": round(submitted, 2),
        "wall_s": round(wall, 2),
        "engine_single_baby_s": round(single, 4),
        "engine_per_baby_at_once_s": round(at_once, 4),
        "engine_per_baby_at_once_without_cohort_s": round(at_once_no_cohort, 4),
        "engine_lower_bound_s": round(ideal, 2),
        "ratio": round(wall / ideal, 3),
        "engine_lower_bound_from_one_alone_s": round(ideal_single, 2),
        "ratio_to_one_alone_bound": round(wall / ideal_single, 3),
        "engine_in_workers_s_median": round(statistics.median(in_workers), 4),
        "ratio_to_worker_engine_time": round(wall / (sum(in_workers) / args.workers), 3),
        "cpu_s_by_process_kind": cpu.report(),
        "database": "configured" if settings.database_url else "embedded",
        "broker": settings.broker_kind,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_day.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
