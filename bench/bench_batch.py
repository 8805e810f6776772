"""Benchmark: a simulated batch through real worker processes, against the engine's own speed.

    .venv/bin/python bench/bench_batch.py [--babies 96] [--workers 2] [--seed 7]

Services as configured (SCREENING_DATABASE_URL / SCREENING_BROKER_URL), else the embedded ones in
SCREENING_HOME (default ./var). Measured in the same run:
- engine: ``vcf_screen.screen_vcf`` on single babies (median of ``--engine-samples`` babies after one
  warm-up), in a fresh process configured like a worker (POLARS_MAX_THREADS=1: the ratio's
  reference), and in this process with polars' default threads (reported, with its own ratio);
- end to end: from ``batch submit`` to the batch finalised, with the workers started and idle
  beforehand (their panel cache cold);
- ratio = end to end / (engine single-baby time × babies / workers); target ≤ 1.5; and, to separate
  pipeline overhead from CPU contention, the ratio to the engine time the workers themselves measured
  (sum of per-sample engine seconds / workers);
- database write time per sample: each stored result written again (one transaction, rolled back).
Writes bench/out/bench_batch.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from screening import batches, panels, simulate, tasks, vcf, vcf_screen
from screening.config import load_settings
from screening.db import batches as db_batches
from screening.db import connection, migrate, results
from screening.db import panels as db_panels
from screening.db.batches import list_samples
from screening.demo import DEFAULT_PANEL, demo_panel, start_workers, stop_workers, wait_for_batch
from screening.domain import SampleInput, Sex

OUT = Path(__file__).resolve().parent / "out"


def engine_seconds(panel, clinvar, sim, count: int, first: int = 0, cohort_af=None) -> list[float]:
    """Seconds per baby of ``count`` babies from the ``first`` manifest row on (the simulator's
    babies, in turn), the one before them screened untimed to warm the caches."""
    rows = sim.manifest.read_text().splitlines()[1:]
    rows = [rows[(first + i) % len(rows)] for i in range(count + 1)]
    times = []
    for line in rows:
        sid, path, sex, column = line.split(",")[:4]
        sample = SampleInput(sid, column, Sex(sex))
        started = time.perf_counter()
        vcf_screen.screen_vcf(panel, sample, sim.out_dir / path, clinvar, cohort_af)
        times.append(time.perf_counter() - started)
    return times[1:]  # the first one warms caches up


def engine_seconds_in_worker_env(sim, count: int, at_once: int = 1, cohort_ipc: Path | None = None) -> float:
    """The same measurement in fresh processes configured like a worker (POLARS_MAX_THREADS=1):
    the median seconds per baby. ``at_once``: that many processes screen at the same time (each its
    own share of the babies, all started together once every one has loaded the panel and warmed
    up), as that many workers do on this machine; 1: one alone, with the machine to itself.
    ``cohort_ipc``: a batch's frozen cohort (Arrow IPC file of ``cohort.Frozen.frame``), given to the
    engine as a worker gives it (the ClinVar route's internal allele frequency); without it that rule
    is not evaluated."""
    code = (
        "import statistics, sys; from pathlib import Path; import polars as pl; import bench_batch as b; "
        "from screening import panels, vcf; from screening.demo import DEFAULT_PANEL; "
        "p = panels.load_panel(DEFAULT_PANEL); sim = b.SimStub(Path(sys.argv[1])); "
        "cv = vcf.read_clinvar(str(sim.clinvar_vcf), p.genome_build, panels.region_list(p)); "
        "af = pl.read_ipc(sys.argv[4]) if sys.argv[4] else None; "
        "b.engine_seconds(p, cv, sim, 0, int(sys.argv[3]), af); print('ready', flush=True); "
        "sys.stdin.readline(); "
        "print(' '.join(map(str, b.engine_seconds(p, cv, sim, int(sys.argv[2]), int(sys.argv[3]) + 1, af))))"
    )
    env = {**os.environ, **tasks.WORKER_ENV_DEFAULTS, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                code,
                str(sim.out_dir),
                str(count),
                str(i * (count + 1)),
                str(cohort_ipc or ""),
            ],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(at_once)
    ]
    for proc in procs:  # every process loaded and warm before any is timed
        if proc.stdout is None or proc.stdout.readline().strip() != "ready":
            raise RuntimeError("an engine timing process did not start")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    times = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode:
            raise RuntimeError(f"engine timing process exited with {proc.returncode}")
        times += [float(x) for x in out.split()]
    return statistics.median(times)


@dataclasses.dataclass(frozen=True)
class SimStub:
    out_dir: Path

    @property
    def manifest(self) -> Path:
        return self.out_dir / "manifest.csv"

    @property
    def clinvar_vcf(self) -> Path:
        return self.out_dir / "clinvar.vcf.gz"


def write_seconds(settings, batch_pk: int) -> list[float]:
    times = []
    with connection.session(settings) as conn:
        statuses = list_samples(conn, batch_pk)
        stored = results.load_results(conn, [s.run_id for s in statuses if s.run_id])
        for status in statuses:
            result = stored.get(status.run_id)
            if result is None:
                continue
            meta = results.RunMeta(status.sample.id, status.sample.panel_version_id, 0, 0.0)
            started = time.perf_counter()
            with conn.transaction(force_rollback=True):
                results.write_result(conn, result, meta)
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--babies", type=int, default=96)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine-samples", type=int, default=8)
    args = parser.parse_args()

    settings = load_settings()
    migrate.upgrade(connection.database_url(settings))
    panel = panels.load_panel(DEFAULT_PANEL)
    t0 = time.perf_counter()
    sim = simulate.simulate_batch(
        panel, settings.home / "bench" / f"n{args.babies}-s{args.seed}", args.babies, args.seed
    )
    simulate_s = time.perf_counter() - t0
    clinvar = vcf.read_clinvar(str(sim.clinvar_vcf), panel.genome_build, panels.region_list(panel))
    version = demo_panel(panel, clinvar.sha256)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row, _ = db_panels.publish(conn, version, clinvar, settings.actor)

    before = engine_seconds(version, clinvar, sim, args.engine_samples)
    procs = start_workers(
        dataclasses.replace(settings, worker_concurrency=1), args.workers, settings.home / "logs"
    )
    try:
        time.sleep(4)  # workers up and idle
        started = time.perf_counter()
        lab_id = f"bench-{time.time_ns()}"
        sub = batches.submit(settings, sim.manifest, row.label, tasks.enqueue_samples, lab_id)
        st = wait_for_batch(settings, sub.lab_batch_id, timeout_s=3600)
        wall = time.perf_counter() - started
    finally:
        stop_workers(procs)
    after = engine_seconds(version, clinvar, sim, args.engine_samples)
    single_default = statistics.median(before + after)
    single = engine_seconds_in_worker_env(sim, args.engine_samples)
    writes = write_seconds(settings, sub.batch_pk)
    with connection.session(settings) as conn:
        in_workers = db_batches.engine_seconds(conn, sub.batch_pk)
    ideal = single * args.babies / args.workers
    ideal_in_workers = sum(in_workers) / args.workers
    report = {
        "babies": args.babies,
        "workers": args.workers,
        "counts": st.counts,
        "simulate_s": round(simulate_s, 2),
        "engine_single_baby_s": round(single, 4),
        "engine_single_baby_s_default_threads": round(single_default, 4),
        "ratio_to_default_threads_engine": round(wall / (single_default * args.babies / args.workers), 3),
        "engine_single_baby_s_before_after": [
            round(statistics.median(before), 4),
            round(statistics.median(after), 4),
        ],
        "engine_in_workers_s_median": round(statistics.median(in_workers), 4),
        "end_to_end_s": round(wall, 2),
        "ideal_s": round(ideal, 2),
        "ratio": round(wall / ideal, 3),
        "ratio_to_worker_engine_time": round(wall / ideal_in_workers, 3),
        "db_write_per_sample_ms_median": round(1000 * statistics.median(writes), 2),
        "db_write_per_sample_ms_max": round(1000 * max(writes), 2),
        "database": "configured" if settings.database_url else "embedded",
        "broker": settings.broker_kind,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_batch.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
