"""The cohort's allele counts against a real PostgreSQL: kept in the transaction that writes a run, a
re-screen replaces the baby's contribution, a batch reads the cohort frozen at its submission (never
itself), the counts rebuild from the stored runs (``screening cohort check``), and migration 0006
populates them for an existing database. One test takes two batches through real workers."""

from __future__ import annotations

import json
import secrets

import pytest
from click.testing import CliRunner
from conftest import make_settings, publish, query_all, query_one

from screening import i18n, panel_content, worker_steps
from screening.cli import main
from screening.db import batches, cohort, connection, migrate, results
from screening.db import panels as db_panels
from screening.db.connection import Database
from screening.domain import (
    GRCH38,
    N_,
    CandidateRole,
    CandidateVariant,
    Karyotype,
    Moi,
    Outcome,
    PanelGene,
    PanelVersion,
    Provenance,
    Reason,
    Route,
    RuleSettings,
    SampleResult,
    Version,
    Zygosity,
)
from screening.errors import VcfError

pytestmark = [pytest.mark.integration]

GENE = PanelGene("HGNC:1884", "CFTR", Moi.BIALLELIC, "Cystic fibrosis", True, "7", 117465784, 117715971)
V1, V2, V3 = 117500000, 117500100, 117500200


@pytest.fixture
def settings(tmp_path, db_url):
    return make_settings(tmp_path / "home", db_url)


def _publish(settings, panel_id: str, version: str = "1.0") -> int:
    p = PanelVersion(panel_id, "Cohort test", Version.parse(version), GRCH38, RuleSettings(), (GENE,))
    p = panel_content.sealed(p)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row, _ = db_panels.publish(conn, p, None, settings.actor)
    return row.id


def _batch(settings, pv_id: int, n: int, name: str | None = None) -> tuple[int, list[int]]:
    samples = tuple(
        batches.NewSample(f"S{i:04d}", f"/data/S{i:04d}.vcf.gz", f"S{i:04d}", "0" * 64, "female")
        for i in range(n)
    )
    new = batches.NewBatch(
        name or f"b-{secrets.token_hex(4)}", pv_id, "m.csv", secrets.token_hex(32), samples
    )
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        return batches.insert_batch(conn, new, settings.actor)


def _candidate(pos: int, zygosity: str = "het", role: str = "carrier") -> CandidateVariant:
    return CandidateVariant(
        "HGNC:1884", "CFTR", "7", pos, "A", "G", Zygosity(zygosity), (Route.CLINVAR,), CandidateRole(role),
        "1/1" if zygosity == "hom" else "0/1", 60, 30, 15, 15, 0.5, False, None, "PASS",
    )  # fmt: skip


def _result(*candidates: CandidateVariant) -> SampleResult:
    prov = Provenance("p", "1.0", "a" * 64, "GRCh38", None, None, None, "0" * 64, "S", "XX", {}, "test")
    return SampleResult("S", Outcome.NO_CONDITION_SUSPECTED, Karyotype.XX, (), (), (), candidates, prov)


def _write(settings, sample_pk: int, pv_id: int, *candidates: CandidateVariant) -> int:
    meta = results.RunMeta(sample_pk, pv_id, 0, 0.01)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        return results.write_result(conn, _result(*candidates), meta)


def _counts(db_url: str, panel_id: str) -> dict[int, int]:
    rows = query_all(
        db_url,
        "SELECT pos, alt_alleles FROM cohort_allele WHERE panel_id = %(p)s AND alt_alleles > 0",
        {"p": panel_id},
    )
    return dict(rows)


def _babies(db_url: str, panel_id: str) -> int:
    return query_one(db_url, "SELECT babies FROM cohort_panel WHERE panel_id = %(p)s", {"p": panel_id})[0]


def _check(settings, panel_id: str) -> cohort.Check:
    with connection.session(settings) as conn:
        return cohort.check(conn, panel_id)


