"""Letters: the only jinja2 and WeasyPrint user outside the web package.

``render_letter`` checks that the letter may be issued for the case (human review done for a
flagged baby, the letter kind matches the reported outcome, decisions consistent, identity present),
renders the HTML from ``templates/letters/`` (autoescaped, ``StrictUndefined``: a missing value is an
error, never an empty gap) and turns it into a PDF/A-3u with a URL fetcher that refuses every URL.

Missing values: the template context is built from plain dicts from which ``None`` and empty
strings are dropped, so a template that uses a missing name, date or number raises. Values that may
legitimately be absent (a variant's GQ, an unsupplied QC metric, no ClinVar snapshot) are written
as words ("not recorded", "not supplied", "not used") on purpose, before rendering.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import weasyprint
from weasyprint.css import ColorProfile
from weasyprint.urls import FatalURLFetchingError

from screening.cases import (
    CaseView,
    FindingDecision,
    Identity,
    IdentityResolution,
    LetterKind,
    RenderedLetter,
    case_problems,
    reportable_variants,
)
from screening.domain import CandidateVariant, Finding, Moi, Provenance
from screening.errors import LetterError, Problem

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"
TEMPLATES = {kind: f"{kind.value}.html" for kind in LetterKind}
PDF_VARIANT = "pdf/a-3u"
OUTPUT_INTENT = "letters-srgb"

MOI_LABELS = {
    Moi.MONOALLELIC: "autosomal dominant (monoallelic)",
    Moi.BIALLELIC: "autosomal recessive (biallelic)",
    Moi.XLINKED_MONOALLELIC: "X-linked (monoallelic)",
    Moi.XLINKED_BIALLELIC: "X-linked recessive (biallelic)",
}
SWAP_WORDS = "We need to check that the sample we tested came from your baby. This is a routine safety check."
ID_LABELS = {"nhs": "NHS number", "cpr": "CPR number"}


@dataclass(frozen=True)
class Sender:
    """Who the letters come from (configured per deployment)."""

    programme: str = "Newborn Genome Screening Programme"
    team: str = "Newborn Screening Team"
    contact: str = ""  # telephone / e-mail line; omitted when empty


DEFAULT_SENDER = Sender()


def template_version(directory: Path = TEMPLATE_DIR) -> str:
    """sha256 over every template file (relative name and bytes, in name order)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


TEMPLATE_VERSION = template_version()


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


# ----------------------------------------------------------------------------- checks


def letter_problems(kind: LetterKind, case: CaseView) -> tuple[Problem, ...]:
    """Every reason this letter may not be issued for this case (empty: it may)."""
    where = f"sample {case.sample_id} ({kind.value} letter)"
    problems = list(case_problems(case))
    reported = case.reported_outcome
    if case.awaiting_second_reviewer:
        problems.append(
            Problem(
                where, "'condition suspected' awaits confirmation by a second reviewer (a different account)"
            )
        )
    elif reported is None:
        problems.append(Problem(where, "flagged by the screen and not yet reviewed: no letter before review"))
    elif reported is not kind.outcome:
        problems.append(Problem(where, f"the reported outcome is {reported.value}, not {kind.outcome.value}"))
    if kind is LetterKind.REFERRAL_PACK and case.case_decision is None:
        problems.append(Problem(where, "a referral pack needs the reviewer's case decision"))
    if case.swap_hold and case.identity_check is None:
        problems.append(
            Problem(where, "possible sample swap: the laboratory has not recorded the identity check yet")
        )
    elif case.swap_hold and case.identity_check.resolution is IdentityResolution.CONFIRMED_IDENTITY:
        problems.append(Problem(where, "identity confirmed: the re-screen with the corrected sex is pending"))
    if case.identity is None:
        problems.append(Problem(where, "no identity on record for this sample"))
    elif case.identity.sample_id != case.sample_id:
        problems.append(Problem(where, "the identity record belongs to another sample"))
    return tuple(problems)


