"""Mutating the text of a finding-bearing baby's VCF never silently changes what the screen says.

For every case: one simulated baby (panel scale, its unmutated file screens ``condition_suspected``),
one mutation of the text of one of its finding records (or of the file: duplicated record, truncation
at a record boundary), re-bgzipped and re-indexed with ``pysam.tabix_index`` in a fresh folder, then
``vcf_screen.screen_vcf`` as ``tests/integration/test_engine_truth.py`` calls it. Allowed verdicts:

- ``unchanged``: same outcome and findings (gene, pattern, variants);
- ``error_named``: ``ScreeningError`` (``VcfError`` ...) whose message names the file;
- ``held``: ``testing_not_possible`` with a reason;
- ``noted``: a new ``not_evaluated`` entry naming the record (CHROM:POS) or the mutated field;
- ``unindexable``: pysam itself cannot index the mutated text, so no lab could submit it (counted).

Anything else fails: a silent flip from condition suspected to no condition suspected, any other
silent change of outcome or findings, an error that does not name the file, a bare library exception.
Profiles and the per-kind tally: ``conftest.py``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pysam
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from screening import vcf_screen
from screening.domain import Outcome
from screening.errors import ScreeningError

from .conftest import MUTATION_SETTINGS, PROFILE, Baby, Cohort, cohort, count, signature

ALLOWED = ("unchanged", "error_named", "held", "noted", "unindexable")
BASES = "ACGT"


@dataclass(frozen=True)
class Mutated:
    records: list[str]  # the whole file's record lines after the mutation
    where: tuple[str, ...]  # words a note must contain one of: CHROM:POS of the record, the field


# ---------------------------------------------------------------- record helpers


def _fields(line: str) -> list[str]:
    return line.split("\t")


def _where(f: list[str], *names: str) -> tuple[str, ...]:
    chrom = f[0]
    canon = chrom.removeprefix("chr")
    return (f"{chrom}:{f[1]}", f"{canon}:{f[1]}", *names)


def _format(f: list[str]) -> tuple[list[str], list[str]]:
    return f[8].split(":"), f[9].split(":")


def _with_value(f: list[str], key: str, value: str) -> list[str]:
    keys, values = _format(f)
    values = values + [""] * (len(keys) - len(values))
    values[keys.index(key)] = value
    return [*f[:9], ":".join(values), *f[10:]]


def _replace(baby: Baby, index: int, lines: list[str]) -> list[str]:
    return [*baby.records[:index], *lines, *baby.records[index + 1 :]]


def _one(baby: Baby, index: int, f: list[str], *names: str) -> Mutated:
    return Mutated(_replace(baby, index, ["\t".join(f)]), _where(_fields(baby.records[index]), *names))


def _integers_text(draw, n: int) -> str:
    return ",".join(str(draw(st.integers(0, 200))) for _ in range(n))


# ---------------------------------------------------------------- mutations (draw, baby, record index)

Mutation = Callable[[Callable, Baby, int], Mutated | None]


def wrong_number_ad(draw, baby: Baby, i: int) -> Mutated | None:
    """AD is Number=R: one value per allele. Write fewer or more."""
    f = _fields(baby.records[i])
    keys, _ = _format(f)
    if "AD" not in keys:
        return None
    right = len(f[4].split(",")) + 1
    n = draw(st.integers(1, right + 4).filter(lambda k: k != right))
    return _one(baby, i, _with_value(f, "AD", _integers_text(draw, n)), "AD")


def wrong_number_pl(draw, baby: Baby, i: int) -> Mutated | None:
    """PL is Number=G: one value per genotype of the call's ploidy."""
    f = _fields(baby.records[i])
    keys, values = _format(f)
    if "PL" not in keys:
        return None
    right = len(values[keys.index("PL")].split(","))
    n = draw(st.integers(1, right + 6).filter(lambda k: k != right))
    return _one(baby, i, _with_value(f, "PL", _integers_text(draw, n)), "PL")


