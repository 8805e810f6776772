"""Panel exchange between two independent deployments (two embedded homes, each its own PostgreSQL):
a published version exported as a bundle by one is imported by the other, byte-for-byte verified,
with the same panel sha256 and its origin recorded, and screens the same VCFs to identical results."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from screening import report, vcf_screen
from screening.config import load_settings
from screening.db import connection
from screening.db import panels as db_panels
from screening.domain import SampleInput, Sex

ROOT = Path(__file__).resolve().parents[2]
PANEL_DIR = ROOT / "gene_panels" / "newborn-actionable"
SCREENING = Path(sys.executable).parent / "screening"


class Home:
    """One deployment: its own SCREENING_HOME with the embedded PostgreSQL, no shared configuration."""

    def __init__(self, folder: Path, programme: str):
        self.folder = folder
        self.env = {
            k: v for k, v in os.environ.items() if k not in ("SCREENING_DATABASE_URL", "SCREENING_BROKER_URL")
        }
        self.env.update(SCREENING_HOME=str(folder), SCREENING_USER=f"curator-{programme}")
        self.env["SCREENING_PROGRAMME"] = programme

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(SCREENING), *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"screening {' '.join(args)}: {proc.stderr}")
        return proc

    def load(self, label: str):
        settings = load_settings(self.env)
        panel_id, version = db_panels.parse_label(label)
        with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
            row = db_panels.find_version(conn, panel_id, version)
            return row, db_panels.load_panel_version(conn, row.id), db_panels.load_clinvar(conn, row.id)

    def stop(self) -> None:
        connection.embedded_server(self.folder / "pgdata").cleanup()


@pytest.fixture
def homes(tmp_path):
    england, denmark = Home(tmp_path / "england", "england"), Home(tmp_path / "denmark", "denmark")
    try:
        yield england, denmark
    finally:
        england.stop()
        denmark.stop()


def _rewritten(src: Path, dst: Path, change) -> Path:
    """A copy of a bundle with its members passed through ``change(name, data) -> data | None``."""
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)
    dst.write_bytes(out.getvalue())
    return dst


def test_bundle_round_trip_between_two_deployments_screens_identically(homes, sim, tmp_path):
    england, denmark = homes
    england.cli("db", "upgrade")
    denmark.cli("db", "upgrade")
    england.cli("panel", "publish", str(PANEL_DIR), "--clinvar", str(sim.clinvar_vcf), "-m", "starter")
    label = "newborn-actionable@1.0"
    bundle = tmp_path / "newborn-actionable-1.0.zip"
    england.cli("panel", "export", label, "--bundle", str(bundle))
    again = tmp_path / "again.zip"
    england.cli("panel", "export", label, "--bundle", str(again))
    assert bundle.read_bytes() == again.read_bytes()  # the same version exports to the same bytes

    # altered, incomplete or padded bundles are refused naming what differs, and publish nothing
    def alter(name, data):
        return data.replace(b"Cystic fibrosis", b"Cystic fibrosiz") if name == "panel/genes.tsv" else data

    cases = {
        "panel/genes.tsv: sha256": _rewritten(bundle, tmp_path / "a.zip", alter),
        "clinvar.tsv listed in bundle.json but missing": _rewritten(
            bundle, tmp_path / "b.zip", lambda n, d: None if n == "clinvar.tsv" else d
        ),
        "bundle.json missing": _rewritten(
            bundle, tmp_path / "c.zip", lambda n, d: None if n == "bundle.json" else d
        ),
    }
    for expected, path in cases.items():
        proc = denmark.cli("panel", "import-bundle", str(path), check=False)
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr
    assert json.loads(denmark.cli("panel", "list", "--format", "json").stdout) == []

    denmark.cli("panel", "import-bundle", str(bundle))
    shown = json.loads(denmark.cli("panel", "show", label, "--format", "json").stdout)
    origin_row, origin_version, origin_clinvar = england.load(label)
    row, version, clinvar = denmark.load(label)
    assert row.sha256 == origin_row.sha256 == shown["sha256"]
    assert row.clinvar_sha256 == origin_row.clinvar_sha256
    assert row.origin["programme"] == "england"
    assert row.origin["exported_by"] == "curator-england"
    assert shown["origin"]["bundle_sha256"] == row.origin["bundle_sha256"]
    assert "imported from programme england" in denmark.cli("panel", "show", label).stdout
    assert clinvar.records.equals(origin_clinvar.records)
    # importing the same bundle again is a no-op
    assert (
        "already published with identical content"
        in denmark.cli("panel", "import-bundle", str(bundle)).stdout
    )

    with sim.manifest.open() as fh:
        babies = list(csv.DictReader(fh))
    assert len(babies) == 24
    for baby in babies:
        sample = SampleInput(baby["sample_id"], baby.get("vcf_sample") or baby["sample_id"], Sex(baby["sex"]))
        vcf_path = sim.manifest.parent / baby["vcf"]
        here = vcf_screen.screen_vcf(origin_version, sample, vcf_path, origin_clinvar)
        there = vcf_screen.screen_vcf(version, sample, vcf_path, clinvar)
        assert report.to_json(here) == report.to_json(there), baby["sample_id"]


def test_panelapp_style_export_reads_back_with_import_panelapp(homes, tmp_path):
    england, _ = homes
    england.cli("db", "upgrade")
    england.cli("panel", "publish", str(PANEL_DIR), "-m", "starter")
    out = tmp_path / "panelapp.json"
    england.cli("panel", "export", "newborn-actionable@1.0", "--panelapp", str(out))
    draft = tmp_path / "draft"
    england.cli(
        "panel",
        "import-panelapp",
        str(out),
        "--out",
        str(draft),
        "--panel-id",
        "reimported",
        "--version",
        "1.0",
    )
    from screening import panels

    original = panels.load_panel(PANEL_DIR)
    back = panels.load_panel(draft)
    key = lambda g: (g.hgnc_id, g.moi, g.chrom, g.start, g.end, g.active, g.lof_mechanism)  # noqa: E731
    assert sorted(map(key, back.genes)) == sorted(map(key, original.genes))
