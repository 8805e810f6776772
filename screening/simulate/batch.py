"""Synthetic babies with a truth table: ``simulate_batch`` writes a screenable batch.

Files written into ``out_dir``::

    babies/<sample_id>.vcf.gz (+ .tbi)   one single-sample GRCh38 VCF per baby (VEP CSQ, gnomAD AFs)
    clinvar.vcf.gz (+ .tbi)              synthetic ClinVar snapshot in NCBI's layout, panel genes only
    manifest.csv                         sample_id,vcf,sex,vcf_sample,pct_autosomal_15x,q30_gb,
                                         contamination_pct,smn1_copies (paths relative to out_dir)
    truth.json                           per baby: scenario, expected outcome, findings, carriers ...

Every baby gets a scenario from ``scenarios.SCENARIOS`` in turn. The same panel, ``n_babies``,
``seed`` and ``scale`` give byte-identical files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from screening.domain import CONTIG_LENGTHS, PanelVersion, SampleQc, Sex
from screening.errors import Problem, ValidationError
from screening.simulate.background import CALLERS, HAPLOID_CALLERS, BackgroundSpec, background_frames
from screening.simulate.plan import BabyTruth, Planter, ScenarioPlan
from screening.simulate.scenarios import SCENARIOS
from screening.simulate.vcf_files import baby_header, write_clinvar, write_records

Scale = Literal["panel", "wgs"]
SCALES = ("panel", "wgs")
MANIFEST_COLUMNS = (
    "sample_id",
    "vcf",
    "sex",
    "vcf_sample",
    "pct_autosomal_15x",
    "q30_gb",
    "contamination_pct",
    "smn1_copies",
)
UNKNOWN_SEX_SCENARIO = "biallelic_carrier"  # recorded sex "unknown" (karyotype still inferred)
_FIRST_RELEASE = dt.date(2025, 1, 5)  # a Sunday; ClinVar's fileDate moves weekly with the seed
# chrY haplogroups of the simulated men: (name, share, range of chrY calls over the male-specific
# region). The GRCh38 chrY is mostly one R1b man's, so R1b men differ from it at few sites.
HAPLOGROUPS = (
    ("R1b", 0.45, (150, 450)),
    ("R1a", 0.15, (500, 1_200)),
    ("I", 0.2, (700, 1_600)),
    ("E1b", 0.1, (1_500, 3_000)),
    ("O", 0.1, (1_500, 3_000)),
)
MAX_FEMALE_Y_ARTEFACTS = 100  # heterozygous chrY calls in a female genome (0 to this)
MAX_MALE_Y_ARTEFACTS = 10  # from a diploid caller in a male genome


@dataclass(frozen=True)
class SimulatedBatch:
    out_dir: Path
    manifest: Path
    clinvar_vcf: Path
    truth: Path
    baby_ids: tuple[str, ...]


@dataclass(frozen=True)
class SexChromosomes:
    """How a baby's caller writes it and what its chrY holds."""

    caller: str
    haplogroup: str | None  # None without a Y
    y_calls: int  # hemizygous-looking chrY calls
    y_artefacts: int  # heterozygous chrY calls (mismapping artefacts)


@dataclass(frozen=True)
class Baby:
    sample_id: str
    vcf_sample: str
    scenario: str
    plan: ScenarioPlan
    karyotype: str
    recorded_sex: Sex
    qc: SampleQc
    sex_chromosomes: SexChromosomes

    @property
    def vcf(self) -> str:
        return f"babies/{self.sample_id}.vcf.gz"


