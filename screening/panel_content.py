"""The canonical content of a panel version and its sha256: what a published version *is*.

Pure (no I/O): the folder reader (``panels.py``), the database (``db/panels.py``), the PanelApp
import and the bundle exchange all seal and check versions with these functions. Two versions
with the same content have the same sha256 whatever their source, order of rows or file layout.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from typing import Any

from screening.domain import ExcludedVariant, IncludedVariant, PanelGene, PanelVersion, Urgency

FORMAT_VERSION = 1  # of the canonical serialisation: part of the sha256
CHROM_ORDER = {c: i for i, c in enumerate([*map(str, range(1, 23)), "X", "Y", "MT"])}


def gene_key(g: PanelGene) -> tuple:
    return CHROM_ORDER.get(g.chrom, 99), g.start, g.end, g.hgnc_id, str(g.moi)


def variant_key(v: IncludedVariant | ExcludedVariant) -> tuple:
    return CHROM_ORDER.get(v.chrom, 99), v.pos, v.ref, v.alt


def canonical_content(panel: PanelVersion) -> bytes:
    """Deterministic bytes of everything a panel version screens with (not its sha256 field)."""
    document = {
        "format": FORMAT_VERSION,
        "panel_id": panel.panel_id,
        "name": panel.name,
        "version": str(panel.version),
        "genome_build": panel.genome_build,
        "description": panel.description,
        "settings": panel.settings.canonical_dict(),
        "genes": [_gene_dict(g) for g in sorted(panel.genes, key=gene_key)],
        "include": [asdict(v) for v in sorted(panel.include, key=variant_key)],
        "exclude": [asdict(v) for v in sorted(panel.exclude, key=variant_key)],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _gene_dict(g: PanelGene) -> dict[str, Any]:
    """A gene's canonical fields. Routine urgency (the default) is left out, so that panel versions
    published before genes had an urgency keep their sha256; immediate and high are part of it."""
    document = {**asdict(g), "moi": str(g.moi), "urgency": str(g.urgency)}
    if g.urgency is Urgency.ROUTINE:
        del document["urgency"]
    return document


def panel_sha256(panel: PanelVersion) -> str:
    return hashlib.sha256(canonical_content(panel)).hexdigest()


def sealed(panel: PanelVersion) -> PanelVersion:
    """The version with its sha256 set from its content."""
    return replace(panel, sha256=panel_sha256(panel))
