"""Benchmark: start-up and whole processes, side by side with their references, alternating runs.

    .venv/bin/python bench/bench_startup.py [--repeat 15] [--out bench/out]

* ``screening --help`` against a bare ``python -c pass`` (the same interpreter of the virtual
  environment: its site start-up included in both), and the click group's own ``--help`` (what the
  console script ran before it wrote ``screening.cli.HELP`` itself);
* a whole ``screening screen`` process on a WGS-scale baby (the simulator's ``--scale wgs`` files that
  ``bench_screen.py`` caches in ``--out/wgs``; ``--format json`` to /dev/null; the VCF's sha256
  computed, as the command does) against ``bcftools view -R regions.bed baby.vcf.gz > /dev/null``
  on the panel's merged, padded regions;
* ``python -c "import polars, pysam, cyvcf2"``: the libraries a screen needs, imported and nothing
  else (the floor under any ``screening screen`` process, as a ratio to bcftools);
* the modules ``screening --help`` imports (none of click, polars, numpy, psycopg, celery, cyvcf2, pysam);
* with ``--before DIR`` (a checkout of earlier code, e.g. ``git worktree add /tmp/base <commit>``),
  the same ``screening screen`` run from that checkout and from this one, both as
  ``python -c 'from screening.cli import run; run()' screen …`` started in the checkout's folder (its
  ``screening`` package first on ``sys.path``), in the same rounds.
Medians of ``--repeat`` runs each, the commands alternating within each round. Requires bcftools.
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


RUN = "from screening.cli import run; run()"


def timed(argv: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=15)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    p.add_argument("--before", type=Path, default=None, help="checkout of earlier code to compare with")
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
        # the floor of any `screening screen`: the design card's libraries the engine needs, imported
        "import polars, pysam, cyvcf2": [sys.executable, "-c", "import polars, pysam, cyvcf2"],
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
        if args.before is not None:
            argv = [sys.executable, "-c", RUN, *commands[f"screening screen {baby['sample_id']}"][1:]]
            commands[f"screen {baby['sample_id']} before"] = argv
            commands[f"screen {baby['sample_id']} after"] = argv
    folders = {name: args.before.resolve() if name.endswith(" before") else ROOT for name in commands}
    times: dict[str, list[float]] = {name: [] for name in commands}
    load = [os.getloadavg()[0]]
    for name, argv in commands.items():  # warm the page cache once
        timed(argv, env, folders[name])
    for _ in range(args.repeat):
        for name, argv in commands.items():
            times[name].append(timed(argv, env, folders[name]))
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
        "libraries_import_ratio_to_bcftools": {
            b["sample_id"]: round(
                med["import polars, pysam, cyvcf2"] / med[f"bcftools view -R {b['sample_id']}"], 2
            )
            for b in babies
        },
        "screen_ratio_to_bcftools": {
            b["sample_id"]: round(
                med[f"screening screen {b['sample_id']}"] / med[f"bcftools view -R {b['sample_id']}"], 2
            )
            for b in babies
        },
        "heavy_modules_imported_by_help": imported.splitlines()[-1] if imported else "",
        **(
            {
                "before": str(args.before),
                "screen_before_after_ratio_to_bcftools": {
                    b["sample_id"]: [
                        round(
                            med[f"screen {b['sample_id']} {when}"]
                            / med[f"bcftools view -R {b['sample_id']}"],
                            2,
                        )
                        for when in ("before", "after")
                    ]
                    for b in babies
                },
            }
            if args.before is not None
            else {}
        ),
        "load_average_1min_before_after": [round(x, 2) for x in load],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
