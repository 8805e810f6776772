"""The one loader of the named SQL queries in ``screening/db/*.sql`` (the procrastinate pattern:
``-- name --`` headers, then optional ``-- description`` lines, then the statement).

Every ``.sql`` file of the package is read once; a query name defined twice, in one file or in two,
is refused at load, naming both places. Queries are ``LiteralString`` (psycopg's type for SQL that
was not built from values): parameters always travel separately.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import LiteralString, cast

_HEADER = re.compile(r"^-- ([a-z0-9_]+) --$", re.MULTILINE)


def parse_queries(text: str, source: str = "queries.sql") -> dict[str, LiteralString]:
    """``{name: sql}`` of one file; the description lines (``-- …``) after each header are dropped."""
    parts = _HEADER.split(text)
    found: dict[str, LiteralString] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = body.strip().splitlines()
        while lines and lines[0].startswith("--"):
            lines.pop(0)
        if name in found:
            raise ValueError(f"{source}: query {name!r} is defined twice")
        found[name] = cast(LiteralString, "\n".join(lines).strip().rstrip(";"))
    return found


@cache
def queries() -> dict[str, LiteralString]:
    """Every named query of every ``.sql`` file under ``screening/db``."""
    merged: dict[str, LiteralString] = {}
    where: dict[str, str] = {}
    files = sorted(f for f in resources.files("screening.db").iterdir() if f.name.endswith(".sql"))
    for file in files:
        for name, sql in parse_queries(file.read_text("utf-8"), file.name).items():
            if name in merged:
                raise ValueError(f"query {name!r} is defined in both {where[name]} and {file.name}")
            merged[name], where[name] = sql, file.name
    return merged


def query(name: str) -> LiteralString:
    """The SQL of one named query (KeyError names the missing query)."""
    return queries()[name]
