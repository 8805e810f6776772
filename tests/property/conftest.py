"""Property suite of VCF text mutations: hypothesis profiles, the simulated babies, the tally.

Profiles (``HYPOTHESIS_PROFILE``): ``ci`` (default: ``CI_EXAMPLES_PER_KIND`` examples per mutation
kind, derandomised so CI is repeatable) and ``full`` (``FULL_EXAMPLES_PER_KIND`` per kind: over 10,000
cases in all; kinds with few distinct inputs, such as an empty GT, exhaust them sooner, and hypothesis
counts a repeated input towards ``max_examples`` without running it, so the tally is the real count).
Shrinking is off in both: every case costs a re-index and a screen (0.3-0.5 s), and the failing
example is printed as drawn.

Each run prints, per mutation kind, how many cases ended in which verdict (and keeps them as JSON in
``$MUTATION_TALLY`` when set, rewritten after every case).
"""

from __future__ import annotations

import csv
import functools
import gzip
import json
import os
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from screening import panels, vcf, vcf_screen
from screening.domain import ClinVarSnapshot, Outcome, PanelVersion, SampleInput, SampleQc, SampleResult, Sex
from screening.simulate import simulate_batch
from screening.simulate.plan import normalised
from screening.simulate.scenarios import SCENARIO_NAMES

ROOT = Path(__file__).resolve().parents[2]
PANEL_DIR = ROOT / "tests" / "data" / "panels" / "tiny-grch38"
SEED = 5
CI_EXAMPLES_PER_KIND = 12
FULL_EXAMPLES_PER_KIND = 2000

_COMMON = {
    "deadline": None,
    "database": None,
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "suppress_health_check": (
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ),
    "print_blob": False,
}
settings.register_profile("vcf-mutations-ci", max_examples=CI_EXAMPLES_PER_KIND, derandomize=True, **_COMMON)
settings.register_profile("vcf-mutations-full", max_examples=FULL_EXAMPLES_PER_KIND, **_COMMON)
PROFILE = "full" if os.environ.get("HYPOTHESIS_PROFILE") == "full" else "ci"
# Applied to this suite's tests only (a decorator), not loaded for the whole session: other suites'
# hypothesis tests keep their own defaults.
MUTATION_SETTINGS = settings(settings.get_profile(f"vcf-mutations-{PROFILE}"))


def signature(result: SampleResult) -> tuple:
    """What a mutation must not change silently: the outcome and the findings, variant by variant."""
    findings = sorted(
        (f.hgnc_id, f.pattern.value, tuple(sorted(f"{v.chrom}:{v.pos}:{v.ref}>{v.alt}" for v in f.variants)))
        for f in result.findings
    )
    return result.outcome.value, tuple(findings)


@dataclass(frozen=True)
class Baby:
    """One finding-bearing simulated baby: its VCF as text lines and what the engine made of it."""

    sample_id: str
    scenario: str
    sample: SampleInput
    header: tuple[str, ...]
    records: tuple[str, ...]  # record lines, no newline
    finding_records: tuple[int, ...]  # indices into ``records`` of the truth's finding variants
    baseline: SampleResult

    def __repr__(self) -> str:  # hypothesis prints the drawn values: keep the report short
        return f"Baby({self.sample_id}, {self.scenario}, finding records {self.finding_records})"

    @property
    def file_name(self) -> str:
        return f"{self.sample_id}.vcf.gz"


@dataclass(frozen=True)
class Cohort:
    panel: PanelVersion
    clinvar: ClinVarSnapshot
    babies: tuple[Baby, ...]
    left_out: tuple[str, ...]  # truth-finding babies whose unmutated baseline is not condition_suspected

    def __repr__(self) -> str:
        return f"Cohort({self.panel.label}, babies {[b.sample_id for b in self.babies]})"


def _float(text: str) -> float | None:
    return float(text) if text else None


