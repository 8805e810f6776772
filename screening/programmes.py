"""Programmes as configuration: the national programmes a deployment hosts (``england``, ``denmark`` …).

A programme has a key (``batch.programme``), a display name, the identity scheme of its babies
(``nhs`` or ``cpr``), the language of its letters (``en`` or ``da``), who gets the doctor's copy of a
result (``gp`` in England, ``family_doctor`` — *egen læge* — in Denmark), its sender (organisation,
team, contact lines) and the panels it screens with (panel ids, glob patterns). The file is TOML::

    default = "england"                # optional; a file with one programme needs none
    [programmes.england]
    name = "Newborn Genome Screening Programme (England)"
    identity_scheme = "nhs"
    language = "en"
    doctor = "gp"
    panels = ["newborn-actionable"]
    positive_rate_band = [0.5, 1.5]    # optional: the expected screen-positive rate, per cent
    [programmes.england.sender]
    organisation = "…"
    team = "…"
    contact = ["Telephone …", "…"]

Where it is read from: ``SCREENING_PROGRAMMES`` (a path), else ``$SCREENING_HOME/programmes.toml``
when it exists, else the defaults shipped in the package (``screening/programmes.toml``: England and
Denmark). A deployment's file replaces the defaults whole. Every problem of a file is reported at once,
naming the file and the key.

``positive_rate_band`` is what the programme dashboard and ``screening report programme`` judge the
programme's screen-positive rate against; a programme without one, and a report over every programme,
use the deployment's ``SCREENING_POSITIVE_RATE_BAND`` (``Programmes.band``).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from screening.domain import N_, Reason
from screening.errors import NotFoundError, Problem, ValidationError

BUILTIN = Path(__file__).with_name("programmes.toml")
SCHEMES = ("nhs", "cpr")
LANGUAGES = ("en", "da")
DOCTORS = ("gp", "family_doctor")
KEY = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")  # as batch.programme's CHECK (migration 0014)
PROGRAMME_KEYS = ("name", "identity_scheme", "language", "doctor", "panels", "sender", "positive_rate_band")
SENDER_KEYS = ("organisation", "team", "contact")


@dataclass(frozen=True)
class Sender:
    """Who a programme's letters come from."""

    programme: str = "Newborn Genome Screening Programme"  # the organisation's name
    team: str = "Newborn Screening Team"
    contact: tuple[str, ...] = ()  # lines under the sender (telephone, e-mail, address)


@dataclass(frozen=True)
class Programme:
    key: str
    name: str
    identity_scheme: str  # nhs | cpr
    language: str  # en | da
    doctor: str  # gp | family_doctor
    panels: tuple[str, ...]  # glob patterns over panel ids
    sender: Sender
    positive_rate_band: tuple[float, float] | None = None  # per cent; None: the deployment's

    @property
    def address_style(self) -> str:
        """How its letters write a postal address: ``dk`` (postcode and town on one line) for a CPR
        programme, ``uk`` (the postcode on its own last line) otherwise."""
        return "dk" if self.identity_scheme == "cpr" else "uk"

    def screens_with(self, panel_id: str) -> bool:
        return any(fnmatch.fnmatchcase(panel_id, pattern) for pattern in self.panels)


@dataclass(frozen=True)
class Programmes:
    """The programmes of one deployment, from one file."""

    source: str
    by_key: dict[str, Programme]
    default: str | None

    def get(self, key: str) -> Programme:
        found = self.by_key.get(key)
        if found is None:
            known = ", ".join(sorted(self.by_key))
            shown = key if KEY.match(key or "") else ascii(key)[:40]
            raise NotFoundError(
                Reason(
                    N_("programme {programme} is not configured here (known: {known})"),
                    programme=shown,
                    known=known,
                )
            )
        return found

    def choose(self, key: str | None) -> Programme:
        """The programme asked for, else the deployment's default; an error when neither is known."""
        if key:
            return self.get(key)
        if self.default is None:
            known = ", ".join(sorted(self.by_key))
            message = Reason(N_("this deployment hosts several programmes: name one ({known})"), known=known)
            raise ValidationError(Reason(N_("programme")), [Problem("--programme", message)])
        return self.by_key[self.default]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_key))

    def band(self, key: str | None, fallback: tuple[float, float]) -> tuple[float, float]:
        """The expected screen-positive band of a report: the programme's own when it has one, else
        ``fallback`` (the deployment's setting; also for a report over every programme, and for a
        programme not configured here)."""
        found = self.by_key.get(key) if key else None
        return found.positive_rate_band if found and found.positive_rate_band else fallback


def source_path(programmes_file: Path | None, home: Path) -> Path:
    """The file a deployment's programmes come from (see the module's docstring)."""
    if programmes_file is not None:
        return programmes_file
    local = home / "programmes.toml"
    return local if local.is_file() else BUILTIN


