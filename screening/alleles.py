"""Allele representation (screening-rules §3.5): one canonical form for matching. Pure: no I/O.

After a multi-allelic record is split, each REF/ALT pair still carries the record's shared padding
(``ATCTT AT,A``: ALT1 is ``ATCT>A`` only once the common trailing ``T`` is gone). ``normalise`` does
what ``bcftools norm -m-`` does to a pair: upper-case the bases, trim the shared suffix, then the
shared prefix, keeping one anchor base. With a reference (``fetch``), indels are also left-aligned
(``bcftools norm -f``): shifted left while the last bases agree, pulling bases from the reference.

Symbolic alleles (``<DEL>``, ``<NON_REF>`` …), the spanning-deletion ``*`` and the missing ``.``
are returned unchanged: they are not sequence and are handled on purpose by the reader.
"""

from __future__ import annotations

from collections.abc import Callable

Fetch = Callable[[int, int], str]  # (1-based start, end inclusive) -> reference bases
_BASES = frozenset("ACGTN")


def is_sequence(allele: str) -> bool:
    """A plain allele of bases (any case), not symbolic, ``*`` or ``.``."""
    return bool(allele) and frozenset(allele.upper()) <= _BASES


def normalise(pos: int, ref: str, alt: str, fetch: Fetch | None = None) -> tuple[int, str, str]:
    """(pos, ref, alt) trimmed, upper-cased and, with ``fetch``, left-aligned."""
    if not (is_sequence(ref) and is_sequence(alt)):
        return pos, ref.upper() if is_sequence(ref) else ref, alt
    ref, alt = ref.upper(), alt.upper()
    if fetch is not None and len(ref) != len(alt):
        pos, ref, alt = _left_align(pos, ref, alt, fetch)
    while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    return pos, ref, alt


def _left_align(pos: int, ref: str, alt: str, fetch: Fetch) -> tuple[int, str, str]:
    """The vt/bcftools algorithm: while the last bases agree, drop them, first prepending the
    reference base before ``pos`` when an allele would empty. Stops at the start of the contig or
    where the reference gives no plain base (N, or past the end of its sequence)."""
    while ref[-1] == alt[-1]:
        if len(ref) == 1 or len(alt) == 1:
            base = fetch(pos - 1, pos - 1).upper() if pos > 1 else ""
            if len(base) != 1 or base not in "ACGT":
                break
            ref, alt, pos = base + ref, base + alt, pos - 1
        ref, alt = ref[:-1], alt[:-1]
    return pos, ref, alt
