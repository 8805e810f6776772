"""A/B: the warm engine of two checkouts side by side, interleaved with ``bcftools view -R``.

    git worktree add /tmp/engine-base <commit before>     # the code to compare against
    .venv/bin/python bench/ab_engine.py --before /tmp/engine-base [--repeat 9]

Each checkout runs in its own warm process (this virtual environment's interpreter, its ``screening``
package first on ``sys.path``), as a worker runs the engine: panel and ClinVar snapshot loaded once,
then ``vcf_screen.screen_vcf`` with the VCF's sha256 passed in. The rounds alternate bcftools, the
code before and this checkout on the same baby; each process reports its own elapsed and CPU time
(user + system of all its threads; bcftools' from the children's rusage) and the
sha256 of the result's JSON (``report.to_json``), so the table also shows whether both give
byte-identical results. Uses the WGS-scale babies and regions.bed that ``bench_screen.py`` /
``bench_startup.py`` leave in bench/out. Prints JSON (medians, ratios, load average before/after).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"

SERVER = r"""
import hashlib, sys, time
from pathlib import Path
from screening import panels, report, vcf, vcf_screen
from screening.domain import SampleInput, Sex
folder, panel_dir = Path(sys.argv[1]), Path(sys.argv[2])
panel = panels.load_panel(panel_dir)
clinvar = vcf.read_clinvar(str(folder / "clinvar.vcf.gz"), panel.genome_build, panels.region_list(panel))
print("ready", vcf.__file__, flush=True)
for line in sys.stdin:
    vcf_path, sample_id, column, sex, digest = line.split()
    sample = SampleInput(sample_id, column, Sex(sex))
    started, cpu = time.perf_counter(), time.process_time()
    result = vcf_screen.screen_vcf(panel, sample, Path(vcf_path), clinvar, vcf_sha256=digest)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    text = report.to_json(result).encode()
    print(f"{elapsed:.6f} {cpu:.6f} {hashlib.sha256(text).hexdigest()}", flush=True)
"""


class Engine:
    """A warm engine process of one checkout."""

    def __init__(self, checkout: Path, folder: Path, panel: Path):
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        argv = [sys.executable, "-c", SERVER, str(folder), str(panel)]
        self.proc = subprocess.Popen(
            argv, env=env, cwd=checkout, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        ready = self.proc.stdout.readline().split()
        if not ready or ready[0] != "ready" or not ready[1].startswith(str(checkout)):
            raise SystemExit(f"the engine of {checkout} did not start from that checkout: {ready}")

    def screen(self, vcf_path: Path, baby: dict, digest: str) -> tuple[float, float, str]:
        column = baby.get("vcf_sample") or baby["sample_id"]
        self.proc.stdin.write(f"{vcf_path} {baby['sample_id']} {column} {baby['sex']} {digest}\n")
        self.proc.stdin.flush()
        elapsed, cpu, result = self.proc.stdout.readline().split()
        return float(elapsed), float(cpu), result

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="checkout of the code to compare against")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    folder, bed = OUT / "wgs", OUT / "regions.bed"
    panel = ROOT / "gene_panels" / "newborn-actionable"
    from screening import digest

    engines = {"before": Engine(args.before.resolve(), folder, panel), "after": Engine(ROOT, folder, panel)}
    report: dict = {
        "repeat": args.repeat,
        "before": str(args.before),
        "load_average_before": os.getloadavg()[0],
    }
    with (folder / "manifest.csv").open() as fh:
        babies = list(csv.DictReader(fh))
    for baby in babies:
        path = folder / baby["vcf"]
        sha = digest.sha256_file(path)
        times: dict[str, list[float]] = {"bcftools": [], "before": [], "after": []}
        cpu: dict[str, list[float]] = {"bcftools": [], "before": [], "after": []}
        results: dict[str, set[str]] = {"before": set(), "after": set()}
        for i in range(args.repeat + 1):  # the first round warms the page cache and the engines
            for name in times:
                if name == "bcftools":
                    started, children = time.perf_counter(), _children_cpu()
                    argv = ["bcftools", "view", "-R", str(bed), str(path)]
                    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
                    elapsed, used = time.perf_counter() - started, _children_cpu() - children
                else:
                    elapsed, used, result = engines[name].screen(path, baby, sha)
                    results[name].add(result)
                if i:
                    times[name].append(elapsed)
                    cpu[name].append(used)
        med = {name: round(statistics.median(t), 4) for name, t in times.items()}
        med_cpu = {name: round(statistics.median(t), 4) for name, t in cpu.items()}
        report[baby["sample_id"]] = {
            "median_s": med,
            "ratio_before": round(med["before"] / med["bcftools"], 2),
            "ratio_after": round(med["after"] / med["bcftools"], 2),
            # CPU seconds (user + system, all threads): what the work costs, less sensitive to the load
            "median_cpu_s": med_cpu,
            "cpu_ratio_before": round(med_cpu["before"] / med_cpu["bcftools"], 2),
            "cpu_ratio_after": round(med_cpu["after"] / med_cpu["bcftools"], 2),
            "identical_json": len(results["before"] | results["after"]) == 1,
        }
    for engine in engines.values():
        engine.close()
    report["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
