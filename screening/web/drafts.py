"""Curators' drafts made in the browser, and impact previews run in the background.

A draft is a panel folder, as for the CLI: an uploaded PanelApp API JSON goes through
``panelapp.build_draft`` and ``panelapp.write_draft`` (what ``screening panel import-panelapp`` calls)
into ``$SCREENING_HOME/drafts/<id>/panel/``, beside the upload and a small ``draft.json`` (who, when,
the file's name). ``screening panel publish`` would publish that folder to the same sha256 as the
curator's publish page, which calls the same ``curation.publish_folder``.

An impact preview (``curation.impact_preview``, what ``screening panel impact`` calls) re-reads every
screened baby's VCF, so it runs in a thread of the web process; the page polls its counters. A job
lives in memory: a restarted web app forgets it (start it again; nothing was written).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from screening import curation, i18n, panelapp, panels
from screening.config import Settings
from screening.domain import GENOME_BUILDS, N_, PanelVersion, Reason, Version, panel_label
from screening.errors import NotFoundError, PanelError, Problem, ScreeningError

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 50_000_000  # the largest real PanelApp super-panel responses are a few MB
_ID_ALPHABET = set("0123456789abcdef")
_lock = threading.Lock()


@dataclass(frozen=True)
class DraftInfo:
    draft_id: str
    panel_id: str
    version: str
    genome_build: str
    filename: str  # the uploaded file's name as the curator's computer gave it
    created_by: str
    created_at: str  # ISO 8601, UTC
    published_label: str = ""  # once published from the web
    published_sha256: str = ""

    @property
    def label(self) -> str:
        return panel_label(self.panel_id, self.version)


@dataclass(frozen=True)
class Draft:
    info: DraftInfo
    folder: Path
    panel: PanelVersion | None  # None while the folder does not validate
    problems: tuple[Problem, ...]  # the panel folder's, as panels.validate_panel gives them
    report: tuple[dict[str, str], ...]  # panelapp_import_report.tsv rows


def root(settings: Settings) -> Path:
    return Path(settings.home) / "drafts"


def _folder(settings: Settings, draft_id: str) -> Path:
    if len(draft_id) != 16 or not set(draft_id) <= _ID_ALPHABET:
        raise NotFoundError(Reason(N_("draft {draft!r} does not exist"), draft=draft_id))
    folder = root(settings) / draft_id
    if not (folder / "draft.json").is_file():
        raise NotFoundError(Reason(N_("draft {draft} does not exist"), draft=draft_id))
    return folder


def import_panelapp(
    settings: Settings, data: bytes, filename: str, panel_id: str, version: str, build: str, name: str
) -> Draft:
    """A draft from uploaded PanelApp API JSON; every problem of the form or the file at once."""
    problems = []
    shown = Path(filename or "upload.json").name
    if not data:
        problems.append(
            Problem(Reason(N_("file")), Reason(N_("choose the PanelApp API JSON file to upload")))
        )
    elif len(data) > MAX_UPLOAD_BYTES:
        problems.append(Problem(shown, Reason(N_("larger than {mb} MB"), mb=MAX_UPLOAD_BYTES // 1_000_000)))
    parsed_version = None
    try:
        parsed_version = Version.parse(version.strip())
    except ValueError as exc:
        problems.append(Problem(Reason(N_("version")), exc.args[0]))
    if build not in GENOME_BUILDS:
        problems.append(
            Problem(
                Reason(N_("genome build")),
                Reason(N_("{build!r}: one of {builds}"), build=build, builds=", ".join(GENOME_BUILDS)),
            )
        )
    if not panel_id.strip():
        problems.append(
            Problem(
                Reason(N_("panel id")),
                Reason(N_("give the panel id (e.g. the published panel this revises)")),
            )
        )
    if problems:
        raise PanelError(Reason(N_("PanelApp import")), problems)
    documents = panelapp.parse_responses(data, shown)
    options = panelapp.DraftOptions(panel_id.strip(), parsed_version, build, name.strip() or None)
    result = panelapp.build_draft(documents, options)  # PanelError for a bad panel id or document
    draft_id = secrets.token_hex(8)
    folder = root(settings) / draft_id
    source = (shown, hashlib.sha256(data).hexdigest())
    with curation.recorded_import(settings, result.panel, source, f"draft:{draft_id}"):
        folder.mkdir(parents=True)
        try:
            (folder / "upload.json").write_bytes(data)
            panelapp.write_draft(result, folder / "panel")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # nothing recorded: nothing kept
            raise
    info = DraftInfo(
        draft_id,
        result.panel.panel_id,
        str(result.panel.version),
        result.panel.genome_build,
        shown,
        settings.actor,
        datetime.now(UTC).isoformat(timespec="seconds"),
    )
    _write_info(folder, info)
    log.info("draft %s imported from PanelApp JSON by %s (%s)", draft_id, settings.actor, info.label)
    return load(settings, draft_id)


def _write_info(folder: Path, info: DraftInfo) -> None:
    tmp = folder / "draft.json.tmp"
    tmp.write_text(json.dumps(asdict(info), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(folder / "draft.json")


def _read_info(folder: Path) -> DraftInfo:
    doc = json.loads((folder / "draft.json").read_text(encoding="utf-8"))
    return DraftInfo(**{k: doc.get(k, "") for k in DraftInfo.__dataclass_fields__})


def load(settings: Settings, draft_id: str) -> Draft:
    folder = _folder(settings, draft_id)
    info = _read_info(folder)
    panel_dir = folder / "panel"
    problems = tuple(panels.validate_panel(panel_dir))
    panel = None if problems else panels.load_panel(panel_dir)
    return Draft(info, panel_dir, panel, problems, _report(panel_dir / panelapp.REPORT_NAME))


def invalid(draft: Draft) -> PanelError:
    """The draft's folder does not validate: its problems, each under "panel folder"."""
    return PanelError(
        Reason(N_("draft {label}"), label=draft.info.label),
        [Problem(Reason(N_("panel folder: {where}"), where=p.where), p.message) for p in draft.problems],
    )


