"""Benchmark: the per-sample database cost of the cohort allele frequency at 10⁴, 10⁵ and 10⁶ babies.

    .venv/bin/python bench/bench_cohort.py [--sizes 10000,100000,1000000] [--samples 100]

Real PostgreSQL: a fresh database on ``--admin-url`` (default the local server), dropped at the end
unless ``--keep``. One panel per size, each with its own cohort, bulk-loaded with COPY (batches of 96,
one screened sample and run per baby, ~9.5 candidates a baby: 8 drawn from 20,000 rare alleles, 1 from
50 recurrent ones with Zipf weights, the commonest near 10 % (ClinVar assertions a cohort shows to be
common), and a private allele in half of the babies; 2 % homozygous), triggers and foreign-key checks
off for the load only (``session_replication_role = replica``). The counts are then rebuilt from the
stored runs with ``cohort.rebuild`` (the ``screening cohort check --repair`` code); after the
measurement ``cohort.check`` compares them with the stored runs again.

Then ``--samples`` new babies per size are submitted as one batch (``batches.insert_batch``: the
submission freezes the cohort) and go through the worker's database steps on one connection, the
sizes taking turns sample by sample (the machine's other load weighs on all alike): claim (lease),
read the frozen cohort (uncached: the worker caches it per batch), write the result (run, candidates,
count updates, state, batch counter: one transaction, committed), each through the worker's own code
(``worker_steps._claim`` / ``_read_cohort`` / ``_finish``), back to back as a worker runs them.
``per_sample_ms`` is the median of the three together. The write's commit waits for the WAL flush
(the claim's does not): after every sample, the same write rolled back, a round trip without a commit
and a one-row commit are timed, for each sample again (apart: between samples they slowed the next
claim). For contrast,
the previous design's per-sample read (every stored run of the panel aggregated) is timed once per
size up to ``--legacy-max``.
Writes bench/out/bench_cohort.json (and prints it).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import secrets
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

from screening import panels, worker_steps
from screening.config import load_settings
from screening.db import batches, cohort, connection, migrate, results
from screening.db import panels as db_panels
from screening.db.connection import Database
from screening.db.sql import query
from screening.demo import DEFAULT_PANEL, demo_panel
from screening.domain import (
    CandidateRole,
    CandidateVariant,
    Karyotype,
    Outcome,
    Provenance,
    Route,
    SampleResult,
    Zygosity,
)

OUT = Path(__file__).resolve().parent / "out"
RARE, RECURRENT = 20_000, 50
BATCH = 96


@dataclasses.dataclass
class Pools:
    rare_pos: np.ndarray
    recurrent_pos: np.ndarray
    recurrent_p: np.ndarray


def pools(rng: np.random.Generator) -> Pools:
    positions = rng.choice(np.arange(1_000_000, 200_000_000), RARE + RECURRENT, replace=False)
    weights = 1.0 / np.arange(1, RECURRENT + 1) ** 1.1
    return Pools(positions[:RARE], positions[RARE:], weights / weights.sum())


def draw(rng: np.random.Generator, p: Pools, babies: int, private_base: int) -> pl.DataFrame:
    """(baby, ordinal, pos, zygosity) for ``babies`` babies: 10 candidates each (9 when no private)."""
    rare = p.rare_pos[rng.integers(0, RARE, (babies, 8))]
    recurrent = p.recurrent_pos[rng.choice(RECURRENT, babies, p=p.recurrent_p)][:, None]
    private = (300_000_000 + private_base + np.arange(babies))[:, None]
    has_private = rng.random(babies) < 0.5
    pos = np.concatenate([rare, recurrent, private], axis=1)
    keep = np.ones_like(pos, dtype=bool)
    keep[:, 9] = has_private
    baby = np.repeat(np.arange(babies), 10).reshape(babies, 10)
    ordinal = np.tile(np.arange(10), (babies, 1))
    hom = rng.random(pos.shape) < 0.02
    return pl.DataFrame(
        {
            "baby": baby[keep],
            "ordinal": ordinal[keep],
            "pos": pos[keep],
            "zygosity": np.where(hom[keep], "hom", "het"),
        }
    )


def _copy(conn: psycopg.Connection, sql: str, frame: pl.DataFrame) -> None:
    buf = io.BytesIO()
    frame.write_csv(buf, include_header=False)
    with conn.cursor().copy(sql) as copy:
        copy.write(buf.getvalue())


def load(conn: psycopg.Connection, pv_id: int, rng, p: Pools, babies: int) -> None:
    """Bulk-load ``babies`` screened babies (batches, samples, runs, candidates) with COPY."""
    ids = conn.execute(
        "SELECT coalesce((SELECT max(id) FROM batch), 0) AS b, "
        "coalesce((SELECT max(id) FROM sample), 0) AS s, "
        "coalesce((SELECT max(id) FROM screening_run), 0) AS r"
    ).fetchone()
    b0, s0, r0 = ids["b"], ids["s"], ids["r"]
    n_batches = (babies + BATCH - 1) // BATCH
    conn.execute("SET session_replication_role = replica")
    with conn.transaction():
        bid = np.arange(b0 + 1, b0 + 1 + n_batches)
        size = np.full(n_batches, BATCH)
        size[-1] = babies - BATCH * (n_batches - 1)
        _copy(
            conn,
            "COPY batch (id, lab_batch_id, panel_version_id, manifest_name, manifest_sha256, state, "
            "samples_total, samples_pending, submitted_by) FROM STDIN (FORMAT csv)",
            pl.DataFrame(
                {
                    "id": bid,
                    "lab": [f"bulk-{i}" for i in bid],
                    "pv": pv_id,
                    "m": "m.csv",
                    "sha": "0" * 64,
                    "state": "finalised",
                    "total": size,
                    "pending": 0,
                    "by": "bench",
                }
            ),
        )
        sid = np.arange(s0 + 1, s0 + 1 + babies)
        _copy(
            conn,
            "COPY sample (id, batch_id, sample_id, panel_version_id, vcf_path, vcf_sample, vcf_sha256, sex, "
            "state) FROM STDIN (FORMAT csv)",
            pl.DataFrame(
                {
                    "id": sid,
                    "batch": b0 + 1 + (sid - s0 - 1) // BATCH,
                    "sample": [f"NB{i}" for i in sid],
                    "pv": pv_id,
                    "path": "/data/x.vcf.gz",
                    "col": "NB",
                    "sha": "0" * 64,
                    "sex": "female",
                    "state": "screened",
                }
            ),
        )
        rid = np.arange(r0 + 1, r0 + 1 + babies)
        _copy(
            conn,
            "COPY screening_run (id, sample_id, panel_version_id, outcome, karyotype, reasons, "
            "not_evaluated, panel_sha256, vcf_sha256, vcf_sample, genome_build, settings, software_version) "
            "FROM STDIN (FORMAT csv)",
            pl.DataFrame(
                {
                    "id": rid,
                    "sample": sid,
                    "pv": pv_id,
                    "outcome": "no_condition_suspected",
                    "k": "XX",
                    "r": "[]",
                    "n": "[]",
                    "psha": "0" * 64,
                    "vsha": "0" * 64,
                    "col": "NB",
                    "b": "GRCh38",
                    "s": "{}",
                    "v": "bench",
                }
            ),
        )
        for start in range(0, babies, 100_000):
            n = min(100_000, babies - start)
            c = draw(rng, p, n, s0 + start)
            cand = c.select(
                run_id=pl.col("baby") + r0 + 1 + start,
                ordinal=pl.col("ordinal"),
                hgnc_id=pl.lit("HGNC:1884"),
                symbol=pl.lit("CFTR"),
                chrom=pl.lit("1"),
                pos=pl.col("pos"),
                ref=pl.lit("A"),
                alt=pl.lit("G"),
                zygosity=pl.col("zygosity"),
                routes=pl.lit("{clinvar}"),
                role=pl.lit("carrier"),
                gt=pl.when(pl.col("zygosity") == "hom").then(pl.lit("1/1")).otherwise(pl.lit("0/1")),
                phased=pl.lit("f"),
                filter=pl.lit("PASS"),
                quality_failures=pl.lit("{}"),
            )
            _copy(
                conn,
                "COPY candidate (run_id, ordinal, hgnc_id, symbol, chrom, pos, ref, alt, zygosity, routes, "
                "role, gt, phased, filter, quality_failures) FROM STDIN (FORMAT csv)",
                cand,
            )
    conn.execute("SET session_replication_role = origin")
    conn.execute("SELECT setval('batch_id_seq', (SELECT max(id) FROM batch))")
    conn.execute("SELECT setval('sample_id_seq', (SELECT max(id) FROM sample))")
    conn.execute("SELECT setval('screening_run_id_seq', (SELECT max(id) FROM screening_run))")
    conn.execute("ANALYZE")


def candidates_for(rng, p: Pools, private: int) -> tuple[CandidateVariant, ...]:
    c = draw(rng, p, 1, private)
    evidence = (60, 30, 15, 15, 0.5, False, None, "PASS")  # gq dp ad_ref ad_alt ab phased ps filter
    return tuple(
        CandidateVariant(
            "HGNC:1884",
            "CFTR",
            "1",
            int(pos),
            "A",
            "G",
            Zygosity(z),
            (Route.CLINVAR,),
            CandidateRole.CARRIER,
            "1/1" if z == "hom" else "0/1",
            *evidence,
        )
        for pos, z in zip(c["pos"], c["zygosity"], strict=True)
    )


@dataclasses.dataclass
class Cohort:
    """One panel's cohort under measurement, and the timings of its new babies."""

    size: int
    pv_id: int
    panel_id: str
    batch_pk: int = 0
    ids: list[int] = dataclasses.field(default_factory=list)
    times: dict[str, list[float]] = dataclasses.field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.times.setdefault(name, []).append(1000 * seconds)

    def median(self, name: str) -> float:
        return round(statistics.median(self.times[name]), 3)

    def p90(self, name: str) -> float:
        return round(float(np.percentile(self.times[name], 90)), 3)


