"""``panel.toml``: identity, version, genome build and the rule settings of a panel folder.

Reading collects every problem with "panel.toml:line"; writing spells every setting out so that
curators see what is in force. The only TOML library used is the standard ``tomllib``.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from screening.domain import GENOME_BUILDS, N_, Moi, PanelVersion, Reason, RuleSettings, Version
from screening.errors import Problem
from screening.inputs import control_character

PANEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
TOP_KEYS = ("id", "name", "version", "genome_build", "description", "settings")
HGNC_ID = re.compile(r"^HGNC:[1-9]\d*$")
SO_TERM = re.compile(r"^[a-z][a-z0-9_]*$")
INFO_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
POPULATION = re.compile(r"^[A-Za-z0-9_]+$")

# Numeric settings: name -> (kind, minimum, maximum).
NUMBERS: dict[str, tuple[type, float, float]] = {
    "padding_bp": (int, 0, 1_000_000),
    "min_gq": (int, 0, 10_000),
    "min_dp": (int, 0, 100_000),
    "het_ab_min": (float, 0, 1),
    "het_ab_max": (float, 0, 1),
    "hom_ab_min": (float, 0, 1),
    "clinvar_min_plp": (int, 1, 1_000),
    "clinvar_max_blb": (int, 0, 1_000),
    "clinvar_max_internal_af": (float, 0, 1),
    "clinvar_min_stars": (int, 0, 4),
    "min_pct_autosomal_15x": (float, 0, 100),
    "min_q30_gb": (float, 0, 1_000_000),
    "max_contamination_pct": (float, 0, 100),
    "karyotype_min_x_calls": (int, 0, 1_000_000),
    "karyotype_xx_min_het_fraction": (float, 0, 1),
    "karyotype_xy_max_het_fraction": (float, 0, 1),
    "karyotype_min_y_calls": (int, 0, 1_000_000),
    "karyotype_min_y_hemi_fraction": (float, 0, 1),
    "karyotype_robust_x_calls": (int, 0, 1_000_000),
    "completeness_genome_density": (float, 0, 1_000_000),
    "completeness_min_density_ratio": (float, 0, 1),
    "completeness_min_expected_tail": (float, 0, 1_000_000_000),
}
STRUCTURED = (
    "lof_consequences",
    "lof_sv_consequences",
    "lof_af_caps",
    "population_af_fields",
    "smn1_hgnc_id",
)


@dataclass(frozen=True)
class PanelMeta:
    """What ``panel.toml`` says; a field is ``None`` when it was missing or invalid (a problem says why)."""

    panel_id: str | None
    name: str | None
    version: Version | None
    genome_build: str | None
    description: str
    settings: RuleSettings | None


class _Toml:
    """The parsed document plus its text, to name the line of each problem."""

    def __init__(self, path: Path, text: str, problems: list[Problem]):
        self.path, self.text, self.problems = path, text, problems

    def bad(self, key_path: tuple[str, ...], message: str) -> None:
        line = toml_line(self.text, key_path)
        self.problems.append(Problem(f"{self.path}:{line}" if line else str(self.path), message))


def read_meta(path: Path, problems: list[Problem]) -> PanelMeta | None:
    if not path.is_file():
        problems.append(Problem(str(path), Reason(N_("file is missing"))))
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                str(path),
                Reason(N_("not UTF-8 text ({reason} at byte {start})"), reason=exc.reason, start=exc.start),
            )
        )
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(
            Problem(f"{path}:{_decode_line(exc)}", Reason(N_("not valid TOML: {detail}"), detail=str(exc)))
        )
        return None
    doc = _Toml(path, text, problems)
    for key in sorted(set(data) - set(TOP_KEYS)):
        doc.bad(
            (key,), Reason(N_("unknown key {key!r}; allowed: {items}"), key=key, items=", ".join(TOP_KEYS))
        )
    return PanelMeta(
        panel_id=_panel_id(doc, data),
        name=_string(doc, data, "name", required=True),
        version=_version(doc, data),
        genome_build=_build(doc, data),
        description=_string(doc, data, "description", required=False) or "",
        settings=read_settings(doc, data.get("settings", {})),
    )


def _decode_line(exc: tomllib.TOMLDecodeError) -> int:
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else 1


def _string(doc: _Toml, data: dict, key: str, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            doc.problems.append(Problem(str(doc.path), Reason(N_("{key!r} is missing"), key=key)))
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        doc.bad((key,), Reason(N_("{key!r} must be a non-empty quoted string"), key=key))
        return None
    bad = control_character(value.replace("\n", " ").replace("\t", " ") if key == "description" else value)
    if bad:
        doc.bad((key,), Reason(N_("{key!r} contains a {bad}"), key=key, bad=bad))
        return None
    return value


def _panel_id(doc: _Toml, data: dict) -> str | None:
    value = _string(doc, data, "id", required=True)
    if value is not None and not PANEL_ID.match(value):
        doc.bad(
            ("id",),
            Reason(N_("id {value!r} must be lower-case letters, digits, '.', '_' or '-'"), value=value),
        )
        return None
    return value


def _version(doc: _Toml, data: dict) -> Version | None:
    value = data.get("version")
    if value is None:
        doc.problems.append(
            Problem(str(doc.path), Reason(N_("'version' is missing (e.g. version = \"1.0\")")))
        )
        return None
    if isinstance(value, float | int) and not isinstance(value, bool):
        line = toml_line(doc.text, ("version",))
        written = doc.text.splitlines()[line - 1].split("=", 1)[1] if line else str(value)
        raw = written.split("#", 1)[0].strip()  # the number as written, without a trailing comment
        doc.bad(
            ("version",),
            Reason(
                N_(
                    'version must be a quoted string, e.g. version = "{raw}": TOML reads {raw} as '
                    "the number {value!r}, so 1.10 would equal 1.1 and sort before 1.9"
                ),
                raw=raw,
                value=value,
            ),
        )
        return None
    if not isinstance(value, str):
        doc.bad(
            ("version",),
            Reason(
                N_('version must be a quoted MAJOR.MINOR string such as "1.0", not {value!r}'), value=value
            ),
        )
        return None
    try:
        return Version.parse(value)
    except ValueError as exc:
        doc.bad(("version",), str(exc))
        return None


def _build(doc: _Toml, data: dict) -> str | None:
    value = data.get("genome_build")
    if value in GENOME_BUILDS:
        return value
    if value is None:
        doc.problems.append(
            Problem(str(doc.path), Reason(N_("'genome_build' is missing (GRCh38 or GRCh37)")))
        )
    else:
        doc.bad(
            ("genome_build",),
            Reason(
                N_("unknown genome_build {value!r}; use one of {items}"),
                value=value,
                items=", ".join(GENOME_BUILDS),
            ),
        )
    return None


def read_settings(doc: _Toml, table: Any) -> RuleSettings | None:
    """A :class:`RuleSettings` from the ``[settings]`` table; missing keys take the defaults."""
    if not isinstance(table, dict):
        doc.bad(("settings",), Reason(N_("settings must be a table ([settings])")))
        return None
    before = len(doc.problems)
    known = {f.name for f in fields(RuleSettings)}
    for key in sorted(set(table) - known):
        doc.bad(
            ("settings", key),
            Reason(N_("unknown setting {key!r}; allowed: {items}"), key=key, items=", ".join(sorted(known))),
        )
    values: dict[str, Any] = {}
    for key in sorted(set(table) & known):
        parser = _number if key in NUMBERS else _STRUCTURED_PARSERS[key]
        value = parser(doc, key, table[key])
        if value is not None:
            values[key] = value
    if len(doc.problems) > before:
        return None
    settings = RuleSettings(**values)
    _cross_check(doc, settings)
    return settings if len(doc.problems) == before else None


def _number(doc: _Toml, key: str, value: Any) -> int | float | None:
    kind, low, high = NUMBERS[key]
    is_int = isinstance(value, int) and not isinstance(value, bool)
    is_number = is_int or (isinstance(value, float) and math.isfinite(value))
    if kind is int and not is_int:
        doc.bad(
            ("settings", key), Reason(N_("{key} must be a whole number, not {value!r}"), key=key, value=value)
        )
    elif not is_number:
        doc.bad(("settings", key), Reason(N_("{key} must be a number, not {value!r}"), key=key, value=value))
    elif not low <= value <= high:
        doc.bad(
            ("settings", key),
            Reason(N_("{key} = {value} is outside {low}..{high}"), key=key, value=value, low=low, high=high),
        )
    else:
        return kind(value)
    return None


def _consequences(doc: _Toml, key: str, value: Any) -> tuple[str, ...] | None:
    ok = isinstance(value, list) and value and all(isinstance(v, str) and SO_TERM.match(v) for v in value)
    if not ok or len(set(value)) != len(value):
        doc.bad(
            ("settings", key),
            Reason(N_("{key} must be a non-empty list of distinct Sequence Ontology terms"), key=key),
        )
        return None
    return tuple(value)


def _hgnc(doc: _Toml, key: str, value: Any) -> str | None:
    if isinstance(value, str) and HGNC_ID.match(value):
        return value
    doc.bad(
        ("settings", key),
        Reason(N_("{key} {value!r} is not of the form HGNC:<number>"), key=key, value=value),
    )
    return None


def _af_fields(doc: _Toml, key: str, value: Any) -> dict[str, str] | None:
    ok = (
        isinstance(value, dict)
        and value
        and all(POPULATION.match(k) and isinstance(v, str) and INFO_FIELD.match(v) for k, v in value.items())
    )
    if not ok:
        doc.bad(
            ("settings", key), Reason(N_('{key} must be a table of population = "INFO field name"'), key=key)
        )
        return None
    return dict(value)


def _af_caps(doc: _Toml, key: str, value: Any) -> dict[Moi, dict[str, float]] | None:
    if not isinstance(value, dict) or set(value) != set(Moi.__members__):
        doc.bad(
            ("settings", key),
            Reason(
                N_("{key} must have one table for each of {items}"), key=key, items=", ".join(Moi.__members__)
            ),
        )
        return None
    caps: dict[Moi, dict[str, float]] = {}
    for moi, table in value.items():
        where = ("settings", key, moi)
        if not isinstance(table, dict) or "default" not in table:
            doc.bad(
                where,
                Reason(N_("{key}.{moi} must be a table with at least a 'default' cap"), key=key, moi=moi),
            )
            continue
        bad = [
            k
            for k, v in table.items()
            if isinstance(v, bool)
            or not isinstance(v, int | float)
            or not 0 < v <= 1
            or not POPULATION.match(k)
        ]
        if bad:
            doc.bad(
                where,
                Reason(
                    N_("{key}.{moi}: caps must be numbers in (0, 1]; check {items}"),
                    key=key,
                    moi=moi,
                    items=", ".join(bad),
                ),
            )
            continue
        caps[Moi(moi)] = {k: float(v) for k, v in table.items()}
    return caps if len(caps) == len(Moi) else None


_STRUCTURED_PARSERS = {
    "lof_consequences": _consequences,
    "lof_sv_consequences": _consequences,
    "lof_af_caps": _af_caps,
    "population_af_fields": _af_fields,
    "smn1_hgnc_id": _hgnc,
}


def _cross_check(doc: _Toml, s: RuleSettings) -> None:
    if s.het_ab_min > s.het_ab_max:
        doc.bad(
            ("settings", "het_ab_min"),
            Reason(
                N_("het_ab_min {het_ab_min} is above het_ab_max {het_ab_max}"),
                het_ab_min=s.het_ab_min,
                het_ab_max=s.het_ab_max,
            ),
        )
    if s.karyotype_xy_max_het_fraction >= s.karyotype_xx_min_het_fraction:
        doc.bad(
            ("settings", "karyotype_xy_max_het_fraction"),
            Reason(N_("karyotype_xy_max_het_fraction must be below karyotype_xx_min_het_fraction")),
        )
    for moi, caps in s.lof_af_caps.items():
        unknown = sorted(set(caps) - {"default"} - set(s.population_af_fields))
        if unknown:
            doc.bad(
                ("settings", "lof_af_caps", str(moi)),
                Reason(
                    N_("lof_af_caps.{moi}: population(s) {items} not in population_af_fields"),
                    moi=moi,
                    items=", ".join(unknown),
                ),
            )


def toml_line(text: str, path: tuple[str, ...]) -> int | None:
    """Line number of a key in TOML text (``("settings", "min_gq")``), or of its closest parent."""
    for depth in range(len(path), 0, -1):
        table, key = ".".join(path[: depth - 1]), path[depth - 1]
        current = ""
        for number, line in enumerate(text.splitlines(), start=1):
            stripped = line.strip()
            if stripped.startswith("["):
                current = stripped.strip("[] ").replace('"', "")
                if current == ".".join(path[:depth]) or current.startswith(".".join(path[:depth]) + "."):
                    return number
            elif current == table and re.match(rf'^"?{re.escape(key)}"?\s*=', stripped):
                return number
    return None


def render(panel: PanelVersion) -> str:
    """``panel.toml`` text for a panel version, with every setting written out."""
    settings = panel.settings.as_dict()
    lines = [
        f"id = {_q(panel.panel_id)}",
        f"name = {_q(panel.name)}",
        f'version = {_q(str(panel.version))}  # a quoted MAJOR.MINOR string: "2.10" is newer than "2.9"',
        f"genome_build = {_q(panel.genome_build)}",
        f"description = {_q(panel.description)}",
        "",
        "[settings]",
    ]
    tables = {k: v for k, v in settings.items() if isinstance(v, dict)}
    for key, value in settings.items():
        if value is None:
            lines.append(f"# {key} = (not set)")
        elif key not in tables:
            lines.append(f"{key} = {_value(value)}")
    for key, value in tables.items():
        lines += _table(f"settings.{key}", value)
    return "\n".join(lines) + "\n"


def _table(name: str, table: dict) -> list[str]:
    scalars = [f"{k} = {_value(v)}" for k, v in table.items() if not isinstance(v, dict)]
    out = ["", f"[{name}]", *scalars] if scalars else []
    for k, v in table.items():
        if isinstance(v, dict):
            out += _table(f"{name}.{k}", v)
    return out


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _q(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return repr(value)