def for_settings(settings: Any) -> Programmes:
    """The programmes of the deployment these settings describe."""
    return load(source_path(settings.programmes_file, settings.home))


def builtin() -> Programmes:
    return load(BUILTIN)


@cache
def _load(path: str, mtime_ns: int) -> Programmes:
    name = Path(path).name
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise ValidationError(name, [Problem(name, "cannot be read as UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(name, [Problem(name, f"not valid TOML ({exc})")]) from None
    return parse(doc, name)


def load(path: Path) -> Programmes:
    """Read and check a programmes file (cached until the file changes)."""
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        raise ValidationError(path.name, [Problem(str(path), "programmes file not found")]) from None
    return _load(str(path), mtime)


def parse(doc: dict[str, Any], source: str) -> Programmes:
    """Check a parsed programmes document; raises ValidationError listing every problem."""
    problems: list[Problem] = []
    unknown = sorted(set(doc) - {"default", "programmes"})
    if unknown:
        problems.append(Problem(source, f"unknown key(s): {', '.join(unknown)}"))
    table = doc.get("programmes")
    if not isinstance(table, dict) or not table:
        problems.append(Problem(source, "no [programmes.<key>] table"))
        raise ValidationError(source, problems)
    found: dict[str, Programme] = {}
    for key, entry in table.items():
        programme = _programme(key, entry, f"{source} [programmes.{key}]", problems)
        if programme is not None:
            found[key] = programme
    default = doc.get("default")
    if default is None and len(table) == 1:
        default = next(iter(table))
    if default is not None and default not in table:
        problems.append(Problem(source, f"default {default!r} is not one of the programmes"))
    if problems:
        raise ValidationError(source, problems)
    return Programmes(source, found, default)


def _text(entry: dict[str, Any], name: str, where: str, problems: list[Problem]) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(where, f"{name} must be non-empty text"))
        return ""
    return value.strip()


def _choice(entry: dict[str, Any], name: str, allowed: tuple[str, ...], where: str, problems: list[Problem]):
    value = entry.get(name)
    if value not in allowed:
        problems.append(Problem(where, f"{name} must be one of {', '.join(allowed)}"))
    return value


def _programme(key: str, entry: Any, where: str, problems: list[Problem]) -> Programme | None:
    if not KEY.match(key):
        problems.append(Problem(where, "the key must be lower-case letters, digits, '_' or '-' (≤ 32)"))
        return None
    if not isinstance(entry, dict):
        problems.append(Problem(where, "must be a table"))
        return None
    before = len(problems)
    unknown = sorted(set(entry) - set(PROGRAMME_KEYS))
    if unknown:
        problems.append(Problem(where, f"unknown key(s): {', '.join(unknown)}"))
    name = _text(entry, "name", where, problems)
    scheme = _choice(entry, "identity_scheme", SCHEMES, where, problems)
    language = _choice(entry, "language", LANGUAGES, where, problems)
    doctor = _choice(entry, "doctor", DOCTORS, where, problems)
    panels = entry.get("panels")
    if not isinstance(panels, list) or not panels or not all(isinstance(p, str) and p for p in panels):
        problems.append(Problem(where, "panels must be a non-empty list of panel ids (glob patterns)"))
    sender_entry = entry.get("sender")
    sender_where = f"{where[:-1]}.sender]"
    sender = None
    if not isinstance(sender_entry, dict):
        problems.append(Problem(sender_where, "missing"))
    else:
        unknown = sorted(set(sender_entry) - set(SENDER_KEYS))
        if unknown:
            problems.append(Problem(sender_where, f"unknown key(s): {', '.join(unknown)}"))
        contact = sender_entry.get("contact", [])
        if not isinstance(contact, list) or not all(isinstance(c, str) and c.strip() for c in contact):
            problems.append(Problem(sender_where, "contact must be a list of non-empty lines"))
            contact = []
        sender = Sender(
            _text(sender_entry, "organisation", sender_where, problems),
            _text(sender_entry, "team", sender_where, problems),
            tuple(c.strip() for c in contact),
        )
    band = _band(entry.get("positive_rate_band"), where, problems)
    if len(problems) > before or sender is None:
        return None
    return Programme(key, name, scheme, language, doctor, tuple(panels), sender, band)


def _band(value: Any, where: str, problems: list[Problem]) -> tuple[float, float] | None:
    if value is None:
        return None
    numbers = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )
    if not numbers or not 0 <= value[0] <= value[1] <= 100:
        problems.append(
            Problem(where, "positive_rate_band must be [LOW, HIGH] in per cent, 0 <= LOW <= HIGH <= 100")
        )
        return None
    return (float(value[0]), float(value[1]))


__all__ = [
    "BUILTIN",
    "DOCTORS",
    "LANGUAGES",
    "SCHEMES",
    "Programme",
    "Programmes",
    "Sender",
    "builtin",
    "for_settings",
    "load",
    "parse",
    "source_path",
]