PROV = Provenance("bench", "1.0", "0" * 64, "GRCh38", None, None, None, "0" * 64, "NB", "XX", {}, "bench")


def one_sample(db: Database, settings, c: Cohort, pk: int, result: SampleResult) -> None:
    """The worker's database steps for one baby (``worker_steps.py``'s own functions), each timed."""
    t0 = time.perf_counter()
    claim, _ = worker_steps._claim(db, settings, pk)
    assert claim is not None
    t1 = time.perf_counter()
    frozen = worker_steps._read_cohort(db, c.batch_pk)  # as a worker reads it, uncached
    t2 = time.perf_counter()
    meta = results.RunMeta(pk, c.pv_id, frozen.babies, 0.1)
    outcome = worker_steps._finish(db, settings, claim, "screened", None, (result, meta))
    assert outcome.state == "screened"
    t3 = time.perf_counter()
    c.add("claim", t1 - t0)
    c.add("read", t2 - t1)
    c.add("write", t3 - t2)
    c.add("per_sample", t3 - t0)
    c.times.setdefault("frozen_alleles", []).append(frozen.frame.height)
    c.times.setdefault("frozen_babies", []).append(frozen.babies)


def floors(db: Database, settings, c: Cohort, pk: int, result: SampleResult) -> None:
    """What the write's time is made of, timed apart from the worker's steps (interleaved with them, a
    rolled-back write's dead rows and an extra commit slowed the next sample's claim): the same write
    rolled back (no WAL flush), a round trip without a commit, and a one-row commit (the flush's floor)."""
    conn = db.connection()
    meta = results.RunMeta(pk, c.pv_id, 0, 0.1)
    with conn.transaction(force_rollback=True):
        t4 = time.perf_counter()
        results.write_result(conn, result, meta)
        c.add("write_uncommitted", time.perf_counter() - t4)
    t5 = time.perf_counter()
    conn.execute(query("set_actor"), {"actor": settings.actor})
    c.add("round_trip", time.perf_counter() - t5)
    t6 = time.perf_counter()
    with connection.transaction(conn, settings.actor):
        conn.execute("UPDATE batch SET samples_pending = samples_pending WHERE id = %(b)s", {"b": c.batch_pk})
    c.add("one_row_commit", time.perf_counter() - t6)


