"""Completeness gate (screening-rules §6): is the VCF whole where the panel looks? Pure: no I/O.

A VCF cut at a record boundary, re-compressed and re-indexed passes every format check; only its
content shows it is incomplete. The evidence is what the screen reads anyway: the records fetched per
merged panel region and the contigs the index holds records for.

- Every contig holding active panel genes must have records in the file (all kinds of VCF).
- A genome-like VCF (at least ``completeness_genome_density`` records per Mb of panel region: WGS
  has ~1,000+, an exome a few tens) must also have, on each such contig, records per Mb of its panel
  regions of at least ``completeness_min_density_ratio`` of the file's median contig, and no empty
  tail: when a contig's last panel regions hold no records although the file's density predicts
  ``completeness_min_expected_tail`` or more, the file stops early there.
- Exomes and targeted VCFs (below the genome-like density) hold records only where they were
  captured, so only the first check applies to them: a missing contig is still caught, a contig cut
  part-way is not.
- A genome-like VCF must also have records in the last fifth of every chromosome holding panel
  genes (``tail_windows``; a genome has thousands there): a file cut part-way along a chromosome
  after its last panel gene is caught too.

Regions inside a carried homozygous or hemizygous deletion (a symbolic ``<DEL>``) are expected to be
empty and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from screening.domain import N_, PanelGene, Reason, RuleSettings

TAIL_FRACTION = 0.2


def tail_windows(genes: Sequence[PanelGene], lengths: dict[str, int]) -> list[tuple[str, int, int]]:
    """The last fifth of each chromosome holding panel genes (1-based, inclusive)."""
    chroms = sorted({g.chrom for g in genes}, key=_rank)
    return [(c, int(lengths[c] * (1 - TAIL_FRACTION)) + 1, lengths[c]) for c in chroms if c in lengths]


@dataclass(frozen=True)
class RegionCount:
    """Records fetched through the index for one merged panel region (1-based, inclusive)."""

    chrom: str
    start: int
    end: int
    records: int

    @property
    def mb(self) -> float:
        return (self.end - self.start + 1) / 1e6


def _per_contig(counts: Iterable[RegionCount]) -> dict[str, list[RegionCount]]:
    out: dict[str, list[RegionCount]] = defaultdict(list)
    for c in counts:
        out[c.chrom].append(c)
    for regions in out.values():
        regions.sort(key=lambda r: r.start)
    return out


def _density(regions: Sequence[RegionCount]) -> float:
    mb = sum(r.mb for r in regions)
    return sum(r.records for r in regions) / mb if mb else 0.0


def problems(
    counts: Sequence[RegionCount],
    indexed_contigs: frozenset[str],
    genes: Sequence[PanelGene],
    s: RuleSettings,
    deleted: Sequence[tuple[str, int, int]] = (),
    tails: Sequence[RegionCount] = (),
) -> list[Reason]:
    """Why the VCF is incomplete where the panel looks (empty when it is not). ``deleted``: spans of
    carried homozygous/hemizygous deletions, where no records are expected; ``tails``: records found
    in each ``tail_windows`` window (1 when any)."""
    counts = [
        c for c in counts if not any(d[0] == c.chrom and d[1] <= c.start and c.end <= d[2] for d in deleted)
    ]
    genes_on: dict[str, list[str]] = defaultdict(list)
    for g in genes:
        genes_on[g.chrom].append(g.symbol)
    found = [
        Reason(
            N_("no records on chromosome {chrom}, which holds {n} active panel gene(s) ({genes})"),
            chrom=chrom,
            n=len(symbols),
            genes=_names(symbols),
        )
        for chrom, symbols in sorted(genes_on.items(), key=lambda kv: _rank(kv[0]))
        if chrom not in indexed_contigs
    ]
    by_contig = {c: r for c, r in _per_contig(counts).items() if c in genes_on and c in indexed_contigs}
    if _density([r for regions in by_contig.values() for r in regions]) < s.completeness_genome_density:
        return found
    found += [
        Reason(
            N_("no records in the last fifth of chromosome {chrom} (from {start:,}): the file stops early"),
            chrom=t.chrom,
            start=t.start,
        )
        for t in sorted(tails, key=lambda t: _rank(t.chrom))
        if t.records == 0 and t.chrom in indexed_contigs
    ]
    densities = {c: _density(r) for c, r in by_contig.items()}
    typical = median(densities.values())
    for chrom in sorted(by_contig, key=_rank):
        if densities[chrom] < s.completeness_min_density_ratio * typical:
            found.append(
                Reason(
                    N_(
                        "far fewer records on chromosome {chrom} ({density:,.0f} per Mb of panel region) "
                        "than on the file's other chromosomes (median {typical:,.0f} per Mb)"
                    ),
                    chrom=chrom,
                    density=densities[chrom],
                    typical=typical,
                )
            )
            continue
        tail = _empty_tail(by_contig[chrom])
        expected = sum(r.mb for r in tail) * typical
        if tail and expected >= s.completeness_min_expected_tail:
            found.append(
                Reason(
                    N_(
                        "records on chromosome {chrom} stop before {start:,}: its last {n} panel "
                        "region(s) hold none where about {expected:,.0f} were expected"
                    ),
                    chrom=chrom,
                    start=tail[0].start,
                    n=len(tail),
                    expected=expected,
                )
            )
    return found


def _empty_tail(regions: Sequence[RegionCount]) -> list[RegionCount]:
    tail: list[RegionCount] = []
    for r in reversed(regions):
        if r.records:
            break
        tail.insert(0, r)
    return tail if len(tail) < len(regions) else []  # a wholly empty contig: the density check says it


def _names(symbols: Sequence[str]) -> str:
    shown = ", ".join(sorted(symbols)[:5])
    return Reason(N_("{shown} and {n} more"), shown=shown, n=len(symbols) - 5) if len(symbols) > 5 else shown


def _rank(chrom: str) -> tuple[int, str]:
    return (int(chrom), "") if chrom.isdigit() else (100, chrom)
