"""A/B: the warm engine with cyvcf2 opened on the VCF's descriptor (this checkout: the index is parsed
once, by the tabix handle of the reads) and on its path (before: cyvcf2 loads the .tbi too), in one
process, interleaved with ``bcftools view -R`` on the panel's regions.

    .venv/bin/python bench/ab_index_open.py [--repeat 9]

Uses the WGS-scale babies and regions.bed that ``bench_screen.py`` / ``bench_startup.py`` leave in
bench/out. Prints JSON (medians, ratios to bcftools, load average before and after).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import statistics
import subprocess
import time
import warnings
from pathlib import Path

import cyvcf2

from screening import digest, panels, vcf, vcf_screen
from screening.domain import SampleInput, Sex
from screening.errors import VcfError

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


@contextlib.contextmanager
def path_open(path, samples=None, error=VcfError):
    """``vcf._open`` as it was: cyvcf2 given the path (it loads the index beside it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            handle = cyvcf2.VCF(path, samples=samples, lazy=True)
    except Exception as exc:
        raise error(path, f"cannot read the VCF header ({exc})") from exc
    try:
        yield handle
    finally:
        handle.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    folder, bed = OUT / "wgs", OUT / "regions.bed"
    panel = panels.load_panel(ROOT / "gene_panels" / "newborn-actionable")
    clinvar = vcf.read_clinvar(str(folder / "clinvar.vcf.gz"), panel.genome_build, panels.region_list(panel))
    opens = {"engine_descriptor_open": vcf._open, "engine_path_open": path_open}
    report: dict = {"repeat": args.repeat, "load_average_before": os.getloadavg()[0]}
    with (folder / "manifest.csv").open() as fh:
        babies = list(csv.DictReader(fh))
    for baby in babies:
        path = folder / baby["vcf"]
        sample = SampleInput(baby["sample_id"], baby["vcf_sample"] or baby["sample_id"], Sex(baby["sex"]))
        sha = digest.sha256_file(path)
        times: dict[str, list[float]] = {"bcftools": [], **{name: [] for name in opens}}
        outcomes = set()
        for i in range(args.repeat + 1):  # the first round warms the page cache
            for name in times:
                started = time.perf_counter()
                if name == "bcftools":
                    argv = ["bcftools", "view", "-R", str(bed), str(path)]
                    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
                else:
                    vcf._open = opens[name]
                    outcomes.add(vcf_screen.screen_vcf(panel, sample, path, clinvar, vcf_sha256=sha).outcome)
                if i:
                    times[name].append(time.perf_counter() - started)
        vcf._open = opens["engine_descriptor_open"]
        med = {name: round(statistics.median(t), 4) for name, t in times.items()}
        report[baby["sample_id"]] = {
            "median_s": med,
            "ratio_descriptor_open": round(med["engine_descriptor_open"] / med["bcftools"], 2),
            "ratio_path_open": round(med["engine_path_open"] / med["bcftools"], 2),
            "same_outcome_both_ways": len(outcomes) == 1,
        }
    report["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
