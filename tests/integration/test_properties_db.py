"""Property: a generated manifest submitted to a real database either creates its whole batch (every
row a sample, counters right) or raises ManifestError and writes nothing — never a traceback, never
a partial write. Its own database, so the batches it creates never meet other tests' workers."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest
from conftest import LOCAL_PG, _reachable, make_settings, publish
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import batches
from screening.db import migrate
from screening.errors import ManifestError

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CASES = {"submitted": 0, "refused": 0}
FIELDS = ["NB0001", "NB0002", "good.vcf.gz", "female", "male", "NB0001_DNA", "NB0002_DNA", "2", "98.5"]
NASTY = ["\x00", "\n", '"', ",", "inf", "٣", "99999999999", "=1+1", "../x", "", "x" * 5000]


@pytest.fixture(scope="module")
def own_db(tmp_path_factory):
    if not _reachable(LOCAL_PG):
        pytest.skip("needs the PostgreSQL at 127.0.0.1:5432 for a database of its own")
    name = f"screening_prop_{secrets.token_hex(4)}"
    with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = LOCAL_PG.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url)
    yield url
    with psycopg.connect(LOCAL_PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def corpus(own_db, sim, panel, tmp_path_factory):
    root = tmp_path_factory.mktemp("propdb")
    for n in ("NB0001", "NB0002"):
        good = sim.out_dir / "babies" / f"{n}.vcf.gz"
        shutil.copy(good, root / f"{n}.vcf.gz")
        shutil.copy(f"{good}.tbi", root / f"{n}.vcf.gz.tbi")
    shutil.copy(root / "NB0001.vcf.gz", root / "good.vcf.gz")
    shutil.copy(root / "NB0001.vcf.gz.tbi", root / "good.vcf.gz.tbi")
    settings_ = make_settings(root / "home", own_db, data_root=root)
    return root, settings_, publish(settings_, panel, sim, "propdb")


def _counts(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM sample)").fetchone()


cells = st.one_of(st.sampled_from(FIELDS), st.sampled_from(NASTY), st.text(max_size=6))
rows = st.lists(st.lists(cells, min_size=2, max_size=5), min_size=0, max_size=3)
headers = st.one_of(
    st.just(["sample_id", "vcf", "sex", "vcf_sample"]),
    st.lists(st.sampled_from(["sample_id", "vcf", "sex", "vcf_sample", "smn1_copies", "x"]), max_size=5),
)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(header=headers, body=rows, good=st.booleans())
def test_submission_is_all_or_nothing(header, body, good, corpus, own_db):
    root, settings_, label = corpus
    if good:  # keep some submissions valid so both branches are exercised
        body = [["NB0001", "NB0001.vcf.gz", "female", "NB0001_DNA"], *body[:1]]
        header = ["sample_id", "vcf", "sex", "vcf_sample"]
    lines = [",".join(header)] + [",".join(r) for r in body]
    with tempfile.NamedTemporaryFile("wb", suffix=".csv", dir=root, delete=False) as out:
        out.write("\n".join(lines).encode("utf-8", "surrogatepass"))
    before = _counts(own_db)
    queued: list[int] = []
    try:
        sub = batches.submit(settings_, Path(out.name), label, queued.extend, f"p-{secrets.token_hex(6)}")
    except ManifestError:
        CASES["refused"] += 1
        assert _counts(own_db) == before  # nothing written
        return
    CASES["submitted"] += 1
    after = _counts(own_db)
    assert after == (before[0] + 1, before[1] + len(sub.sample_ids))
    assert sorted(queued) == sorted(sub.sample_ids)


def test_zz_both_branches_ran():
    print(f"\nsubmission property cases: {CASES}")
    if sum(CASES.values()):
        assert CASES["submitted"], CASES
        assert CASES["refused"], CASES
