"""Benchmark: screening one WGS-scale baby vs `bcftools view -R <same merged regions> <vcf>`.

    .venv/bin/python bench/bench_screen.py [--repeat 7] [--out bench/out]

Generates (once, cached in --out) a ~4.5 M-record GRCh38 VCF with `screening simulate --scale wgs`, writes
the starter panel's merged, padded regions as a BED file, then times side by side, alternating runs:
  * reference: `bcftools view -R regions.bed baby.vcf.gz > /dev/null` (a fresh process each run);
  * engine:    `vcf_screen.screen_vcf(...)` in a warm process (as a worker runs it: panel and ClinVar loaded
               once), which includes validation, the region read, karyotype inference and all rules.
               Timed twice: with the VCF's sha256 passed in (a worker has just verified it), and
               computing it too (as `screening screen` does, hashing in a thread while it reads).
Reports medians, the ratio, the peak RSS of the screening process, what the karyotype read costs inside
the screen (chrX windows + the whole male-specific chrY; the completeness gate counts records the region
read fetched anyway), and the karyotype from the bounded chrX windows next to the whole of chrX (the
exome fallback), to show the bounded sample agrees and what the fallback would cost.
Requires bcftools (Debian package) for the reference.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "gene_panels" / "newborn-actionable"


def main() -> None:
    args = _parse()
    if shutil.which("bcftools") is None:
        sys.exit("bcftools is required for the reference timing: apt-get install -y bcftools tabix")
    from screening import panels

    panel = panels.load_panel(PANEL)
    batch = _simulated(panel, args.out, args.babies)
    bed = args.out / "regions.bed"
    regions = panels.region_list(panel)
    bed.write_text("".join(f"{_style(c)}\t{s - 1}\t{e}\n" for c, s, e in regions))
    babies = _babies(batch)
    results = [_bench_one(panel, batch, baby, bed, args.repeat) for baby in babies]
    summary = {
        "panel": panel.label,
        "regions": len(regions),
        "region_bp": sum(e - s + 1 for _, s, e in regions),
        "babies": results,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(summary, indent=2))


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--babies", type=int, default=2, help="WGS babies to simulate (1 XX and 1 XY at least)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    return p.parse_args()


def _style(chrom: str) -> str:
    return "chrM" if chrom == "MT" else f"chr{chrom}"


def _simulated(panel, out: Path, n: int):
    """Simulate in a child process, so the peak memory reported is the screen's alone."""
    marker = out / "wgs" / "manifest.csv"
    if not marker.exists():
        t = time.perf_counter()
        cli = Path(sys.executable).with_name("screening")
        args = [
            "--panel",
            str(PANEL),
            "--out",
            str(out / "wgs"),
            "-n",
            str(n),
            "--seed",
            "7",
            "--scale",
            "wgs",
        ]
        subprocess.run([str(cli), "simulate", *args], check=True, stdout=subprocess.DEVNULL)
        print(f"simulated {n} WGS babies in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return out / "wgs"


def _babies(folder: Path) -> list[dict]:
    import csv

    with (folder / "manifest.csv").open() as fh:
        return list(csv.DictReader(fh))


def _bench_one(panel, folder: Path, baby: dict, bed: Path, repeat: int) -> dict:
    from screening import completeness, digest, inheritance, panels, vcf, vcf_screen
    from screening.domain import SampleInput, Sex

    path = folder / baby["vcf"]
    clinvar = vcf.read_clinvar(str(folder / "clinvar.vcf.gz"), panel.genome_build, panels.region_list(panel))
    sample = SampleInput(baby["sample_id"], baby.get("vcf_sample") or baby["sample_id"], Sex(baby["sex"]))
    records = _count_records(path)
    hash_times = []
    for _ in range(3):
        t = time.perf_counter()
        sha = digest.sha256_file(path)
        hash_times.append(time.perf_counter() - t)
    ref_times, eng_times, full_times, result = [], [], [], None
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(["bcftools", "view", "-R", str(bed), str(path)], stdout=subprocess.DEVNULL, check=True)
        ref_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        result = vcf_screen.screen_vcf(panel, sample, path, clinvar, vcf_sha256=sha)
        eng_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        hashed = vcf_screen.screen_vcf(panel, sample, path, clinvar)
        full_times.append(time.perf_counter() - t)
        assert hashed.provenance.vcf_sha256 == sha
    in_regions = int(
        subprocess.run(
            ["bcftools", "view", "-H", "-R", str(bed), str(path)], capture_output=True, check=True
        ).stdout.count(b"\n")
    )
    whole = _whole_chromosome_karyotype(path, sample, panel)
    build = panel.genome_build
    x_windows, y_whole = inheritance.karyotype_windows(build), inheritance.male_specific_y(build)
    bounded = vcf.read_sex_evidence(str(path), sample.vcf_sample, build, x_windows, y_whole)
    sex_times, tail_times = _in_screen_costs(path, sample, panel, repeat)
    _, read = vcf_screen._read(panel, sample, str(path), clinvar, sha, None)
    t = time.perf_counter()
    incomplete = completeness.problems(
        read.facts.region_counts, read.facts.indexed_contigs, panel.active_genes, panel.settings
    )
    gate_s = time.perf_counter() - t
    ref, eng = statistics.median(ref_times), statistics.median(eng_times)
    return {
        "sample": sample.sample_id,
        "vcf_records": records,
        "records_in_regions": in_regions,
        "bcftools_view_R_median_s": round(ref, 4),
        "engine_screen_median_s": round(eng, 4),
        "ratio": round(eng / ref, 2),
        "engine_screen_hashing_too_median_s": round(statistics.median(full_times), 4),
        "ratio_hashing_too": round(statistics.median(full_times) / ref, 2),
        "vcf_sha256_alone_median_s": round(statistics.median(hash_times), 4),
        "vcf_size_mb": round(path.stat().st_size / 1e6, 1),
        "outcome": result.outcome.value,
        "karyotype_bounded": result.karyotype.value,
        "bounded_x_het_fraction": round(bounded.x_het / max(bounded.x_calls, 1), 4),
        "bounded_x_calls": bounded.x_calls,
        "y_calls_whole_msy": bounded.y_calls,
        "y_hemizygous_looking": bounded.y_hemi,
        "karyotype_read_in_screen_median_s": round(statistics.median(sex_times), 4),
        "karyotype_read_share_of_screen": round(statistics.median(sex_times) / eng, 3),
        "completeness_tail_looks_median_s": round(statistics.median(tail_times), 4),
        "completeness_gate_s": round(gate_s, 5),
        "karyotype_and_completeness_share_of_screen": round(
            (statistics.median(sex_times) + statistics.median(tail_times) + gate_s) / eng, 3
        ),
        "completeness_problems": incomplete,
        **whole,
    }


def _in_screen_costs(path: Path, sample, panel, repeat: int) -> tuple[list[float], list[float]]:
    """What the karyotype read (chrX windows + the whole male-specific chrY) and the completeness
    tail looks add inside a screen, through the screen's own open index (as ``vcf.read_sample``)."""
    from screening import completeness, inheritance, vcf
    from screening.domain import CONTIG_LENGTHS

    build = panel.genome_build
    x_windows, y_whole = inheritance.karyotype_windows(build), inheritance.male_specific_y(build)
    tails = completeness.tail_windows(panel.active_genes, CONTIG_LENGTHS[build])
    sex_times, tail_times = [], []
    cursor = vcf._Cursor()
    with vcf._text_reader(str(path), cursor) as (tbx, header):
        plan = vcf._plan(str(path), header, sample.vcf_sample, {})
        for _ in range(repeat):
            t = time.perf_counter()
            vcf._sex_calls(tbx, header, plan, build, x_windows, cursor)
            vcf._sex_calls(tbx, header, plan, build, y_whole, cursor)
            sex_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            list(vcf._any_record(tbx, tails, header.names()))
            tail_times.append(time.perf_counter() - t)
    return sex_times, tail_times


def _count_records(path: Path) -> int:
    out = subprocess.run(["bcftools", "index", "-n", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def _whole_chromosome_karyotype(path: Path, sample, panel) -> dict:
    """Karyotype from the whole of chrX (the exome fallback) and chrY, to compare with the windows."""
    from screening import inheritance, vcf
    from screening.domain import CONTIG_LENGTHS

    build = panel.genome_build
    x, y = inheritance.whole_x(build), inheritance.male_specific_y(build)
    t = time.perf_counter()
    evidence = vcf.read_sex_evidence(str(path), sample.vcf_sample, build, x, y)
    elapsed = time.perf_counter() - t
    call = inheritance.infer_karyotype(evidence, panel.settings)
    assert CONTIG_LENGTHS[build]["X"] > x[0][2]
    return {
        "karyotype_whole_chromosome": call.karyotype.value,
        "whole_x_het_fraction": round(evidence.x_het / max(evidence.x_calls, 1), 4),
        "whole_x_calls": evidence.x_calls,
        "whole_y_calls": evidence.y_calls,
        "whole_x_and_y_read_s": round(elapsed, 3),
    }


if __name__ == "__main__":
    main()