def simulate_batch(
    panel: PanelVersion, out_dir: Path, n_babies: int, seed: int = 1, scale: Scale = "panel"
) -> SimulatedBatch:
    """Write ``n_babies`` synthetic babies, a ClinVar snapshot, a manifest and the truth table."""
    _validate(panel, n_babies, seed, scale)
    out_dir = Path(out_dir)
    (out_dir / "babies").mkdir(parents=True, exist_ok=True)
    planter = Planter(panel, np.random.default_rng([seed, 1]))
    qc_rng = np.random.default_rng([seed, 2])
    babies = [_plan_baby(planter, qc_rng, i, np.random.default_rng([seed, 4, i])) for i in range(n_babies)]
    planter.add_decoys()
    reserved = planter.reserved()
    clinvar = write_clinvar(
        out_dir / "clinvar.vcf.gz", planter.clinvar, clinvar_date(seed), panel.genome_build, seed
    )
    for i, baby in enumerate(babies):
        sc = baby.sex_chromosomes
        spec = BackgroundSpec(
            build=panel.genome_build,
            karyotype=baby.karyotype,
            scale=scale,
            genes=panel.active_genes,
            padding_bp=panel.settings.padding_bp,
            reserved=reserved,
            style=baby.plan.chrom_style,
            caller=sc.caller,
            y_calls=sc.y_calls,
            y_artefacts=sc.y_artefacts,
            holes=baby.plan.holes,
        )
        write_baby_vcf(out_dir / baby.vcf, baby, spec, np.random.default_rng([seed, 3, i]))
    manifest = out_dir / "manifest.csv"
    manifest.write_text(manifest_text(babies))
    truth = out_dir / "truth.json"
    truth.write_text(truth_text(panel, seed, scale, babies))
    return SimulatedBatch(out_dir, manifest, clinvar, truth, tuple(b.sample_id for b in babies))


def _validate(panel: PanelVersion, n_babies: int, seed: int, scale: str) -> None:
    problems = []
    if n_babies < 1:
        problems.append(Problem("n_babies", f"must be at least 1, got {n_babies}"))
    if seed < 0:
        problems.append(Problem("seed", f"must be zero or positive, got {seed}"))
    if scale not in SCALES:
        problems.append(Problem("scale", f"must be one of {', '.join(SCALES)}, got {scale!r}"))
    if panel.genome_build not in CONTIG_LENGTHS:
        problems.append(Problem(panel.label, f"unknown genome build {panel.genome_build!r}"))
    if not panel.active_genes:
        problems.append(Problem(panel.label, "has no active genes"))
    if problems:
        raise ValidationError("simulate", problems)


def clinvar_date(seed: int) -> str:
    """ISO date (as NCBI writes ``##fileDate``), fixed by the seed, never today."""
    return (_FIRST_RELEASE + dt.timedelta(weeks=seed % 100)).isoformat()