def wrong_number_info_af(draw, baby: Baby, i: int) -> Mutated | None:
    """A gnomAD AF (INFO, Number=A: one value per ALT) with fewer or more values than ALTs: an AF
    of the record rewritten, or one added (planted pathogenic calls carry none)."""
    f = _fields(baby.records[i])
    info = f[7].split(";")
    afs = [k for k, item in enumerate(info) if item.startswith("gnomAD_AF")]
    if not afs:
        info.append("gnomAD_AF" + draw(st.sampled_from(["", "_afr", "_nfe", "_eas"])) + "=0")
        afs = [len(info) - 1]
    k = draw(st.sampled_from(afs))
    key = info[k].split("=", 1)[0]
    right = len(f[4].split(","))
    n = draw(st.integers(1, right + 4).filter(lambda m: m != right))
    info[k] = f"{key}=" + ",".join(f"0.{draw(st.integers(0, 9999)):04d}" for _ in range(n))
    f[7] = ";".join(info)
    return _one(baby, i, f, key, "AF")


NOT_INTEGER = st.one_of(
    st.sampled_from(["abc", "1.5", "20.0", "1e3", "NaN", "inf", "--1", "0x1F", "12a", "+-3", "½", "2,0"]),
    st.text(alphabet="abcxyzAZ._-+e", min_size=1, max_size=6).filter(lambda s: s not in (".",)),
)


def value_not_of_type(draw, baby: Baby, i: int) -> Mutated | None:
    """A GQ/DP/AD/PL value (Type=Integer) that does not parse as an integer."""
    f = _fields(baby.records[i])
    keys, values = _format(f)
    key = draw(st.sampled_from([k for k in ("GQ", "DP", "AD", "PL") if k in keys]))
    bad = draw(NOT_INTEGER)
    if key in ("AD", "PL"):
        parts = values[keys.index(key)].split(",")
        parts[draw(st.integers(0, len(parts) - 1))] = bad
        bad = ",".join(parts)
    return _one(baby, i, _with_value(f, key, bad), key)


