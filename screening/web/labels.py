"""Words for the codes the engine records, as reviewers read them on the pages (the stored values and
the JSON stay the codes), translated into the page's language. Also the ClinVar link of a variant from
the snapshot's variation id."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from screening import i18n
from screening.domain import Moi, Pattern, Reason, Route, Zygosity
from screening.errors import Problem
from screening.i18n import N_

PATTERNS = {
    Pattern.HETEROZYGOUS: N_("one variant (heterozygous)"),
    Pattern.HOMOZYGOUS: N_("the same variant on both copies (homozygous)"),
    Pattern.HEMIZYGOUS: N_("one variant on the only X copy (hemizygous)"),
    Pattern.COMPOUND_HET_TRANS: N_(
        "two different variants on different copies (compound heterozygous, phased)"
    ),
    Pattern.COMPOUND_HET_PHASE_UNKNOWN: N_(
        "two different variants, phase unknown: possibly compound heterozygous (could be on one copy)"
    ),
    Pattern.COPY_NUMBER_ZERO: N_("no copy of the gene (copy number 0)"),
}
ROUTES = {
    Route.CURATED: N_("on the panel's curated include list"),
    Route.CLINVAR: N_("pathogenic / likely pathogenic in ClinVar"),
    Route.LOF: N_("predicted loss of function in a loss-of-function gene"),
    Route.TARGETED: N_("targeted caller (copy number)"),
}
MOIS = {
    Moi.MONOALLELIC: N_("autosomal dominant (one variant enough)"),
    Moi.BIALLELIC: N_("autosomal recessive (both copies)"),
    Moi.XLINKED_MONOALLELIC: N_("X-linked (one variant enough)"),
    Moi.XLINKED_BIALLELIC: N_("X-linked recessive"),
}
ZYGOSITIES = {
    Zygosity.HET: N_("heterozygous"),
    Zygosity.HOM: N_("homozygous"),
    Zygosity.HEMI: N_("hemizygous"),
}
# the codes shown through the pages' ``label`` filter (underscores as spaces), in words a catalogue
# translates: outcomes, review states, turnaround spans, impact categories, shared-file categories
CODE_WORDS = (
    N_("condition suspected"),
    N_("no condition suspected"),
    N_("testing not possible"),
    N_("confirmed"),
    N_("not confirmed"),
    N_("awaiting second reviewer"),
    N_("awaiting review"),
    N_("receipt to screened"),
    N_("screened to reviewed"),
    N_("receipt to letter"),
    N_("all"),
    N_("newly suspected"),
    N_("no longer suspected"),
    N_("unchanged"),
    N_("not comparable"),
    N_("condition suspected confirmed"),
    N_("condition suspected not confirmed"),
    N_("condition suspected awaiting review"),
    N_("all babies with an outcome"),
    N_("week"),
    N_("month"),
    N_("pathogenic"),
    N_("likely pathogenic"),
    N_("uncertain significance"),
    N_("likely benign"),
    N_("benign"),
    N_("confirmed identity"),
    N_("new sample"),
    # the kinds of letter (cases.LetterKind), as the batch letters page lists them
    N_("no condition suspected parents"),
    N_("no condition suspected gp"),
    N_("referral pack"),
    # the states of a batch (the lab's batch list)
    N_("running"),
    N_("finalised"),
    # the testing-not-possible reasons of the dashboard (screening/figures.py REASON_CATEGORIES)
    N_("recorded sex contradicts the VCF (possible sample swap)"),
    N_("VCF incomplete"),
    N_("QC gate failed: autosomal bases at 15x"),
    N_("QC gate failed: Q30 gigabases"),
    N_("QC gate failed: contamination"),
    N_("VCF could not be used (sample held)"),
    N_("another reason"),
)
_CLINVAR_ID = re.compile(r"^\d{1,12}$")
_CODES = re.compile(
    r"\b(" + "|".join(sorted((p.value for p in PATTERNS if "_" in p.value), key=len, reverse=True)) + r")\b"
)


def _lookup(table: dict, enum: type, value: Any) -> str:
    try:
        return table[enum(value)]
    except (ValueError, KeyError):
        return str(value).replace("_", " ")


def pattern_label(value: Any) -> str:
    return _lookup(PATTERNS, Pattern, value)


def route_label(value: Any) -> str:
    return _lookup(ROUTES, Route, value)


def moi_label(value: Any) -> str:
    return _lookup(MOIS, Moi, value)


def zygosity_label(value: Any) -> str:
    return _lookup(ZYGOSITIES, Zygosity, value)


def clinvar_url(variation_id: Any) -> str | None:
    """The ClinVar page of a variation id from the snapshot (None for anything else)."""
    text = str(variation_id or "").strip()
    return f"https://www.ncbi.nlm.nih.gov/clinvar/variation/{text}/" if _CLINVAR_ID.match(text) else None


def reason_text(
    reason: Any, language: str = i18n.SOURCE_LANGUAGE, translate: Callable[[str], str] = str
) -> str:
    """An engine reason or note in the page's language (``i18n.engine_text``: a text that is no
    template stays English and says so), with its multi-word pattern codes in words (one pass: labels
    are not re-read)."""
    text = i18n.engine_text(reason, language) if isinstance(reason, str) else str(reason)
    return _CODES.sub(lambda m: translate(PATTERNS[Pattern(m.group(0))]), text)


def problem_text(
    problem: Any, language: str = i18n.SOURCE_LANGUAGE, translate: Callable[[str], str] = str
) -> str:
    """A validation problem (``where: message``), its message as ``reason_text`` shows it: in the
    page's language when it was built from a template (a ``Reason``), else English, said to be so.
    Its ``where`` is a file and line as written, or a ``Reason`` ("sample B07") in the language. A
    problem given as one text (a job's, a request's) reads as ``reason_text`` shows it."""
    if isinstance(problem, Problem):
        return f"{where_text(problem.where, language)}: {reason_text(problem.message, language, translate)}"
    return reason_text(problem, language, translate) if isinstance(problem, str) else str(problem)


def where_text(where: Any, language: str = i18n.SOURCE_LANGUAGE) -> str:
    """A place or subject (a problem's ``where``, an error's subject): a ``Reason`` in the language; a
    file name or path as it is (a name, not English to be marked)."""
    return i18n.engine_text(where, language) if isinstance(where, Reason) else str(where)


def filters(
    translate: Callable[[str], str], language: str = i18n.SOURCE_LANGUAGE
) -> dict[str, Callable[[Any], Any]]:
    """The pages' filters in one language (``translate``: its catalogue's gettext). The engine's
    reasons and notes (``reason_text``) are translated from the templates they were built from."""

    def words(text: str) -> str:
        return translate(text) if text else text

    return {
        "label": lambda v: words(str(v).replace("_", " ")),
        "reason_text": lambda v: reason_text(v, language, translate),
        "problem_text": lambda p: problem_text(p, language, translate),
        "where_text": lambda w: where_text(w, language),
        "pattern_label": lambda v: words(pattern_label(v)),
        "route_label": lambda v: words(route_label(v)),
        "moi_label": lambda v: words(moi_label(v)),
        "zygosity_label": lambda v: words(zygosity_label(v)),
        "clinvar_url": clinvar_url,
    }