def measure(settings, cohorts: list[Cohort], rng, p: Pools, samples: int, legacy_max: int) -> None:
    """``samples`` new babies per cohort, in turns (a, b, c, b, c, a, …) so that whatever else the
    machine does weighs on every size alike."""
    db = Database(settings.database_url)
    conn = db.connection()
    for c in cohorts:
        new = tuple(
            batches.NewSample(f"M{i}", "/data/x.vcf.gz", "NB", "0" * 64, "female") for i in range(samples)
        )
        nb = batches.NewBatch(f"measure-{secrets.token_hex(4)}", c.pv_id, "m.csv", "1" * 64, new)
        started = time.perf_counter()
        with connection.transaction(conn, settings.actor):
            c.batch_pk, c.ids = batches.insert_batch(conn, nb, settings.actor)
        c.add("submit_batch", time.perf_counter() - started)
    # every sample through the worker's steps; then, apart, the floors of what a write costs
    for step in (one_sample, floors):
        for i in range(samples):
            for k in range(len(cohorts)):
                c = cohorts[(i + k) % len(cohorts)]
                cands = candidates_for(rng, p, 10**9 + len(cohorts) * i + k)
                result = SampleResult(
                    f"M{i}", Outcome.NO_CONDITION_SUSPECTED, Karyotype.XX, (), (), (), cands, PROV
                )
                step(db, settings, c, c.ids[i], result)
    for c in cohorts:
        if c.size <= legacy_max:  # the previous design: every stored run of the panel aggregated
            t0 = time.perf_counter()
            with conn.transaction(force_rollback=True):
                conn.execute("DELETE FROM batch_cohort_allele WHERE batch_id = %(b)s", {"b": c.batch_pk})
                conn.execute("DELETE FROM batch_cohort WHERE batch_id = %(b)s", {"b": c.batch_pk})
                cohort.frozen(conn, c.batch_pk)
            c.add("previous_design_read", time.perf_counter() - t0)
    db.close()


