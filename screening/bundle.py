"""Panel exchange between programmes: a self-describing bundle of one *published* version.

A bundle is a zip file holding the panel folder (``panel/panel.toml``, ``genes.tsv``, ``include.tsv``,
``exclude.tsv``: the format curators write), the ClinVar snapshot the version was published with
(``clinvar.tsv``: its records; ``clinvar.json``: its source, release date and the sha256 of the
ClinVar VCF it was read from) and ``bundle.json``: the panel label and sha256, the programme and
deployment it came from, and the sha256 of every other file. Entries carry a fixed timestamp, so the
same version exports to the same bytes.

``read_bundle`` checks everything before anything is accepted: every listed file present, no file
unlisted, every sha256 equal, the panel folder valid and hashing to the recorded panel sha256, the
ClinVar records readable. A problem is a ``BundleError`` naming what differs. No I/O beyond the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from screening import panels
from screening.domain import ClinVarSnapshot, PanelVersion
from screening.errors import ScreeningError
from screening.vcf import CLINVAR_SCHEMA

BUNDLE_FORMAT = 1
MANIFEST = "bundle.json"
PANEL_FILES = ("panel.toml", "genes.tsv", "include.tsv", "exclude.tsv")
CLINVAR_COLUMNS = tuple(CLINVAR_SCHEMA)  # the snapshot's columns, as vcf.py reads them
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
MAX_MEMBER_BYTES = 512 << 20


class BundleError(ScreeningError):
    """A panel bundle is incomplete, altered or unreadable."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.problems = problems
        super().__init__(f"{path}: panel bundle refused: " + "; ".join(problems))


@dataclass(frozen=True)
class Origin:
    """Where a bundle came from (recorded with the version it imports as)."""

    programme: str
    deployment: str
    exported_by: str

    def as_dict(self) -> dict[str, str]:
        return {"programme": self.programme, "deployment": self.deployment, "exported_by": self.exported_by}


@dataclass(frozen=True)
class Bundle:
    version: PanelVersion
    clinvar: ClinVarSnapshot | None
    origin: Origin
    sha256: str  # of the bundle file


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _clinvar_tsv(snapshot: ClinVarSnapshot) -> bytes:
    records = snapshot.records.select(CLINVAR_COLUMNS).sort("chrom", "pos", "ref", "alt", "clinvar_id")
    return records.write_csv(separator="\t", null_value="").encode("utf-8")


def bundle_bytes(version: PanelVersion, clinvar: ClinVarSnapshot | None, origin: Origin) -> bytes:
    """The zip bytes of a published version's bundle (deterministic for the same inputs)."""
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        panels.write_panel(version, Path(tmp))
        for name in PANEL_FILES:
            files[f"panel/{name}"] = (Path(tmp) / name).read_bytes()
    if clinvar is not None:
        files["clinvar.tsv"] = _clinvar_tsv(clinvar)
        meta = {"source": clinvar.source, "release_date": clinvar.release_date, "sha256": clinvar.sha256}
        files["clinvar.json"] = json.dumps(meta, sort_keys=True, indent=2).encode("utf-8")
    manifest = {
        "format": BUNDLE_FORMAT,
        "panel": version.label,
        "panel_sha256": version.sha256,
        "genome_build": version.genome_build,
        "origin": origin.as_dict(),
        "files": {name: _sha(data) for name, data in sorted(files.items())},
    }
    files[MANIFEST] = json.dumps(manifest, sort_keys=True, indent=2).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, files[name])
    return out.getvalue()


def write_bundle(path: Path, version: PanelVersion, clinvar: ClinVarSnapshot | None, origin: Origin) -> str:
    """Write the bundle file; returns its sha256."""
    data = bundle_bytes(version, clinvar, origin)
    path.write_bytes(data)
    return _sha(data)