def negative_dp_gq(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    keys, _ = _format(f)
    key = draw(st.sampled_from([k for k in ("GQ", "DP") if k in keys]))
    return _one(baby, i, _with_value(f, key, str(draw(st.integers(-10_000, -1)))), key)


def empty_gt(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    value = draw(st.sampled_from(["", " ", "/", "|"]))
    return _one(baby, i, _with_value(f, "GT", value), "GT")


def gt_allele_out_of_range(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    n_alts = len(f[4].split(","))
    bad = draw(st.integers(n_alts + 1, n_alts + 9))
    other = draw(st.integers(0, n_alts))
    sep = draw(st.sampled_from("/|"))
    gt = draw(st.sampled_from([f"{other}{sep}{bad}", f"{bad}{sep}{other}", str(bad)]))
    return _one(baby, i, _with_value(f, "GT", gt), "GT")


def too_few_columns(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    keep = draw(st.integers(2, len(f) - 1))
    return Mutated(_replace(baby, i, ["\t".join(f[:keep])]), _where(f, "column"))


def filter_not_declared(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    declared = {
        re.match(r"##FILTER=<ID=([^,>]+)", h).group(1) for h in baby.header if h.startswith("##FILTER")
    }
    name = draw(
        st.one_of(
            st.sampled_from(
                ["q10", "SnpCluster", "LowDP", "VQSRTrancheSNP99.90to100.00", "HardFilter", "s50"]
            ),
            st.text(
                alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_",
                min_size=1,
                max_size=12,
            ),
        ).filter(lambda s: s not in declared and s != ".")
    )
    f[6] = name
    return _one(baby, i, f, "FILTER", name)


def filter_lower_case(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    name = f[6]  # PASS for a finding record
    chars = [c.lower() if draw(st.booleans()) else c for c in name]
    lowered = "".join(chars) if "".join(chars) != name else name.lower()
    assume(lowered != name)
    f[6] = lowered
    return _one(baby, i, f, "FILTER", lowered)


def lower_case_bases(draw, baby: Baby, i: int) -> Mutated | None:
    """Bases are case-insensitive in the VCF specification (soft-masked REF from some pipelines)."""
    f = _fields(baby.records[i])
    which = draw(st.sampled_from(["ref", "alt", "both"]))

    def lower(seq: str) -> str:
        if seq.startswith("<"):
            return seq
        mask = draw(st.lists(st.booleans(), min_size=len(seq), max_size=len(seq)))
        out = "".join(c.lower() if m else c for c, m in zip(seq, mask, strict=True))
        return out if out != seq else seq.lower()

    if which in ("ref", "both"):
        f[3] = lower(f[3])
    if which in ("alt", "both"):
        f[4] = ",".join(lower(a) for a in f[4].split(","))
    if "\t".join(f) == baby.records[i]:
        return None
    return _one(baby, i, f, "REF", "ALT")


def format_keys_reordered(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    keys, values = _format(f)
    order = draw(st.permutations(range(len(keys))))
    if list(order) == list(range(len(keys))):
        return None
    f[8] = ":".join(keys[k] for k in order)
    f[9] = ":".join(values[k] for k in order if k < len(values))
    return _one(baby, i, f, "FORMAT")


def format_key_deleted(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    keys, values = _format(f)
    k = draw(st.integers(0, len(keys) - 1))
    name = keys[k]
    f[8] = ":".join(keys[:k] + keys[k + 1 :]) or "."
    f[9] = ":".join(values[:k] + values[k + 1 :]) or "."
    return _one(baby, i, f, name)


def shared_suffix_padded(draw, baby: Baby, i: int) -> Mutated | None:
    """REF and every ALT given the same trailing bases, as a caller writing a multi-allelic site does."""
    f = _fields(baby.records[i])
    alts = f[4].split(",")
    if any(a.startswith("<") or a in ("*", ".") for a in alts):
        return None  # a symbolic allele has no bases to pad
    suffix = draw(st.text(alphabet=BASES, min_size=1, max_size=6))
    f[3] += suffix
    f[4] = ",".join(a + suffix for a in alts)
    return _one(baby, i, f, "REF", "ALT")


def record_duplicated(draw, baby: Baby, i: int) -> Mutated | None:
    copies = draw(st.integers(2, 4))
    return Mutated(
        _replace(baby, i, [baby.records[i]] * copies), _where(_fields(baby.records[i]), "duplicate")
    )


def record_duplicated_conflicting(draw, baby: Baby, i: int) -> Mutated | None:
    """The record twice, the second copy with another genotype (a merge gone wrong)."""
    f = _fields(baby.records[i])
    gt = _format(f)[1][0]
    other = draw(st.sampled_from([g for g in ("0/0", "0/1", "1/1", "./.", "0|1", "1") if g != gt]))
    second = "\t".join(_with_value(f, "GT", other))
    lines = [baby.records[i], second] if draw(st.booleans()) else [second, baby.records[i]]
    return Mutated(_replace(baby, i, lines), _where(f, "duplicate", "GT"))


def truncated_at_record(draw, baby: Baby, i: int) -> Mutated | None:
    """The file cut at a record boundary (anywhere), then re-compressed and re-indexed: it is valid."""
    cut = draw(st.integers(0, len(baby.records) - 1))
    f = _fields(baby.records[cut]) if cut < len(baby.records) else _fields(baby.records[-1])
    return Mutated(list(baby.records[:cut]), _where(f, "truncat", "contig", "chromosome", "records"))


def crlf_line_ending(draw, baby: Baby, i: int) -> Mutated | None:
    """A record ending in CR LF (edited on Windows)."""
    return _one(baby, i, [*_fields(baby.records[i])[:-1], _fields(baby.records[i])[-1] + "\r"], "GT")


def sample_column_missing_value(draw, baby: Baby, i: int) -> Mutated | None:
    f = _fields(baby.records[i])
    f[9] = draw(st.sampled_from([".", "./.", ".:.:.:.:."]))
    return _one(baby, i, f, "GT")


MUTATIONS: dict[str, Mutation] = {
    "wrong_number_ad": wrong_number_ad,
    "wrong_number_pl": wrong_number_pl,
    "wrong_number_info_af": wrong_number_info_af,
    "value_not_of_type": value_not_of_type,
    "negative_dp_gq": negative_dp_gq,
    "empty_gt": empty_gt,
    "gt_allele_out_of_range": gt_allele_out_of_range,
    "too_few_columns": too_few_columns,
    "filter_not_declared": filter_not_declared,
    "filter_lower_case": filter_lower_case,
    "lower_case_bases": lower_case_bases,
    "format_keys_reordered": format_keys_reordered,
    "format_key_deleted": format_key_deleted,
    "shared_suffix_padded": shared_suffix_padded,
    "record_duplicated": record_duplicated,
    "record_duplicated_conflicting": record_duplicated_conflicting,
    "truncated_at_record": truncated_at_record,
    "crlf_line_ending": crlf_line_ending,
    "sample_column_missing_value": sample_column_missing_value,
}


# ---------------------------------------------------------------- screening one mutated file


def _write(folder: Path, baby: Baby, records: list[str]) -> Path | None:
    """The mutated text bgzipped and indexed by pysam; None when pysam cannot index it."""
    plain = folder / baby.file_name.removesuffix(".gz")
    plain.write_text("\n".join([*baby.header, *records]) + "\n")
    try:
        return Path(pysam.tabix_index(str(plain), preset="vcf", force=True))
    except (OSError, ValueError):
        return None


def _names(note: str, where: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<![\w]){re.escape(w)}", note) for w in where)


def verdict(cohort: Cohort, baby: Baby, mutated: Mutated) -> tuple[str, str]:
    """(verdict, detail) for one mutated file."""
    with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
        path = _write(Path(tmp), baby, mutated.records)
        if path is None:
            return "unindexable", ""
        try:
            result = vcf_screen.screen_vcf(cohort.panel, baby.sample, path, cohort.clinvar)
        except ScreeningError as exc:
            return ("error_named", "") if str(path) in str(exc) else ("error_unnamed", str(exc))
        except Exception as exc:  # a bare library exception is a failure of the engine's contract
            return "crash", f"{type(exc).__name__}: {exc}"
    if signature(result) == signature(baby.baseline):
        return "unchanged", ""
    if result.outcome is Outcome.TESTING_NOT_POSSIBLE and result.reasons:
        return "held", ""
    new_notes = [n for n in result.not_evaluated if n not in baby.baseline.not_evaluated]
    if any(_names(n, mutated.where) for n in new_notes):
        return "noted", ""
    got = f"{signature(result)} (new notes {new_notes})"
    if result.outcome is Outcome.NO_CONDITION_SUSPECTED:
        return "silent_flip", got
    return "silent_change", got


@pytest.mark.usefixtures("built_cohort")
@pytest.mark.timeout(0 if PROFILE == "full" else 600)  # full: a kind runs 10-15 min (pyproject: 600 s)
@pytest.mark.parametrize("kind", sorted(MUTATIONS))
@MUTATION_SETTINGS
@given(data=st.data())
def test_a_mutation_is_harmless_or_flagged(kind: str, data):
    babies = cohort()
    assert babies.babies, f"no finding-bearing baby screened condition_suspected: {babies.left_out}"
    baby = babies.babies[data.draw(st.integers(0, len(babies.babies) - 1), label="baby")]
    index = baby.finding_records[data.draw(st.integers(0, len(baby.finding_records) - 1), label="record")]
    mutated = MUTATIONS[kind](data.draw, baby, index)
    assume(mutated is not None)
    assert mutated is not None
    outcome, detail = verdict(babies, baby, mutated)
    count(kind, outcome)
    assert outcome in ALLOWED, (
        f"{kind} on {baby.sample_id} ({baby.scenario}) record {baby.records[index][:60]!r}: "
        f"{outcome} {detail}; baseline {signature(baby.baseline)}"
    )


def test_the_cohort_has_finding_records():
    babies = cohort()
    assert babies.babies, babies.left_out
    for baby in babies.babies:
        assert baby.finding_records, baby.sample_id
