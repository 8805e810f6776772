"""Benchmark: start-up and whole processes, side by side with their references, alternating runs.

    .venv/bin/python bench/bench_startup.py [--repeat 15] [--out bench/out]

* ``screening --help`` against a bare ``python -c pass`` (the same interpreter of the virtual
  environment: its site start-up included in both), and the click group's own ``--help`` (what the
  console script ran before it wrote ``screening.cli.HELP`` itself);
* a whole ``screening screen`` process on a WGS-scale baby (the simulator's ``--scale wgs`` files that
  ``bench_screen.py`` caches in ``--out/wgs``; ``--format json`` to /dev/null; the VCF's sha256
  computed, as the command does) against ``bcftools view -R regions.bed baby.vcf.gz > /dev/null``
  on the panel's merged, padded regions;
* the modules ``screening --help`` imports (none of click, polars, numpy, psycopg, celery, cyvcf2, pysam).
Medians of ``--repeat`` runs each. Requires bcftools (Debian package).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PANEL = ROOT / "gene_panels" / "newborn-actionable"
BIN = Path(sys.executable).parent


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = p.parse_args()
    if shutil.which("bcftools") is None:
        sys.exit("bcftools is required for the reference timing: apt-get install -y bcftools tabix")
    env = {**os.environ, "SCREENING_HOME": str(args.out / "home")}
    folder = args.out / "wgs"
    if not (folder / "manifest.csv").exists():
        sys.exit(f"no WGS-scale babies in {folder}: run bench/bench_screen.py once (it simulates them)")
    with (folder / "manifest.csv").open() as fh:
        babies = list(csv.DictReader(fh))

    from screening import panels

    panel = panels.load_panel(PANEL)
    bed = args.out / "regions.bed"
    bed.write_text(
        "".join(
            f"{'chrM' if c == 'MT' else 'chr' + c}\t{s - 1}\t{e}\n" for c, s, e in panels.region_list(panel)
        )
    )
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "screening --help": [str(BIN / "screening"), "--help"],
        # the click group's own --help, as the console script answered before it wrote HELP itself
        "click group --help": [
            sys.executable, "-c",
            "from screening.cli.group import main\nmain(['--help'], prog_name='screening')",
        ],
    }  # fmt: skip
    for baby in babies:
        vcf = str(folder / baby["vcf"])
        commands[f"screening screen {baby['sample_id']}"] = [
            str(BIN / "screening"), "screen", "--panel", str(PANEL), "--vcf", vcf, "--sex", baby["sex"],
            "--clinvar", str(folder / "clinvar.vcf.gz"), "--format", "json",
        ]  # fmt: skip
        commands[f"bcftools view -R {baby['sample_id']}"] = ["bcftools", "view", "-R", str(bed), vcf]
    times: dict[str, list[float]] = {name: [] for name in commands}
    load = [os.getloadavg()[0]]
    for argv in commands.values():  # warm the page cache once
        timed(argv, env)
    for _ in range(args.repeat):
        for name, argv in commands.items():
            times[name].append(timed(argv, env))
    load.append(os.getloadavg()[0])
    med = {name: statistics.median(t) for name, t in times.items()}
    probe = (  # what the console script imports for `screening --help` (not a terminal: full width)
        "import io, contextlib, sys\nsys.argv = ['screening', '--help']\nfrom screening.cli import run\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    run()\n"
        "heavy = ('click', 'polars', 'numpy', 'psycopg', 'celery', 'cyvcf2', 'pysam', 'jinja2', 'fastapi', "
        "'rich')\nprint(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    report = {
        "repeat": args.repeat,
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "help_ratio_to_python": round(med["screening --help"] / med["python -c pass"], 2),
        "click_group_help_ratio_to_python": round(med["click group --help"] / med["python -c pass"], 2),
        "screen_ratio_to_bcftools": {
            b["sample_id"]: round(
                med[f"screening screen {b['sample_id']}"] / med[f"bcftools view -R {b['sample_id']}"], 2
            )
            for b in babies
        },
        "heavy_modules_imported_by_help": imported.splitlines()[-1] if imported else "",
        "load_average_1min_before_after": [round(x, 2) for x in load],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