def _report(path: Path) -> tuple[dict[str, str], ...]:
    if not path.is_file():
        return ()
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return ()
    header = lines[0].split("\t")
    return tuple(dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:] if line)


def list_drafts(settings: Settings) -> list[DraftInfo]:
    base = root(settings)
    if not base.is_dir():
        return []
    found = []
    for folder in base.iterdir():
        try:
            found.append(_read_info(folder))
        except (OSError, ValueError, TypeError):  # not a draft (or one being written): not listed
            continue
    return sorted(found, key=lambda i: i.created_at, reverse=True)


def publish(
    settings: Settings, draft_id: str, message: str, clinvar_path: Path | None = None
) -> curation.Published:
    """Publish the draft's folder through ``curation.publish_folder`` (the CLI's publish), with the
    ClinVar snapshot read from ``clinvar_path`` (a VCF on shared storage) when one is given."""
    draft = load(settings, draft_id)
    if draft.problems:
        raise invalid(draft)
    done = curation.publish_folder(settings, draft.folder, message, clinvar_path)
    with _lock:
        info = replace(draft.info, published_label=done.row.label, published_sha256=done.row.sha256)
        _write_info(_folder(settings, draft_id), info)
    log.info("draft %s published as %s by %s", draft_id, done.row.label, settings.actor)
    return done


# ---------------------------------------------------------------- impact previews


@dataclass
class ImpactJob:
    draft_id: str
    started_by: str
    started_at: str
    total: int | None = None  # None until the screened babies are known
    done: int = 0
    state: str = "running"  # running | finished | failed
    problem: str = ""
    delta: curation.OutcomeDelta | None = None
    draft_sha256: str = ""
    seconds: float | None = None  # how long the preview took, once finished

    def progress(self, language: str = i18n.SOURCE_LANGUAGE) -> dict[str, Any]:
        """The preview's state and how far it got; ``summary`` in ``language``."""
        total = self.total
        percent = (round(100 * self.done / total) if total else 100) if total is not None else 0
        if self.state == "running" and total is None:
            summary = Reason(N_("finding the babies screened under this panel…"))
        elif self.state == "running":
            summary = Reason(
                N_("{done} of {total} babies re-screened with the draft"), done=self.done, total=total
            )
        elif self.state == "finished":
            summary = Reason(
                N_("finished: {done} of {total} babies re-screened with the draft in {seconds:.0f} s"),
                done=self.done,
                total=total,
                seconds=self.seconds,
            )
        elif isinstance(self.problem, Reason):
            summary = Reason(N_("failed: {problem}"), problem=self.problem)
        else:
            summary = f"failed: {self.problem}"  # English, and said to be so in another language
        summary = i18n.engine_text(summary, language)
        return {
            "state": self.state,
            "done": self.done,
            "total": total,
            "percent": percent,
            "summary": summary,
        }


def _jobs(app: FastAPI) -> dict[str, ImpactJob]:
    if not hasattr(app.state, "impact_jobs"):
        app.state.impact_jobs = {}
    return app.state.impact_jobs


def impact_job(app: FastAPI, draft_id: str) -> ImpactJob | None:
    return _jobs(app).get(draft_id)


def start_impact(app: FastAPI, settings: Settings, draft_id: str) -> bool:
    """Start the preview in a thread; False when one for this draft is already running."""
    draft = load(settings, draft_id)
    if draft.panel is None:
        raise invalid(draft)
    with _lock:
        job = _jobs(app).get(draft_id)
        if job is not None and job.state == "running":
            return False
        now = datetime.now(UTC).isoformat(timespec="seconds")
        job = _jobs(app)[draft_id] = ImpactJob(draft_id, settings.actor, now, draft_sha256=draft.panel.sha256)
    threading.Thread(
        target=_run_impact, args=(settings, draft.panel, job), name=f"impact-{draft_id}", daemon=True
    ).start()
    return True


def _run_impact(settings: Settings, panel: PanelVersion, job: ImpactJob) -> None:
    def progress(done: int, total: int) -> None:
        job.total, job.done = total, done

    started = time.monotonic()
    try:
        job.delta = curation.impact_preview(settings, panel, progress=progress)
        job.seconds = time.monotonic() - started
        job.state = "finished"
    except ScreeningError as exc:
        job.problem, job.state = exc.reason, "failed"
    except Exception as exc:  # a thread must not die silently
        log.exception("impact preview of draft %s failed", job.draft_id)
        job.problem = Reason(N_("unexpected {error} (logged on the server)"), error=type(exc).__name__)
        job.state = "failed"