def _cli(settings, *args: str):
    return CliRunner().invoke(main, ["cohort", *args], env=settings.as_environment())


def test_counts_follow_each_write_and_a_rescreen_replaces_the_babys_contribution(settings, db_url):
    panel_id = f"cohort-{secrets.token_hex(3)}"
    pv1 = _publish(settings, panel_id)
    _, (b1, b2, b3) = _batch(settings, pv1, 3)
    _write(settings, b1, pv1, _candidate(V1), _candidate(V2, "hom"))
    _write(settings, b2, pv1, _candidate(V1), _candidate(V3, role="failed_quality"))
    _write(settings, b3, pv1, _candidate(V1, "hom"), _candidate(V1, "hom"))  # a variant counts once per baby
    assert _counts(db_url, panel_id) == {V1: 4, V2: 2}
    assert _babies(db_url, panel_id) == 3

    _write(settings, b1, pv1, _candidate(V1, "hom"))  # the same sample screened again: replaced
    assert _counts(db_url, panel_id) == {V1: 5}
    pv2 = _publish(settings, panel_id, "1.1")  # a new version of the panel: the latest run counts
    _write(settings, b2, pv2, _candidate(V3))
    assert _counts(db_url, panel_id) == {V1: 4, V3: 1}
    assert _babies(db_url, panel_id) == 3
    assert _check(settings, panel_id).matches

    res = _cli(settings, "check", "--panel", panel_id, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["matches"] is True

    query_one(
        db_url,
        "UPDATE cohort_allele SET alt_alleles = alt_alleles + 1 WHERE panel_id = %(p)s AND pos = %(v)s "
        "RETURNING 1",
        {"p": panel_id, "v": V1},
    )
    res = _cli(settings, "check", "--panel", panel_id)
    assert res.exit_code == 1, res.output
    assert f"7:{V1} A>G: counted 5, rebuilt 4" in res.output
    res = _cli(settings, "check", "--panel", panel_id, "--repair")
    assert res.exit_code == 0, res.output
    assert "repaired" in res.output
    assert _counts(db_url, panel_id) == {V1: 4, V3: 1}
    assert _check(settings, panel_id).matches


def test_a_batch_reads_the_cohort_frozen_at_its_submission_never_itself(settings, db_url):
    panel_id = f"cohort-{secrets.token_hex(3)}"
    pv = _publish(settings, panel_id)
    _, earlier = _batch(settings, pv, 30)
    for i, pk in enumerate(earlier):
        _write(settings, pk, pv, _candidate(V1), *([_candidate(V2)] if i == 0 else []))
    batch_pk, own = _batch(settings, pv, 8)

    def read() -> tuple[list[tuple], int]:
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            frame, babies = cohort.frequencies(conn, batch_pk, settings.cohort_min_babies)
        return sorted(frame.rows()), babies

    before = read()
    assert before == ([("7", V1, "A", "G", 0.5), ("7", V2, "A", "G", 1 / 60)], 30)
    for pk in reversed(own):  # the batch's own babies are screened (any order), each carrying V1 and V3
        _write(settings, pk, pv, _candidate(V1, "hom"), _candidate(V3, "hom"))
        assert read() == before
    _write(settings, own[0], pv, _candidate(V3, "hom"))  # and re-screened: still not in its own cohort
    assert read() == before
    assert _babies(db_url, panel_id) == 38
    assert _counts(db_url, panel_id) == {V1: 30 + 2 * 7, V2: 1, V3: 16}

    later, _ = _batch(settings, pv, 1)  # a batch submitted now reads the cohort with them
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        frame, babies = cohort.frequencies(conn, later, settings.cohort_min_babies)
    assert babies == 38
    assert sorted(frame.rows()) == [
        ("7", V1, "A", "G", 44 / 76),
        ("7", V2, "A", "G", 1 / 76),
        ("7", V3, "A", "G", 16 / 76),
    ]

    small, _ = _batch(settings, _publish(settings, f"cohort-{secrets.token_hex(3)}"), 1)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        assert cohort.frequencies(conn, small, settings.cohort_min_babies) == (None, 0)


def test_the_workers_database_steps_fence_a_lost_lease_fail_a_spent_sample_and_finalise_with_the_last(
    settings, db_url
):
    """The worker's claim (one statement, its own transaction) and finish (one statement: the result, the
    count-down and, after the batch's last sample, its finalisation; migration 0026's function)."""
    panel_id = f"cohort-{secrets.token_hex(3)}"
    pv = _publish(settings, panel_id)
    batch_pk, (a, b, spent) = _batch(settings, pv, 3)
    db = Database(db_url)
    first, none = worker_steps._claim(db, settings, a)
    assert first is not None
    assert none == []
    assert worker_steps._claim(db, settings, a) == (None, [])  # held by a live lease: not claimed twice
    sql = "SELECT actor, to_state FROM event WHERE entity = 'sample' AND entity_id = %(a)s ORDER BY id"
    events = query_all(db_url, sql, {"a": a})
    assert events == [(settings.actor, "queued"), (settings.actor, "running")]
    assert query_one(db_url, "SELECT current_setting('synchronous_commit')")[0] == "on"

    # the lease runs out and another worker claims the sample: the first writer's result is dropped
    expire = "UPDATE sample SET lease_expires_at = now() - interval '1 s' WHERE id = %(s)s RETURNING id"
    query_one(db_url, expire, {"s": a})
    second, _ = worker_steps._claim(db, settings, a)
    assert second is not None
    assert second.token != first.token

    def write(claim, *candidates):
        return _result(*candidates), results.RunMeta(claim.sample.id, pv, 0, 0.01)

    lost = worker_steps._finish(db, settings, first, "screened", None, write(first, _candidate(V1)))
    assert lost.state is None
    assert query_one(db_url, "SELECT count(*) FROM screening_run WHERE sample_id = %(a)s", {"a": a})[0] == 0
    counted = "SELECT count(*) FROM cohort_member WHERE panel_id = %(p)s"
    assert query_one(db_url, counted, {"p": panel_id})[0] == 0
    done = worker_steps._finish(db, settings, second, "screened", None, write(second, _candidate(V2)))
    assert done == worker_steps.TaskResult("screened")
    assert _counts(db_url, panel_id) == {V2: 1}
    assert query_all(db_url, sql, {"a": a})[-1] == (settings.actor, "screened")  # the worker, as who
    assert query_one(db_url, "SELECT samples_pending FROM batch WHERE id = %(b)s", {"b": batch_pk})[0] == 2

    # a sample whose last allowed attempt died with its lease is failed by the claim and counted down
    query_one(db_url, "UPDATE sample SET state = 'running', attempts = %(n)s WHERE id = %(s)s RETURNING id",
              {"n": settings.max_attempts, "s": spent})  # fmt: skip
    query_one(db_url, expire, {"s": spent})
    assert worker_steps._claim(db, settings, spent) == (None, [batch_pk])
    assert query_one(db_url, "SELECT state FROM sample WHERE id = %(s)s", {"s": spent})[0] == "failed"

    # the batch's last pending sample finalises it in its finish
    last, _ = worker_steps._claim(db, settings, b)
    assert query_one(
        db_url, "SELECT state, samples_pending FROM batch WHERE id = %(b)s", {"b": batch_pk}
    ) == ("running", 1)
    unreadable = VcfError("/data/b.vcf.gz", Reason(N_("file not found"))).reason
    assert worker_steps._finish(db, settings, last, "held", unreadable) == worker_steps.TaskResult("held")
    state, pending, finalised_at = query_one(
        db_url, "SELECT state, samples_pending, finalised_at FROM batch WHERE id = %(b)s", {"b": batch_pk}
    )
    assert (state, pending) == ("finalised", 0)
    assert finalised_at is not None
    # the reasons kept their templates (the worker's and the claim's own): the pages translate them
    with connection.session(settings) as conn:
        reasons = {s.sample.id: s.sample.reason for s in batches.list_samples(conn, batch_pk)}
    assert reasons[b] == "/data/b.vcf.gz: file not found"
    assert reasons[spent] == f"gave up after {settings.max_attempts} attempts: the worker was lost each time"
    for reason in (reasons[b], reasons[spent]):
        assert isinstance(reason, Reason)
        assert i18n.engine_text(reason, "da") == reason.render(i18n.translations("da").gettext)
        assert i18n.engine_text(reason, "da") != str(reason)  # Danish, not the English text
    assert "forsøg" in i18n.engine_text(reasons[spent], "da")
    db.close()
    assert _check(settings, panel_id).matches


def test_migration_populates_the_counts_and_freezes_older_batches_from_their_runs(settings, db_url, tmp_path):
    """A database at revision 0005 with stored runs: 0006 builds the counts the runs imply, and a batch
    submitted before it reads the cohort of the runs screened before its submission."""
    from test_migrations import _fresh_database

    with _fresh_database(tmp_path) as url:
        s = make_settings(tmp_path / "home2", url)
        migrate.upgrade(url)
        panel_id = "migrated"
        pv = _publish(s, panel_id)
        first, babies = _batch(s, pv, 25)
        for i, pk in enumerate(babies):
            _write(s, pk, pv, _candidate(V1), *([_candidate(V2, "hom")] if i < 5 else []))
        pending, (late,) = _batch(s, pv, 1)
        _write(s, late, pv, _candidate(V3, "hom"))
        migrate.downgrade(url, "0005")  # as if the runs had been stored before 0006
        migrate.upgrade(url)
        assert _counts(url, panel_id) == {V1: 25, V2: 10, V3: 2}
        assert _babies(url, panel_id) == 26
        assert _check(s, panel_id).matches
        with connection.session(s) as conn, connection.transaction(conn, s.actor):
            frozen = cohort.frozen(conn, pending)
            assert cohort.frozen(conn, first).babies == 0
        assert (frozen.method, frozen.babies) == ("stored_runs", 25)  # the 25 screened before submission
        assert sorted(frozen.frame.rows()) == [("7", V1, "A", "G", 0.5), ("7", V2, "A", "G", 0.2)]
        kinds = query_all(url, "SELECT kind, count(*) FROM turnaround_event GROUP BY kind ORDER BY kind")
        assert kinds == [("received", 26), ("screened", 26)]


@pytest.mark.slow
def test_two_batches_through_real_workers_keep_counts_that_rebuild(
    tmp_path, db_url, panel, sim, pipeline_factory
):
    settings = make_settings(tmp_path / "home", db_url, broker_url=None)
    label = publish(settings, panel, sim, f"co{secrets.token_hex(3)}")
    p = pipeline_factory(settings)
    p.start(2)
    first = p.submit(sim.manifest, label, f"first-{secrets.token_hex(3)}")
    p.wait(first)
    second = p.submit(sim.manifest, label, f"second-{secrets.token_hex(3)}")
    p.wait(second)
    rows = query_all(
        db_url,
        "SELECT b.lab_batch_id, array_agg(DISTINCT r.cohort_babies) FROM screening_run r "
        "JOIN sample s ON s.id = r.sample_id JOIN batch b ON b.id = s.batch_id "
        "WHERE b.lab_batch_id = ANY(%(b)s) GROUP BY 1",
        {"b": [first, second]},
    )
    assert dict(rows) == {first: [0], second: [24]}
    res = p.cli("cohort", "check", "--panel", label.split("@")[0], "--format", "json")
    doc = json.loads(res.stdout)[0]
    assert doc["matches"]
    assert doc["babies_counted"] == 48
