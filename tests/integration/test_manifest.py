"""The bad-manifest corpus: each case rejected with its specific message, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, make_settings, publish, query_one

from screening import batches, panel_content
from screening.errors import ManifestError

pytestmark = pytest.mark.integration
HEADER = "sample_id,vcf,sex,vcf_sample"


def _never(ids):
    raise AssertionError(f"enqueued {ids} for an invalid manifest")


@pytest.fixture(scope="module")
def corpus(sim, panel, db_url, tmp_path_factory):
    """A data root with good and broken VCFs next to the manifests."""
    root = tmp_path_factory.mktemp("corpus")
    good = sim.out_dir / "babies" / "NB0001.vcf.gz"
    shutil.copy(good, root / "good.vcf.gz")
    shutil.copy(f"{good}.tbi", root / "good.vcf.gz.tbi")
    shutil.copy(good, root / "unindexed.vcf.gz")
    (root / "plain.vcf").write_text("##fileformat=VCFv4.2\n")
    outside = tmp_path_factory.mktemp("outside")
    shutil.copy(good, outside / "elsewhere.vcf.gz")
    shutil.copy(f"{good}.tbi", outside / "elsewhere.vcf.gz.tbi")
    settings = make_settings(root / "home", db_url)
    label = publish(settings, panel, sim, "manifest")
    return root, settings, label


CASES = {
    "missing_column": ("sample_id,vcf\nNB0001,good.vcf.gz\n", "required column 'sex' is missing"),
    "unknown_column": (f"{HEADER},contamination\nNB0001,good.vcf.gz,female,NB0001_DNA,1\n", "unknown column"),
    "duplicate_ids": (
        f"{HEADER}\nNB0001,good.vcf.gz,female,NB0001_DNA\nNB0001,good.vcf.gz,female,NB0001_DNA\n",
        "duplicate sample_id (first on line 2)",
    ),
    "bad_sex": (
        f"{HEADER}\nNB0001,good.vcf.gz,F,NB0001_DNA\n",
        "sex 'F' is not one of male, female, unknown",
    ),
    "vcf_missing": (f"{HEADER}\nNB0001,absent.vcf.gz,female,NB0001_DNA\n", "VCF 'absent.vcf.gz' not found"),
    "outside_root": (
        f"{HEADER}\nNB0001,../OUTSIDE/elsewhere.vcf.gz,female,NB0001_DNA\n",
        "resolves outside the data root",
    ),
    "not_indexed": (f"{HEADER}\nNB0001,unindexed.vcf.gz,female,NB0001_DNA\n", "index"),
    "not_bgzipped": (f"{HEADER}\nNB0001,plain.vcf,female,NB0001_DNA\n", "plain.vcf"),
    "sample_absent": (
        f"{HEADER}\nNB0001,good.vcf.gz,female,SOMEONE_ELSE\n",
        "'SOMEONE_ELSE' is not in the VCF",
    ),
    "bad_number": (
        "sample_id,vcf,sex,vcf_sample,q30_gb,smn1_copies\nNB0001,good.vcf.gz,female,NB0001_DNA,lots,-1\n",
        "q30_gb 'lots' is not a number",
    ),
    "empty": (f"{HEADER}\n", "the manifest has no samples"),
    # issue 10: ambiguities and inputs that used to reach the database or a traceback
    "two_sex_columns": (
        "sample_id,vcf,sex,sex,vcf_sample\nNB0001,good.vcf.gz,male,female,NB0001_DNA\n",
        "many.csv:1: column 'sex' is given 2 times",
    ),
    "same_vcf_column_twice": (
        f"{HEADER}\nNB0001,good.vcf.gz,female,NB0001_DNA\nNB0002,good.vcf.gz,female,NB0001_DNA\n",
        ":3 (sample NB0002): the same VCF and VCF column as line 2 under another sample_id",
    ),
    "nul_in_field": (
        f"{HEADER}\nNB0001,good.vcf.gz,fe\x00male,NB0001_DNA\n",
        ":2 (sample NB0001): sex contains",
    ),
    "nul_in_vcf_path": (f"{HEADER}\nNB0001,go\x00od.vcf.gz,female,NB0001_DNA\n", "vcf contains a control"),
    "newline_in_sample_id": (f'{HEADER}\n"NB\n0001",good.vcf.gz,female,NB0001_DNA\n', "U+000A"),
    "short_row": (f"{HEADER}\nNB0001,good.vcf.gz,female\n", ":2: 3 field(s) but the header has 4"),
    "long_row": (f"{HEADER}\nNB0001,good.vcf.gz,female,NB0001_DNA,x\n", ":2: 5 field(s)"),
    "huge_field": (f"{HEADER}\nNB0001,{'x' * 140_000},female,NB0001_DNA\n", ":2: not readable as CSV"),
    "big_field": (f"{HEADER}\nNB0001,{'x' * 5000},female,NB0001_DNA\n", "vcf has 5,000 characters"),
    "infinite_q30": (
        "sample_id,vcf,sex,vcf_sample,q30_gb\nNB0001,good.vcf.gz,female,NB0001_DNA,inf\n",
        "q30_gb 'inf' is not a number",
    ),
    "arabic_digits": (
        "sample_id,vcf,sex,vcf_sample,q30_gb\nNB0001,good.vcf.gz,female,NB0001_DNA,\u0661\u0660\n",
        "is not a number",
    ),
    "smn1_out_of_range": (
        "sample_id,vcf,sex,vcf_sample,smn1_copies\nNB0001,good.vcf.gz,female,NB0001_DNA,99999999999\n",
        "smn1_copies 99999999999 is outside 0..99",
    ),
    "formula_sample_id": (
        f"{HEADER}\n=cmd|' /C calc'!A0,good.vcf.gz,female,NB0001_DNA\n",
        "must be letters, digits",
    ),
}


def _written(url: str) -> tuple[int, int]:
    return query_one(url, "SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM sample)")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_manifest_rejected_with_its_message(case, corpus, db_url):
    root, settings, label = corpus
    text, message = CASES[case]
    text = text.replace("../OUTSIDE/", f"{_outside(root)}/")
    manifest = root / ("many.csv" if case == "two_sex_columns" else f"{case}.csv")
    manifest.write_text(text)
    before = _written(db_url)
    with pytest.raises(ManifestError) as info:
        batches.submit(settings, manifest, label, _never, f"bad-{case}")
    assert message in str(info.value)
    assert _written(db_url) == before


@pytest.mark.parametrize("batch_id", ["../../x", "<b>x</b>", "a b", "x\x00y", "-x", "é", "x" * 65])
def test_batch_ids_outside_the_plain_alphabet_are_refused(batch_id, corpus, db_url):
    root, settings, label = corpus
    manifest = root / "good-batch-id.csv"
    manifest.write_text(f"{HEADER}\nNB0001,good.vcf.gz,female,NB0001_DNA\n")
    before = _written(db_url)
    with pytest.raises(ManifestError, match="--batch-id"):
        batches.submit(settings, manifest, label, _never, batch_id)
    assert _written(db_url) == before


def _outside(root: Path) -> str:
    others = sorted(p for p in root.parent.iterdir() if p.name.startswith("outside"))
    return str(Path("..") / others[0].name)


def test_wrong_build_and_unpublished_panel(corpus, db_url, sim):
    root, settings, _ = corpus
    manifest = root / "wrong_build.csv"
    manifest.write_text(f"{HEADER}\nNB0001,good.vcf.gz,female,NB0001_DNA\n")
    before = _written(db_url)
    with pytest.raises(ManifestError, match="is not published"):
        batches.submit(settings, manifest, "newborn-actionable@9.9", _never, "bad-unpublished")
    grch37 = _grch37_panel(settings, sim)
    with pytest.raises(ManifestError, match="GRCh37"):
        batches.submit(settings, manifest, grch37, _never, "bad-build")
    assert _written(db_url) == before


def _grch37_panel(settings, sim) -> str:
    import dataclasses

    from screening import panels
    from screening.db import connection
    from screening.db import panels as db_panels

    panel = panels.load_panel(ROOT / "tests" / "data" / "panels" / "tiny-grch37")
    panel = dataclasses.replace(panel, panel_id="tiny37-manifest-test")
    panel = panel_content.sealed(panel)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        row, _ = db_panels.publish(conn, panel, None, settings.actor)
    return row.label


def test_every_problem_reported_at_once(corpus, db_url):
    root, settings, label = corpus
    manifest = root / "many.csv"
    manifest.write_text(
        f"{HEADER}\nNB0001,good.vcf.gz,female,NB0001_DNA\nNB0001,absent.vcf.gz,X,NB0001_DNA\n"
        "NB0003,unindexed.vcf.gz,male,NB0003_DNA\n"
    )
    with pytest.raises(ManifestError) as info:
        batches.submit(settings, manifest, label, _never, "bad-many")
    text = str(info.value)
    for message in ("duplicate sample_id", "sex 'X'", "absent.vcf.gz", "unindexed.vcf.gz"):
        assert message in text
    assert len(info.value.problems) >= 4