def _members(path: Path) -> tuple[dict[str, bytes], str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(path, [f"cannot be read ({type(exc).__name__})"]) from None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            big = [i.filename for i in zf.infolist() if i.file_size > MAX_MEMBER_BYTES]
            if big:
                raise BundleError(path, [f"{', '.join(big)} larger than {MAX_MEMBER_BYTES >> 20} MiB"])
            return {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}, _sha(raw)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise BundleError(path, [f"not a readable zip file ({exc})"]) from None


def _manifest(path: Path, members: dict[str, bytes]) -> dict[str, Any]:
    if MANIFEST not in members:
        raise BundleError(path, [f"{MANIFEST} missing"])
    try:
        manifest = json.loads(members[MANIFEST])
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(path, [f"{MANIFEST} is not valid JSON ({exc})"]) from None
    keys = {"format", "panel", "panel_sha256", "genome_build", "origin", "files"}
    if not isinstance(manifest, dict) or not keys <= set(manifest) or not isinstance(manifest["files"], dict):
        raise BundleError(path, [f"{MANIFEST} lacks {', '.join(sorted(keys))}"])
    if manifest["format"] != BUNDLE_FORMAT:
        raise BundleError(path, [f"bundle format {manifest['format']!r} is not {BUNDLE_FORMAT}"])
    return manifest


def _file_problems(manifest: dict[str, Any], members: dict[str, bytes]) -> list[str]:
    listed: dict[str, Any] = manifest["files"]
    problems = [f"{name} listed in {MANIFEST} but missing" for name in sorted(set(listed) - set(members))]
    unlisted = sorted(set(members) - set(listed) - {MANIFEST})
    problems += [f"{name} is not listed in {MANIFEST}" for name in unlisted]
    for name in sorted(set(listed) & set(members)):
        actual = _sha(members[name])
        if actual != listed[name]:
            problems.append(
                f"{name}: sha256 {actual[:12]}… differs from the recorded {str(listed[name])[:12]}…"
            )
    missing_panel = [f"panel/{n}" for n in PANEL_FILES if f"panel/{n}" not in listed]
    problems += [f"{name} missing from the bundle" for name in missing_panel]
    if ("clinvar.tsv" in listed) != ("clinvar.json" in listed):
        problems.append("clinvar.tsv and clinvar.json come together")
    return problems


def _panel(path: Path, manifest: dict[str, Any], members: dict[str, bytes]) -> PanelVersion:
    with tempfile.TemporaryDirectory() as tmp:
        for name in PANEL_FILES:
            (Path(tmp) / name).write_bytes(members[f"panel/{name}"])
        try:
            version = panels.load_panel(Path(tmp))
        except ScreeningError as exc:
            raise BundleError(path, [f"the panel folder does not validate: {exc}"]) from None
    if version.sha256 != manifest["panel_sha256"] or version.label != manifest["panel"]:
        raise BundleError(
            path,
            [
                f"the panel folder is {version.label} with sha256 {version.sha256[:12]}…, not "
                f"{manifest['panel']} with {str(manifest['panel_sha256'])[:12]}… as recorded"
            ],
        )
    return version


def _clinvar(path: Path, members: dict[str, bytes]) -> ClinVarSnapshot | None:
    if "clinvar.tsv" not in members:
        return None
    try:
        meta = json.loads(members["clinvar.json"])
        records = pl.read_csv(
            io.BytesIO(members["clinvar.tsv"]), separator="\t", schema=CLINVAR_SCHEMA, null_values=[""]
        )
        return ClinVarSnapshot(meta["source"], meta["release_date"], meta["sha256"], records)
    except (ValueError, KeyError, TypeError, pl.exceptions.PolarsError) as exc:
        raise BundleError(path, [f"the ClinVar snapshot cannot be read ({exc})"]) from None


def read_bundle(path: Path) -> Bundle:
    """A verified bundle: every sha256 checked, the panel re-validated and re-hashed."""
    members, sha = _members(path)
    manifest = _manifest(path, members)
    problems = _file_problems(manifest, members)
    if problems:
        raise BundleError(path, problems)
    version = _panel(path, manifest, members)
    origin = manifest["origin"] if isinstance(manifest["origin"], dict) else {}
    who = Origin(
        str(origin.get("programme", "")),
        str(origin.get("deployment", "")),
        str(origin.get("exported_by", "")),
    )
    return Bundle(version, _clinvar(path, members), who, sha)
