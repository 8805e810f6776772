"""Micro-benchmark of screening.vcf against `bcftools view -R` on the same regions.

Usage:
    python bench/make_synthetic_wgs.py /tmp/bench 4500000 200     # once: 4.5 M records, 200 regions
    python bench/bench_vcf_read.py /tmp/bench/wgs.vcf.gz /tmp/bench/regions.bed [SAMPLE]

Prints the best of N wall-clock and CPU times (the machine may be shared) for: bcftools view -R
(reference), inspect_vcf with and without hashing, read_calls on the regions, read_sex_evidence on
the karyotype windows, and records per second of read_calls.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from collections.abc import Callable

from screening import digest, inheritance, vcf
from screening.domain import DEFAULT_POPULATION_AF_FIELDS, canonical_chrom


def _cpu() -> float:
    """CPU seconds of this process and its finished children (bcftools)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best(label: str, fn: Callable[[], object], n: int = 7) -> tuple[float, float, object]:
    """Best-of-n wall and CPU seconds (the machine may be shared: CPU is the steadier number)."""
    wall = cpu = float("inf")
    result = None
    for _ in range(n):
        t0, c0 = time.perf_counter(), _cpu()
        result = fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, _cpu() - c0)
    print(f"{label:34s} wall {wall:6.3f} s   cpu {cpu:6.3f} s")
    return wall, cpu, result


def bcftools(vcf_path: str, bed: str) -> None:
    subprocess.run(["bcftools", "view", "-R", bed, vcf_path, "-Ov", "-o", "/dev/null"], check=True)


def main(vcf_path: str, bed: str, sample: str | None = None) -> None:
    with open(bed) as fh:
        regions = [(canonical_chrom(c), int(s) + 1, int(e)) for c, s, e, *_ in (ln.split() for ln in fh)]
    af = DEFAULT_POPULATION_AF_FIELDS
    facts = vcf.inspect_vcf(vcf_path, sample, "GRCh38", af)
    sample = sample or vcf.list_samples(vcf_path)[0]
    x_windows, y_windows = inheritance.karyotype_windows("GRCh38"), inheritance.male_specific_y("GRCh38")
    ref_wall, ref_cpu, _ = best("bcftools view -R (reference)", lambda: bcftools(vcf_path, bed))
    best("sha256_file", lambda: digest.sha256_file(vcf_path))
    inspect = best(
        "inspect_vcf (sha256 given)", lambda: vcf.inspect_vcf(vcf_path, sample, "GRCh38", af, facts.sha256)
    )
    best("inspect_vcf (hashing)", lambda: vcf.inspect_vcf(vcf_path, sample, "GRCh38", af))
    read = best("read_calls", lambda: vcf.read_calls(vcf_path, sample, regions, facts, af))
    sex = best(
        "read_sex_evidence", lambda: vcf.read_sex_evidence(vcf_path, sample, "GRCh38", x_windows, y_windows)
    )
    calls, annotations = read[2]  # type: ignore[misc]
    print(
        f"calls rows {calls.height}, annotation rows {annotations.height}, "
        f"{calls.height / read[0]:,.0f} records/s in read_calls (wall)"
    )
    for label, parts in (("inspect + read_calls", (inspect, read)), ("+ sex evidence", (inspect, read, sex))):
        wall, cpu = sum(p[0] for p in parts), sum(p[1] for p in parts)
        print(
            f"{label:22s} wall {wall:.3f} s = {wall / ref_wall:.2f} x bcftools; "
            f"cpu {cpu:.3f} s = {cpu / ref_cpu:.2f} x bcftools"
        )


if __name__ == "__main__":
    main(*sys.argv[1:])