def _sex_chromosomes(
    plan: ScenarioPlan, karyotype: str, index: int, rng: np.random.Generator
) -> SexChromosomes:
    """Caller in turn (each sex sees every caller), haplogroup and chrY counts drawn, unless fixed."""
    caller = plan.caller or CALLERS[(index // 2) % len(CALLERS)]
    names = [h[0] for h in HAPLOGROUPS]
    drawn = names[int(rng.choice(len(HAPLOGROUPS), p=[h[1] for h in HAPLOGROUPS]))]
    haplogroup = (plan.haplogroup or drawn) if "Y" in karyotype else None
    y_calls = 0
    if haplogroup is not None:
        lo, hi = {h[0]: h[2] for h in HAPLOGROUPS}[haplogroup]
        y_calls = int(rng.integers(lo, hi + 1))
    if "Y" not in karyotype:
        y_artefacts = int(rng.integers(0, MAX_FEMALE_Y_ARTEFACTS + 1))
    elif caller in HAPLOID_CALLERS:
        y_artefacts = 0  # sex-aware haploid calling on chrY writes no heterozygous genotype
    else:
        y_artefacts = int(rng.integers(0, MAX_MALE_Y_ARTEFACTS + 1))
    if plan.y_calls is not None and haplogroup is not None:
        y_calls = plan.y_calls
    if plan.y_artefacts is not None:
        y_artefacts = plan.y_artefacts
    return SexChromosomes(caller, haplogroup, y_calls, y_artefacts)


def _plan_baby(
    planter: Planter, qc_rng: np.random.Generator, index: int, sex_rng: np.random.Generator
) -> Baby:
    scenario, make = SCENARIOS[index % len(SCENARIOS)]
    plan = make(planter)
    karyotype = plan.karyotype or ("XX" if index % 2 == 0 else "XY")
    sex = plan.recorded_sex or (Sex.FEMALE if karyotype == "XX" else Sex.MALE)
    if scenario == UNKNOWN_SEX_SCENARIO:
        sex = Sex.UNKNOWN
    qc = SampleQc(
        pct_autosomal_15x=round(float(qc_rng.uniform(97, 99)), 2),
        q30_gb=round(float(qc_rng.uniform(90, 120)), 1),
        contamination_pct=round(float(qc_rng.uniform(0.1, 0.8)), 2),
    )
    if plan.contamination_pct is not None:
        qc = SampleQc(qc.pct_autosomal_15x, qc.q30_gb, plan.contamination_pct)
    sample_id = f"NB{index + 1:04d}"
    sex_chromosomes = _sex_chromosomes(plan, karyotype, index, sex_rng)
    return Baby(sample_id, f"{sample_id}_DNA", scenario, plan, karyotype, sex, qc, sex_chromosomes)


def write_baby_vcf(path: Path, baby: Baby, spec: BackgroundSpec, rng: np.random.Generator) -> Path:
    """One baby's VCF: background + planted calls, sorted, bgzipped and indexed."""
    source = f"newborn-screening simulate (scenario {baby.scenario})"
    header = baby_header(spec.build, spec.style, baby.vcf_sample, source, spec.caller)
    frames = background_frames(spec, rng)
    return write_records(path, header, frames, baby.plan.calls, spec.style, spec.caller)


def _number(value: float | int | None) -> str:
    return "" if value is None else str(value)


def manifest_text(babies: list[Baby]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for b in babies:
        qc = b.qc
        metrics = (qc.pct_autosomal_15x, qc.q30_gb, qc.contamination_pct, b.plan.smn1_copies)
        writer.writerow([b.sample_id, b.vcf, b.recorded_sex.value, b.vcf_sample, *map(_number, metrics)])
    return out.getvalue()


def _truth_entry(b: Baby) -> dict:
    t: BabyTruth = b.plan.truth
    return {
        "sample_id": b.sample_id,
        "vcf_sample": b.vcf_sample,
        "scenario": b.scenario,
        "expected_outcome": t.expected_outcome.value,
        "karyotype": b.karyotype,
        "recorded_sex": b.recorded_sex.value,
        "chrom_style": b.plan.chrom_style,
        "caller": b.sex_chromosomes.caller,
        "chry_haplogroup": b.sex_chromosomes.haplogroup,
        "chry_calls": b.sex_chromosomes.y_calls,
        "chry_het_artefacts": b.sex_chromosomes.y_artefacts,
        "smn1_copies": b.plan.smn1_copies,
        "findings": [
            {
                "hgnc_id": f.hgnc_id,
                "symbol": f.symbol,
                "pattern": f.pattern.value,
                "variants": list(f.variants),
            }
            for f in t.findings
        ],
        "carriers": list(t.carriers),
        "carrier_variants": list(t.carrier_variants),
        "failed_quality": list(t.failed_quality),
        "excluded": list(t.excluded),
        "not_qualifying": list(t.not_qualifying),
        "notes": t.notes,
    }


def truth_text(panel: PanelVersion, seed: int, scale: str, babies: list[Baby]) -> str:
    doc = {
        "panel": panel.label,
        "seed": seed,
        "scale": scale,
        "clinvar_file_date": clinvar_date(seed),
        "babies": [_truth_entry(b) for b in babies],
    }
    return json.dumps(doc, indent=2) + "\n"