# ----------------------------------------------------------------------------- context


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Drop missing values so that a template using one raises (StrictUndefined)."""
    return {k: v for k, v in values.items() if v is not None and v != "" and v != ()}


def _long_date(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def _baby(identity: Identity) -> dict[str, Any]:
    return _present(
        {
            "given_name": identity.given_name,
            "family_name": identity.family_name,
            "full_name": identity.full_name.strip(),
            "national_id": identity.national_id_display,
            "id_label": ID_LABELS.get(identity.id_scheme),
            "date_of_birth": _long_date(identity.date_of_birth),
            "address_lines": identity.address_lines,
            "postcode": identity.postcode,
        }
    )


def _gp(identity: Identity) -> dict[str, Any]:
    return _present(
        {
            "name": identity.gp_name,
            "practice": identity.gp_practice,
            "address_lines": identity.gp_address_lines,
        }
    )


def _or(value: Any, missing: str) -> Any:
    return missing if value is None else value


def _variant(v: CandidateVariant) -> dict[str, Any]:
    clinvar = "not in ClinVar snapshot"
    if v.clinvar_id is not None:
        clinvar = (
            f"{v.clinvar_id}: P/LP {_or(v.clinvar_plp, '?')}, B/LB {_or(v.clinvar_blb, '?')}, "
            f"stars {_or(v.clinvar_stars, '?')}"
        )
    phase = (
        f"phased (set {v.phase_set})" if v.phased and v.phase_set else "phased" if v.phased else "unphased"
    )
    return _present(
        {
            "location": f"{v.chrom}:{v.pos}",
            "change": f"{v.ref}>{v.alt}",
            "zygosity": v.zygosity.value,
            "gt": v.gt,
            "dp": _or(v.dp, "not recorded"),
            "gq": _or(v.gq, "not recorded"),
            "allele_balance": "not recorded" if v.allele_balance is None else f"{v.allele_balance:.2f}",
            "phase": phase,
            "routes": ", ".join(r.value for r in v.routes),
            "clinvar": clinvar,
            "consequence": (v.consequence or "not annotated")
            + (f" ({v.transcript})" if v.transcript else ""),
            "hgvsc": v.hgvsc or "not annotated",
            "hgvsp": v.hgvsp or "not annotated",
        }
    )


def _finding(f: Finding, d: FindingDecision) -> dict[str, Any]:
    return _present(
        {
            "symbol": f.symbol,
            "hgnc_id": f.hgnc_id,
            "condition": f.condition,
            "inheritance": MOI_LABELS[f.moi],
            "pattern": f.pattern.value.replace("_", " "),
            "smn1_copies": f.smn1_copies,
            "variants": [_variant(v) for v in reportable_variants(f)],
            "acmg_class": d.acmg_class.label,
            "reason": d.reason,
            "decided_by": d.decided_by,
            "decided_at": d.decided_at.strftime("%Y-%m-%d %H:%M"),
        }
    )


def _clinvar_text(p: Provenance) -> str:
    if p.clinvar_sha256 is None:
        return "not used"
    released = p.clinvar_release_date or "on an unstated date"
    return f"{p.clinvar_source or 'ClinVar'}, released {released}"


def _provenance(case: CaseView) -> dict[str, Any]:
    p = case.provenance
    return _present(
        {
            "panel_id": p.panel_id,
            "panel_version": p.panel_version,
            "panel_sha256": p.panel_sha256,
            "genome_build": p.genome_build,
            "clinvar": _clinvar_text(p),
            "clinvar_sha256": _or(p.clinvar_sha256, "not used"),
            "vcf_sha256": p.vcf_sha256,
            "software_version": p.software_version,
        }
    )


def _qc(case: CaseView) -> dict[str, Any]:
    q = case.qc
    return {
        "pct_autosomal_15x": "not supplied" if q.pct_autosomal_15x is None else f"{q.pct_autosomal_15x:g} %",
        "q30_gb": "not supplied" if q.q30_gb is None else f"{q.q30_gb:g} Gb",
        "contamination_pct": "not supplied" if q.contamination_pct is None else f"{q.contamination_pct:g} %",
    }


def plain_reasons(reasons: Iterable[str]) -> tuple[str, ...]:
    """'Testing not possible' reasons in words for parents (no metric names, no numbers)."""
    out: list[str] = []
    for reason in reasons:
        if "sample swap" in reason or "recorded sex" in reason:
            text = SWAP_WORDS
        elif reason.startswith("QC gate failed"):
            text = "The sample did not give us enough good-quality information to be sure of the result."
        else:
            text = "There was a technical problem when we tested your baby's sample."
        if text not in out:
            out.append(text)
    return tuple(out) or ("There was a technical problem when we tested your baby's sample.",)


def letter_context(kind: LetterKind, case: CaseView, issued_by: str, issued_on: date, sender: Sender):
    """Everything a letter template may show, as plain values (missing ones dropped)."""
    if case.identity is None:
        raise LetterError(f"sample {case.sample_id}", [Problem(f"sample {case.sample_id}", "no identity")])
    decision = case.case_decision
    return _present(
        {
            "kind": kind.value,
            "sample_id": case.sample_id,
            "batch_id": case.batch_id,
            "issued_by": issued_by,
            "issued_on": _long_date(issued_on),
            "issued_on_iso": issued_on.isoformat(),
            "template_version": TEMPLATE_VERSION,
            "sender": _present(vars(sender)),
            "baby": _baby(case.identity),
            "gp": _gp(case.identity),
            "karyotype": case.karyotype.value,
            "qc": _qc(case),
            "provenance": _provenance(case),
            "limitations": case.not_evaluated,
            "findings": [_finding(f, d) for f, d in case.confirmed_findings],
            "not_confirmed_count": len(case.findings) - len(case.confirmed_findings),
            "technical_reasons": case.reasons,
            "plain_reasons": plain_reasons(case.reasons),
            "decision": None
            if decision is None
            else _present(
                {
                    "reason": decision.reason,
                    "decided_by": decision.decided_by,
                    "decided_at": decision.decided_at.strftime("%Y-%m-%d %H:%M"),
                    "confirmed_by": decision.second_reviewer.confirmed_by
                    if decision.second_reviewer
                    else None,
                    "confirmed_at": decision.second_reviewer.confirmed_at.strftime("%Y-%m-%d %H:%M")
                    if decision.second_reviewer
                    else None,
                }
            ),
        }
    )


# ----------------------------------------------------------------------------- rendering


def render_html(kind: LetterKind, case: CaseView, issued_by: str, issued_on: date, sender=DEFAULT_SENDER):
    """The letter as HTML text, after every check of :func:`letter_problems` (raises LetterError)."""
    problems = letter_problems(kind, case)
    if not issued_by.strip():
        problems += (Problem(f"sample {case.sample_id}", "issued_by is empty"),)
    if problems:
        raise LetterError(f"{kind.value} letter for sample {case.sample_id}", problems)
    context = letter_context(kind, case, issued_by, issued_on, sender)
    try:
        return _environment().get_template(TEMPLATES[kind]).render(context)
    except jinja2.UndefinedError as exc:  # names the missing variable, never a value
        where = f"{TEMPLATES[kind]} (sample {case.sample_id})"
        raise LetterError(f"{kind.value} letter", [Problem(where, f"missing value: {exc.message}")]) from None
    except jinja2.TemplateError as exc:
        raise LetterError(f"{kind.value} letter", [Problem(TEMPLATES[kind], str(exc))]) from None


class _RefuseAll(FatalURLFetchingError):
    pass


class _NoFetching(weasyprint.URLFetcher):
    """Letters are self-contained: every network, file or data URL is refused (fatal)."""

    def fetch(self, url, headers=None):
        raise _RefuseAll(f"letters fetch no URLs (refused {url.split(':', 1)[0]} URL)")


@cache
def _srgb_icc() -> bytes:
    return (resources.files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()


def _output_intent() -> dict[str, ColorProfile]:
    """The sRGB output intent PDF/A needs, given explicitly: WeasyPrint's own ``output_intent="srgb"``
    path leaves the ICC file open (a ResourceWarning, an error under the test settings). A fresh
    profile per document, as WeasyPrint writes the PDF object reference into it."""
    profile = ColorProfile(
        io.BytesIO(_srgb_icc()), "sRGB2014.icc", "relative-colorimetric", (["r"], ["g"], ["b"])
    )
    return {OUTPUT_INTENT: profile}


def html_to_pdf(html: str) -> bytes:
    """PDF/A-3u from letter HTML; deterministic for the same HTML on one installation."""
    try:
        document = weasyprint.HTML(string=html, base_url=None, url_fetcher=_NoFetching())
        return document.write_pdf(
            pdf_variant=PDF_VARIANT, output_intent=OUTPUT_INTENT, color_profiles=_output_intent()
        )
    except _RefuseAll as exc:
        raise LetterError("letter PDF", [Problem("letter HTML", str(exc))]) from None


def render_letter(
    kind: LetterKind, case: CaseView, issued_by: str, issued_on: date, sender: Sender = DEFAULT_SENDER
) -> RenderedLetter:
    """Render one letter to HTML and PDF/A; raises LetterError listing every problem."""
    html = render_html(kind, case, issued_by, issued_on, sender)
    pdf = html_to_pdf(html)
    return RenderedLetter(
        kind=kind,
        sample_id=case.sample_id,
        html=html,
        pdf=pdf,
        sha256=hashlib.sha256(html.encode("utf-8")).hexdigest(),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        template_version=TEMPLATE_VERSION,
        issued_by=issued_by,
        issued_on=issued_on,
    )


def render_batch(
    cases: Iterable[CaseView],
    kind: LetterKind,
    issued_by: str,
    issued_on: date,
    *,
    progress: Callable[[int, int], None] | None = None,
    sender: Sender = DEFAULT_SENDER,
) -> tuple[RenderedLetter, ...]:
    """Render one kind of letter for many cases, in order. Every case is checked first and all
    problems are reported together before anything is rendered; ``progress(done, total)`` is called
    after each letter (and once with 0 before the first)."""
    cases = tuple(cases)
    problems = [p for case in cases for p in letter_problems(kind, case)]
    if problems:
        raise LetterError(f"{kind.value} letters ({len(cases)} cases)", problems)
    letters = []
    if progress:
        progress(0, len(cases))
    for done, case in enumerate(cases, start=1):
        letters.append(render_letter(kind, case, issued_by, issued_on, sender))
        if progress:
            progress(done, len(cases))
    return tuple(letters)


def cases_for_letter(cases: Iterable[CaseView], kind: LetterKind) -> tuple[CaseView, ...]:
    """The cases whose reported outcome is the one this kind of letter is for (e.g. every baby of a
    batch with 'no condition suspected'); flagged babies awaiting review are never included."""
    return tuple(c for c in cases if c.reported_outcome is kind.outcome)


__all__ = [
    "DEFAULT_SENDER",
    "TEMPLATE_VERSION",
    "LetterError",
    "Sender",
    "cases_for_letter",
    "html_to_pdf",
    "letter_context",
    "letter_problems",
    "plain_reasons",
    "render_batch",
    "render_html",
    "render_letter",
    "template_version",
]
