"""Load the named queries of ``queries.sql`` (the procrastinate pattern: ``-- name --`` headers)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^-- ([a-z0-9_]+) --$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, str]:
    """``{name: sql}``; the description lines (``-- …``) after each header are dropped."""
    parts = _HEADER.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = body.strip().splitlines()
        while lines and lines[0].startswith("--"):
            lines.pop(0)
        if name in queries:
            raise ValueError(f"queries.sql: query {name!r} is defined twice")
        queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


@cache
def queries() -> dict[str, str]:
    return parse_queries(resources.files("screening.db").joinpath("queries.sql").read_text("utf-8"))


def query(name: str) -> str:
    """The SQL of one named query (KeyError names the missing query)."""
    return queries()[name]
