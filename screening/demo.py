"""``screening demo``: simulate a batch, publish the panel, submit, run real workers, summarise.

Also the worker-process helpers used by the demo, the integration tests and the benchmark.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from screening import batches, panel_content, panels, tasks, vcf
from screening.config import Settings
from screening.db import batches as db_batches
from screening.db import connection, migrate
from screening.db import curation as db_curation
from screening.db import panels as db_panels
from screening.domain import PanelVersion
from screening.errors import ScreeningError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PANEL = ROOT / "gene_panels" / "newborn-actionable"
FINAL = ("screened", "failed", "held")


@dataclass(frozen=True)
class DemoOptions:
    babies: int = 24
    workers: int = 2
    seed: int = 1
    out: Path | None = None
    panel_dir: Path = DEFAULT_PANEL
    timeout_s: float = 600.0


# ---------------------------------------------------------------- worker processes


def worker_environment(settings: Settings) -> dict[str, str]:
    """Environment for worker subprocesses: same settings; the embedded database by its URL."""
    env = {**tasks.WORKER_ENV_DEFAULTS, **os.environ, **settings.as_environment()}
    env["SCREENING_DATABASE_URL"] = connection.database_url(dataclasses.replace(settings, db_role=None))
    return env


def start_workers(
    settings: Settings,
    count: int,
    log_dir: Path,
    reconciler: bool = True,
    app_module: str = "screening.tasks",
    extra_env: dict[str, str] | None = None,
) -> list[subprocess.Popen]:
    """``count`` real ``celery worker`` processes (own process groups); the first runs the reconciler."""
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**worker_environment(settings), **(extra_env or {})}
    procs = []
    for i in range(count):
        name = f"w{i}-{os.getpid()}-{time.monotonic_ns()}"
        argv = tasks.worker_argv(settings, name, reconciler and i == 0, app_module=app_module)
        with (log_dir / f"{name}.log").open("ab") as log:  # the child keeps its own descriptor
            procs.append(
                subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
    return procs


def stop_workers(procs: list[subprocess.Popen], timeout_s: float = 15.0) -> None:
    """Warm shutdown (SIGTERM to each worker's process group), then SIGKILL what is left."""
    for p in procs:
        if p.poll() is None:
            _signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(p, signal.SIGKILL)
            p.wait(5)


def _signal_group(p: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, sig)


def wait_for_batch(
    settings: Settings, lab_batch_id: str, timeout_s: float, on_progress=None
) -> batches.BatchStatus:
    """Poll the batch's counts until it is finalised, then load its full status; ScreeningError on timeout."""
    deadline = time.monotonic() + timeout_s
    with connection.session(settings) as conn:  # one connection for all polls
        while True:
            summary = db_batches.progress(conn, lab_batch_id)
            if summary is None:
                raise ScreeningError(f"batch {lab_batch_id} does not exist")
            if on_progress:
                on_progress(summary.counts)
            if summary.batch.state == "finalised":
                break
            if time.monotonic() > deadline:
                raise ScreeningError(
                    f"batch {lab_batch_id} not finalised after {timeout_s:.0f}s: {summary.counts}"
                )
            time.sleep(0.25)
    return batches.status(settings, lab_batch_id)


# ---------------------------------------------------------------- the demo


def demo_panel(panel: PanelVersion, clinvar_sha256: str) -> PanelVersion:
    """The panel under a demo id tied to the simulated ClinVar (published versions are immutable)."""
    renamed = dataclasses.replace(panel, panel_id=f"{panel.panel_id}-demo-{clinvar_sha256[:8]}")
    return panel_content.sealed(renamed)


def prepare(settings: Settings, options: DemoOptions, console: Console):
    """Migrate, simulate and publish; returns (simulated batch, published panel label)."""
    from screening import simulate

    migrate.upgrade(connection.database_url(dataclasses.replace(settings, db_role=None)))  # the owner
    settings = dataclasses.replace(settings, db_role="curation")  # publishing: the curation role
    panel = panels.load_panel(options.panel_dir)
    out = options.out or settings.home / "demo" / f"seed{options.seed}-n{options.babies}"
    with console.status(f"simulating {options.babies} babies"):
        sim = simulate.simulate_batch(panel, out, options.babies, seed=options.seed)
    clinvar = vcf.read_clinvar(str(sim.clinvar_vcf), panel.genome_build, panels.region_list(panel))
    version = demo_panel(panel, clinvar.sha256)
    with connection.session(settings) as conn, connection.transaction(conn, settings.actor):
        db_curation.set_change_message(conn, "demonstration: starter panel with a simulated ClinVar snapshot")
        row, _ = db_panels.publish(conn, version, clinvar, settings.actor)
    return sim, row.label


def run(settings: Settings, options: DemoOptions) -> batches.BatchStatus:
    console = Console()
    sim, label = prepare(settings, options, console)
    settings = dataclasses.replace(settings, db_role="web")  # submitting and following: the lab's role
    console.print(f"panel {label}", soft_wrap=True)
    console.print(f"{options.babies} simulated babies in {sim.out_dir}", soft_wrap=True)
    procs = start_workers(settings, options.workers, settings.home / "logs")
    try:
        started = time.perf_counter()
        lab_id = f"demo-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}"
        sub = batches.submit(settings, sim.manifest, label, tasks.enqueue_samples, lab_id)
        console.print(f"submitted batch {sub.lab_batch_id}; {options.workers} worker process(es)")
        st = _progress(settings, sub.lab_batch_id, options)
        elapsed = time.perf_counter() - started
    finally:
        stop_workers(procs)
    summarise(console, st, sim.truth, elapsed)
    return st


def _progress(settings: Settings, lab_id: str, options: DemoOptions) -> batches.BatchStatus:
    columns = (TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        bar = progress.add_task("batch", total=options.babies)

        def update(counts: dict[str, int]) -> None:
            progress.update(bar, completed=sum(counts[s] for s in FINAL))

        return wait_for_batch(settings, lab_id, options.timeout_s, update)


def truth_matches(st: batches.BatchStatus, truth_path: Path) -> tuple[int, int]:
    """(babies whose outcome and (gene, pattern) findings match the simulator's truth, babies)."""
    truth = {b["sample_id"]: b for b in json.loads(truth_path.read_text())["babies"]}
    good = 0
    for status, result in st.samples:
        expected = truth.get(status.sample.sample_id)
        if expected is None or result is None:
            continue
        got = sorted((f.hgnc_id, f.pattern.value) for f in result.findings)
        want = sorted((f["hgnc_id"], f["pattern"]) for f in expected["findings"])
        good += result.outcome.value == expected["expected_outcome"] and got == want
    return good, len(truth)


def _held(console: Console, st: batches.BatchStatus) -> None:
    """Babies whose testing was not possible, and samples that could not be screened: lab action."""
    held = Table(title="testing not possible or not screened (for the laboratory)")
    for col in ("baby", "state", "reason"):
        held.add_column(col)
    for status, result in st.samples:
        if result is None or result.outcome.value == "testing_not_possible":
            reason = "; ".join(result.reasons) if result else (status.sample.reason or "")
            held.add_row(status.sample.sample_id, status.sample.state, reason)
    if held.row_count:
        console.print(held)


def summarise(console: Console, st: batches.BatchStatus, truth_path: Path | None, elapsed: float) -> None:
    outcomes: dict[str, int] = {}
    for status, result in st.samples:
        key = result.outcome.value if result else status.sample.state
        outcomes[key] = outcomes.get(key, 0) + 1
    table = Table(title=f"batch {st.batch.lab_batch_id}: {len(st.samples)} babies in {elapsed:.1f}s")
    table.add_column("outcome")
    table.add_column("babies", justify="right")
    for key, n in sorted(outcomes.items()):
        table.add_row(key, str(n))
    console.print(table)
    flagged = Table(title="flagged babies (for clinical review)")
    for col in ("baby", "gene", "condition", "pattern"):
        flagged.add_column(col)
    for status, result in st.samples:
        for f in result.findings if result else ():
            flagged.add_row(
                status.sample.sample_id, f"{f.symbol} ({f.hgnc_id})", f.condition, f.pattern.value
            )
    console.print(flagged)
    _held(console, st)
    if truth_path is not None:
        good, total = truth_matches(st, truth_path)
        console.print(f"matches the simulator's truth table: {good}/{total} babies")