def built(settings, version, size: int) -> Cohort:
    """A cohort a ``--keep`` run loaded: its panel version, found by the version's panel id."""
    with connection.session(settings) as conn:
        row = db_panels.find_version(conn, version.panel_id, version.version)
    if row is None:
        raise SystemExit(f"--reuse: no cohort of {size} babies in that database (run with --keep first)")
    return Cohort(size, row.id, version.panel_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--legacy-max", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE",
        help="measure on the cohorts a --keep run built (loading 10⁶ babies takes minutes)",
    )
    args = parser.parse_args()
    name = args.reuse or f"bench_cohort_{secrets.token_hex(4)}"
    if not args.reuse:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    print(f"database {name}", flush=True)
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    settings = dataclasses.replace(load_settings(), database_url=url, actor="bench")
    report: dict = {"babies": [], "per_sample_ms": [], "cohorts": [], "samples_per_size": args.samples}
    try:
        migrate.upgrade(url)
        base = panels.load_panel(DEFAULT_PANEL)
        rng = np.random.default_rng(args.seed)
        p = pools(rng)
        cohorts, setup = [], []
        for size in (int(x) for x in args.sizes.split(",")):
            version = demo_panel(base, f"n{size:08d}")
            if args.reuse:
                cohorts.append(built(settings, version, size))
                setup.append(json.loads((OUT / f"{name}-{size}.json").read_text()))
                continue
            with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
                row, _ = db_panels.publish(conn, version, None, settings.actor)
            c = Cohort(size, row.id, version.panel_id)
            conn = connection.connect(url)
            t0 = time.perf_counter()
            load(conn, row.id, rng, p, size)
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            with connection.transaction(conn, settings.actor):
                cohort.rebuild(conn, c.panel_id)
            rebuild_s = time.perf_counter() - t0
            conn.execute("ANALYZE")
            conn.close()
            cohorts.append(c)
            setup.append({"load_s": round(load_s, 1), "rebuild_s": round(rebuild_s, 1)})
            OUT.mkdir(exist_ok=True)
            (OUT / f"{name}-{size}.json").write_text(json.dumps(setup[-1]))  # for --reuse
            print(f"loaded {size} babies in {load_s:.1f} s, counts rebuilt in {rebuild_s:.1f} s", flush=True)
        report["load_average_before"] = os.getloadavg()
        measure(settings, cohorts, rng, p, args.samples, args.legacy_max)
        report["load_average_after"] = os.getloadavg()
        conn = connection.connect(url)
        for c, extra in zip(cohorts, setup, strict=True):
            t0 = time.perf_counter()
            check = cohort.check(conn, c.panel_id)
            alleles = conn.execute(
                "SELECT count(*) AS n FROM cohort_allele WHERE panel_id = %(p)s AND alt_alleles > 0",
                {"p": c.panel_id},
            ).fetchone()["n"]
            doc = {
                "babies": c.size,
                "candidates_per_baby": 9.5,
                "distinct_alleles": alleles,
                **extra,
                "check_s": round(time.perf_counter() - t0, 1),
                "check_matches": check.matches,
                "frozen_babies": c.times["frozen_babies"][0],
                "frozen_alleles": c.times["frozen_alleles"][0],
                "submit_batch_ms": c.median("submit_batch"),
            }
            for key in ("claim", "read", "write", "write_uncommitted", "round_trip", "one_row_commit"):
                doc[f"{key}_ms_median"] = c.median(key)
            doc["read_ms_p90"], doc["write_ms_p90"] = c.p90("read"), c.p90("write")
            doc["per_sample_ms_median"], doc["per_sample_ms_p90"] = (
                c.median("per_sample"),
                c.p90("per_sample"),
            )
            if "previous_design_read" in c.times:
                doc["previous_design_read_ms"] = c.median("previous_design_read")
            print(json.dumps(doc), flush=True)
            report["cohorts"].append(doc)
            report["babies"].append(c.size)
            report["per_sample_ms"].append(doc["per_sample_ms_median"])
        report["ratio_last_to_first"] = round(report["per_sample_ms"][-1] / report["per_sample_ms"][0], 3)
        report["database"] = "PostgreSQL " + conn.info.parameter_status("server_version")
        conn.close()
    finally:
        if not (args.keep or args.reuse):
            with psycopg.connect(args.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_cohort.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
