"""Benchmark: the per-sample database cost of the cohort allele frequency at 10⁴, 10⁵ and 10⁶ babies.

    .venv/bin/python bench/bench_cohort.py [--sizes 10000,100000,1000000] [--samples 100]

Real PostgreSQL: a fresh database on ``--admin-url`` (default the local server), dropped at the end
unless ``--keep``. The cohort grows in stages; at each size it is bulk-loaded with COPY (batches of
96, one screened sample and run per baby, 10 candidates a baby: 8 drawn from 20,000 rare alleles,
1 from 50 recurrent ones with Zipf weights, the commonest near 10 % (ClinVar assertions a cohort
shows to be common), and a private allele in half of the babies; 2 % homozygous), triggers and
foreign-key checks off for the load only (``session_replication_role = replica``). The counts are then
rebuilt from the stored runs with ``cohort.rebuild`` (the ``screening cohort check --repair`` code)
and checked with ``cohort.check``.

Then ``--samples`` new babies are submitted as one batch (``batches.insert_batch``: the submission
freezes the cohort) and each goes through the worker's database steps, timed separately, on one
connection: claim (lease), read the frozen cohort (uncached: the worker caches it per batch), write
the result (run, 10 candidates, count updates, state, batch counter: one transaction, committed).
``per_sample_ms`` is the median of the three together. Two commits per sample (claim, write) each wait
for the WAL flush: the same write rolled back, and a one-row update committed, are timed alongside.
For contrast, the previous design's per-sample read (every stored run of the panel aggregated) is
timed once per size up to ``--legacy-max``.
Writes bench/out/bench_cohort.json (and prints it).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import secrets
import statistics
import time
from pathlib import Path

import numpy as np
import polars as pl
import psycopg

from screening import panels
from screening.config import load_settings
from screening.db import batches, cohort, connection, jobs, migrate, results
from screening.db import panels as db_panels
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


def measure(settings, pv_id: int, rng, p: Pools, samples: int, legacy: bool) -> dict:
    prov = Provenance("bench", "1.0", "0" * 64, "GRCh38", None, None, None, "0" * 64, "NB", "XX", {}, "bench")
    new = tuple(
        batches.NewSample(f"M{i}", "/data/x.vcf.gz", "NB", "0" * 64, "female") for i in range(samples)
    )
    nb = batches.NewBatch(f"measure-{secrets.token_hex(4)}", pv_id, "m.csv", "1" * 64, new)
    conn = connection.connect(settings.database_url)
    started = time.perf_counter()
    with connection.transaction(conn, settings.actor):
        batch_pk, ids = batches.insert_batch(conn, nb, settings.actor)
    submit_s = time.perf_counter() - started
    claim_ms, read_ms, write_ms, total_ms = [], [], [], []
    uncommitted_ms, floor_ms, commit_ms = [], [], []
    frozen_rows = babies = 0
    for i, pk in enumerate(ids):
        result = SampleResult(
            f"M{i}",
            Outcome.NO_CONDITION_SUSPECTED,
            Karyotype.XX,
            (),
            (),
            (),
            candidates_for(rng, p, 10**9 + i),
            prov,
        )
        t0 = time.perf_counter()
        with connection.transaction(conn, settings.actor):
            jobs.fail_exhausted(conn, 3, pk)
            claim = jobs.claim(conn, pk, 120, 3)
        t1 = time.perf_counter()
        with connection.transaction(conn, settings.actor):
            frozen = cohort.frozen(conn, batch_pk)
        t2 = time.perf_counter()
        meta = results.RunMeta(pk, pv_id, frozen.babies, 0.1)
        with connection.transaction(conn, settings.actor):
            jobs.finish(conn, claim, "screened", None)
            results.write_result(conn, result, meta)
        t3 = time.perf_counter()
        with conn.transaction(force_rollback=True):  # the same write, not committed (no WAL flush)
            t4 = time.perf_counter()
            jobs.finish(conn, claim, "screened", None)
            results.write_result(conn, result, meta)
            uncommitted_ms.append(1000 * (time.perf_counter() - t4))
        t5 = time.perf_counter()
        conn.execute(query("set_actor"), {"actor": settings.actor})  # autocommit: a commit-less round trip
        floor_ms.append(1000 * (time.perf_counter() - t5))
        t5 = time.perf_counter()
        with connection.transaction(conn, settings.actor):
            conn.execute(
                "UPDATE batch SET samples_pending = samples_pending WHERE id = %(b)s", {"b": batch_pk}
            )
        commit_ms.append(1000 * (time.perf_counter() - t5))
        claim_ms.append(1000 * (t1 - t0))
        read_ms.append(1000 * (t2 - t1))
        write_ms.append(1000 * (t3 - t2))
        total_ms.append(1000 * (t3 - t0))
        frozen_rows, babies = frozen.frame.height, frozen.babies
    out = {
        "cohort_babies_frozen": babies,
        "frozen_alleles": frozen_rows,
        "submit_batch_s": round(submit_s, 4),
        "claim_ms_median": round(statistics.median(claim_ms), 3),
        "read_ms_median": round(statistics.median(read_ms), 3),
        "read_ms_p90": round(np.percentile(read_ms, 90), 3),
        "write_ms_median": round(statistics.median(write_ms), 3),
        "write_ms_p90": round(np.percentile(write_ms, 90), 3),
        "write_uncommitted_ms_median": round(statistics.median(uncommitted_ms), 3),
        "round_trip_ms_median": round(statistics.median(floor_ms), 3),
        "one_row_commit_ms_median": round(statistics.median(commit_ms), 3),
        "per_sample_ms_median": round(statistics.median(total_ms), 3),
        "per_sample_ms_p90": round(np.percentile(total_ms, 90), 3),
    }
    if legacy:  # the previous design: every stored run of the panel aggregated, for one sample
        t0 = time.perf_counter()
        with conn.transaction(force_rollback=True):
            conn.execute("DELETE FROM batch_cohort_allele WHERE batch_id = %(b)s", {"b": batch_pk})
            conn.execute("DELETE FROM batch_cohort WHERE batch_id = %(b)s", {"b": batch_pk})
            cohort.frozen(conn, batch_pk)
        out["previous_design_read_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    conn.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--legacy-max", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    name = f"bench_cohort_{secrets.token_hex(4)}"
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    settings = dataclasses.replace(load_settings(), database_url=url, actor="bench")
    report: dict = {"babies": [], "per_sample_ms": [], "stages": [], "samples_per_size": args.samples}
    try:
        migrate.upgrade(url)
        panel = panels.load_panel(DEFAULT_PANEL)
        version = demo_panel(panel, "bench" + secrets.token_hex(2))
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            row, _ = db_panels.publish(conn, version, None, settings.actor)
        rng = np.random.default_rng(args.seed)
        p = pools(rng)
        loaded = 0
        for size in (int(x) for x in args.sizes.split(",")):
            conn = connection.connect(url)
            t0 = time.perf_counter()
            load(conn, row.id, rng, p, size - loaded)
            load_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            with connection.transaction(conn, settings.actor):
                cohort.rebuild(conn, version.panel_id)
            rebuild_s = time.perf_counter() - t0
            conn.execute("ANALYZE")
            t0 = time.perf_counter()
            with connection.transaction(conn, settings.actor):
                check = cohort.check(conn, version.panel_id)
            check_s = time.perf_counter() - t0
            alleles = conn.execute("SELECT count(*) AS n FROM cohort_allele").fetchone()["n"]
            candidates = conn.execute("SELECT count(*) AS n FROM candidate").fetchone()["n"]
            conn.close()
            loaded = size
            m = measure(settings, row.id, rng, p, args.samples, size <= args.legacy_max)
            loaded += args.samples
            stage = {
                "babies": size,
                "candidates": candidates,
                "distinct_alleles": alleles,
                "load_s": round(load_s, 1),
                "rebuild_s": round(rebuild_s, 1),
                "check_s": round(check_s, 1),
                "check_matches": check.matches,
                **m,
            }
            print(json.dumps(stage), flush=True)
            report["stages"].append(stage)
            report["babies"].append(size)
            report["per_sample_ms"].append(m["per_sample_ms_median"])
        first, last = report["per_sample_ms"][0], report["per_sample_ms"][-1]
        report["ratio_last_to_first"] = round(last / first, 3)
        report["database"] = "PostgreSQL " + psycopg.connect(url).info.parameter_status("server_version")
    finally:
        if not args.keep:
            with psycopg.connect(args.admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_cohort.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
