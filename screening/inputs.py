"""Checks every text input shares (manifests, panel files, identity CSVs, web paths): no control
characters, bounded sizes, plain identifiers, ASCII numbers within the database's range.

Pure functions; each returns the problem as a message (a ``domain.Reason``, shown in the reader's
language; or ``None``), never the offending value when
that value could identify a baby.
"""

from __future__ import annotations

import math
import re

from screening.domain import N_, Reason

MAX_FIELD_CHARS = 4096  # one CSV/TSV field; far above any real sample id, path or condition name
MAX_ID_CHARS = 64
PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
# ASCII digits only: str.isdigit() and float() also accept other scripts' digits ("٣", "²")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?", re.ASCII)
WHOLE = re.compile(r"[0-9]{1,18}", re.ASCII)
INT4_MAX = 2**31 - 1  # PostgreSQL integer
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def control_character(text: str, allow_tab: bool = False) -> Reason | None:
    """A description of the first control character in ``text`` (None when there is none).

    Newlines, NUL and the C1 controls are all refused; a tab only when ``allow_tab`` is False.
    """
    pattern = _CONTROL_OR_NEWLINE
    for match in pattern.finditer(text):
        char = match.group()
        if allow_tab and char == "\t":
            continue
        return Reason(N_("control character U+{code}"), code=f"{ord(char):04X}")
    return None


def field_problem(name: str, text: str, limit: int = MAX_FIELD_CHARS) -> Reason | None:
    """Why one field of a row is refused (control character, size), naming the column, not the value."""
    if len(text) > limit:
        return Reason(
            N_("{name} has {n:,} characters (at most {limit:,})"), name=name, n=len(text), limit=limit
        )
    found = control_character(text)
    if found:
        return Reason(N_("{name} contains a {found}"), name=name, found=found)
    return None


def plain_id_problem(name: str, text: str) -> Reason | None:
    """Why ``text`` is not a plain identifier (letters, digits, '.', '_', '-'; starts alphanumeric)."""
    if not text:
        return Reason(N_("{name} is empty"), name=name)
    if len(text) > MAX_ID_CHARS:
        return Reason(N_("{name} is longer than {n} characters"), name=name, n=MAX_ID_CHARS)
    if not PLAIN_ID.fullmatch(text):
        return Reason(
            N_("{name} {value} must be letters, digits, '.', '_' or '-' and start with a letter or digit"),
            name=name,
            value=ascii(text)[:80],
        )
    return None


def is_plain_id(text: str) -> bool:
    return bool(PLAIN_ID.fullmatch(text or ""))


def decimal(text: str, low: float, high: float) -> tuple[float | None, Reason | None]:
    """(value, None) for an ASCII decimal within ``low..high``; (None, problem) otherwise."""
    if not DECIMAL.fullmatch(text):
        return None, Reason(N_("{value} is not a number (ASCII digits, e.g. 98.5)"), value=ascii(text)[:40])
    value = float(text)
    if not math.isfinite(value) or not low <= value <= high:
        return None, Reason(N_("{value} is outside {low:g}..{high:g}"), value=text[:40], low=low, high=high)
    return value, None


def whole(text: str, low: int, high: int) -> tuple[int | None, Reason | None]:
    """(value, None) for ASCII digits within ``low..high``; (None, problem) otherwise."""
    if not WHOLE.fullmatch(text):
        return None, Reason(
            N_("{value} is not a whole number >= {low} (ASCII digits)"), value=ascii(text)[:40], low=low
        )
    value = int(text)
    if not low <= value <= high:
        return None, Reason(N_("{value} is outside {low}..{high}"), value=text, low=low, high=high)
    return value, None


def printable_path_problem(text: str) -> Reason | None:
    """Why a request path or query string is refused before any handler sees it."""
    return control_character(text)