def _sample(row: dict) -> SampleInput:
    qc = SampleQc(_float(row["pct_autosomal_15x"]), _float(row["q30_gb"]), _float(row["contamination_pct"]))
    smn1 = int(row["smn1_copies"]) if row["smn1_copies"] else None
    return SampleInput(row["sample_id"], row["vcf_sample"], Sex(row["sex"]), qc, smn1)


def _canonical(chrom: str) -> str:
    c = chrom.removeprefix("chr")
    return "MT" if c == "M" else c


def _finding_records(records: list[str], keys: set[str]) -> tuple[int, ...]:
    found = []
    for i, line in enumerate(records):
        f = line.split("\t", 6)
        chrom, pos, ref, alts = _canonical(f[0]), int(f[1]), f[3], f[4].split(",")
        if any(str(normalised(chrom, pos, ref, a)) in keys for a in alts):
            found.append(i)
    return tuple(found)


@functools.cache
def cohort() -> Cohort:
    """The simulated batch (tiny panel, panel scale), built once per session: babies whose truth has
    findings with variants and whose unmutated file screens ``condition_suspected``.

    A cached function rather than a fixture argument: hypothesis (6.170) reported a fixture argument
    holding this much as a flaky strategy definition when a case failed."""
    panel = panels.load_panel(PANEL_DIR)
    with tempfile.TemporaryDirectory(prefix="mutations-") as tmp:
        batch = simulate_batch(panel, Path(tmp), len(SCENARIO_NAMES), seed=SEED)
        clinvar = vcf.read_clinvar(str(batch.clinvar_vcf), panel.genome_build, panels.region_list(panel))
        truth = {b["sample_id"]: b for b in json.loads(batch.truth.read_text())["babies"]}
        with batch.manifest.open() as fh:
            rows = list(csv.DictReader(fh))
        babies, left_out = [], []
        for row in rows:
            t = truth[row["sample_id"]]
            keys = {k for f in t["findings"] for k in f["variants"]}
            if not keys:
                continue
            path = batch.out_dir / row["vcf"]
            sample = _sample(row)
            baseline = vcf_screen.screen_vcf(panel, sample, path, clinvar)
            if baseline.outcome is not Outcome.CONDITION_SUSPECTED:
                left_out.append(f"{row['sample_id']} ({t['scenario']}): baseline {baseline.outcome.value}")
                continue
            with gzip.open(path, "rt") as fh:
                lines = fh.read().splitlines()
            header = tuple(line for line in lines if line.startswith("#"))
            records = [line for line in lines if not line.startswith("#")]
            babies.append(
                Baby(
                    row["sample_id"],
                    t["scenario"],
                    sample,
                    header,
                    tuple(records),
                    _finding_records(records, keys),
                    baseline,
                )
            )
    return Cohort(panel, clinvar, tuple(babies), tuple(left_out))


@pytest.fixture(scope="session")
def built_cohort() -> None:
    """Builds the cohort before the first case (so no case pays for it)."""
    cohort()


# ---------------------------------------------------------------- the tally

TALLY: dict[str, Counter] = defaultdict(Counter)


def count(kind: str, verdict: str) -> None:
    """Tally one case (and rewrite ``$MUTATION_TALLY``, so a long run can be read while it goes)."""
    TALLY[kind][verdict] += 1
    _dump()


def _dump() -> None:
    out = os.environ.get("MUTATION_TALLY")
    if out:
        Path(out).write_text(json.dumps({k: dict(v) for k, v in sorted(TALLY.items())}, indent=2) + "\n")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TALLY:
        return
    tr = terminalreporter
    tr.section("VCF mutation cases by kind and verdict")
    total = 0
    for kind in sorted(TALLY):
        counts = TALLY[kind]
        total += sum(counts.values())
        tr.write_line(
            f"{kind:<28} {sum(counts.values()):6d}  "
            + ", ".join(f"{v} {n}" for v, n in sorted(counts.items()))
        )
    tr.write_line(f"{'total':<28} {total:6d}  (profile {PROFILE})")
    _dump()
