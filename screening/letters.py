"""Letters: the only jinja2 and WeasyPrint user outside the web package.

``render_letter`` checks that the letter may be issued for the case (human review done for a
flagged baby, the letter kind matches the reported outcome, decisions consistent, identity present),
renders the HTML from ``templates/letters/`` (autoescaped, ``StrictUndefined``: a missing value is an
error, never an empty gap) and turns it into a PDF/A-3u with a URL fetcher that refuses every URL.

Languages: one set of templates in English, translated through gettext catalogues
(``screening/locale/<lang>/LC_MESSAGES/messages.po``, compiled to ``.mo`` at install time by the
Makefile; jinja2's i18n extension with ``{% trans %}`` blocks, Babel for dates and numbers). A letter is
rendered in its programme's language (``screening.programmes``), with that programme's sender and the
doctor its recipients name (GP / egen læge), and ``<html lang>`` set so the PDF/A carries it.

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
from babel.dates import format_date
from babel.numbers import format_decimal
from markupsafe import Markup
from weasyprint.css import ColorProfile
from weasyprint.urls import FatalURLFetchingError

from screening import i18n
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
from screening.domain import CandidateVariant, Finding, Moi, Provenance, Reason
from screening.errors import LetterError, NotFoundError, Problem
from screening.i18n import N_
from screening.programmes import Programme, Programmes, Sender, builtin

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates" / "letters"
LOCALE_DIR = i18n.LOCALE_DIR
TEMPLATES = {kind: f"{kind.value}.html" for kind in LetterKind}
PDF_VARIANT = "pdf/a-3u"
OUTPUT_INTENT = "letters-srgb"

MOI_LABELS = {
    Moi.MONOALLELIC: N_("autosomal dominant (monoallelic)"),
    Moi.BIALLELIC: N_("autosomal recessive (biallelic)"),
    Moi.XLINKED_MONOALLELIC: N_("X-linked (monoallelic)"),
    Moi.XLINKED_BIALLELIC: N_("X-linked recessive (biallelic)"),
}
SWAP_WORDS = N_(
    "We need to check that the sample we tested came from your baby. This is a routine safety check."
)
QC_WORDS = N_("The sample did not give us enough good-quality information to be sure of the result.")
TECHNICAL_WORDS = N_("There was a technical problem when we tested your baby's sample.")
ID_LABELS = {"nhs": N_("NHS number"), "cpr": N_("CPR number")}
# the doctor who gets the doctor's copy: in the letters' sentences, as a title and as a table heading
DOCTOR_WORDS = {
    "gp": {"title": N_("GP"), "yours": N_("your GP"), "heading": N_("GP")},
    "family_doctor": {
        "title": N_("family doctor"),
        "yours": N_("your family doctor"),
        "heading": N_("Family doctor"),
    },
}
DEFAULT_SENDER = Sender()
_CSS_UNSAFE = ('"', "\\", "<", "\n", "\r")


def template_version(directory: Path = TEMPLATE_DIR, locale_dir: Path = LOCALE_DIR) -> str:
    """sha256 over every template file and every translation catalogue (relative name and bytes, in
    name order): the wording of a letter in any of its languages."""
    digest = hashlib.sha256()
    files = [(p.relative_to(directory).as_posix(), p) for p in directory.rglob("*") if p.is_file()]
    files += [(f"locale/{p.relative_to(locale_dir).as_posix()}", p) for p in locale_dir.rglob("*.po")]
    for name, path in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


TEMPLATE_VERSION = template_version()


@cache
def _environment(language: str) -> jinja2.Environment:
    """The letters' templates with the catalogue of one language installed."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(language), newstyle=True)
    return env


def programme_of(case: CaseView, hosted: Programmes) -> Programme:
    """The deployment's programme of the case's batch; a LetterError when it is no longer configured."""
    try:
        return hosted.get(case.programme)
    except NotFoundError as exc:
        raise LetterError("letter", [Problem(_sample(case), exc.reason)]) from None


def _sample(case: CaseView) -> Reason:
    return Reason(N_("sample {sample}"), sample=case.sample_id)


def _programme(case: CaseView, programme: Programme | None) -> Programme:
    """The programme a letter speaks for: the one given, else the built-in one of the case's batch."""
    if programme is not None:
        if programme.key != case.programme:
            template = N_("the batch belongs to programme {programme}, not {other}")
            message = Reason(template, programme=case.programme, other=programme.key)
            raise LetterError("letter", [Problem(_sample(case), message)])
        return programme
    try:
        return builtin().get(case.programme)
    except NotFoundError as exc:
        raise LetterError("letter", [Problem(_sample(case), exc.reason)]) from None


# ----------------------------------------------------------------------------- checks


def letter_problems(kind: LetterKind, case: CaseView) -> tuple[Problem, ...]:
    """Every reason this letter may not be issued for this case (empty: it may)."""
    where = Reason(N_("sample {sample} ({kind} letter)"), sample=case.sample_id, kind=kind.value)
    problems = list(case_problems(case))
    reported = case.reported_outcome
    if case.awaiting_second_reviewer:
        problems.append(
            Problem(
                where,
                Reason(
                    N_("'condition suspected' awaits confirmation by a second reviewer (a different account)")
                ),
            )
        )
    elif reported is None:
        problems.append(
            Problem(where, Reason(N_("flagged by the screen and not yet reviewed: no letter before review")))
        )
    elif reported is not kind.outcome:
        problems.append(
            Problem(
                where,
                Reason(
                    N_("the reported outcome is {reported}, not {expected}"),
                    reported=reported.value,
                    expected=kind.outcome.value,
                ),
            )
        )
    if kind is LetterKind.REFERRAL_PACK and case.case_decision is None:
        problems.append(Problem(where, Reason(N_("a referral pack needs the reviewer's case decision"))))
    if case.swap_hold and case.identity_check is None:
        problems.append(
            Problem(
                where,
                Reason(N_("possible sample swap: the laboratory has not recorded the identity check yet")),
            )
        )
    elif case.swap_hold and case.identity_check.resolution is IdentityResolution.CONFIRMED_IDENTITY:
        problems.append(
            Problem(where, Reason(N_("identity confirmed: the re-screen with the corrected sex is pending")))
        )
    if case.identity is None:
        problems.append(Problem(where, Reason(N_("no identity on record for this sample"))))
    elif case.identity.sample_id != case.sample_id:
        problems.append(Problem(where, Reason(N_("the identity record belongs to another sample"))))
    return tuple(problems)


# ----------------------------------------------------------------------------- context


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """Drop missing values so that a template using one raises (StrictUndefined)."""
    return {k: v for k, v in values.items() if v is not None and v != "" and v != ()}


@dataclass(frozen=True)
class _Words:
    """One language's words and formats for the context of a letter."""

    language: str
    gettext: Callable[[str], str]

    def __call__(self, message: str, **values: Any) -> str:
        text = self.gettext(message)
        return text % values if values else text

    @property
    def locale(self) -> str:
        return i18n.LOCALES[self.language]

    def long_date(self, d: date) -> str:
        return format_date(d, "long", locale=self.locale)

    def number(self, value: float, pattern: str | None = None) -> str:
        return format_decimal(value, format=pattern, locale=self.locale)


def _words(language: str) -> _Words:
    return _Words(language, i18n.translations(language).gettext)


def postal_lines(address_lines: tuple[str, ...], postcode: str, style: str) -> tuple[str, ...]:
    """An identity's address as it is written on an envelope. ``uk``: the address lines, then the
    postcode on a line of its own. ``dk`` (Danish postal addresses: street and number, then postcode
    and town on one line, no county): the postcode before the last line, the town — unless that line
    already starts with it; a one-line address gets the postcode on a line of its own."""
    lines = tuple(address_lines)
    if style != "dk" or len(lines) < 2:
        return (*lines, postcode)
    town = lines[-1]
    if town.split(" ", 1)[0] == postcode:
        return lines
    return (*lines[:-1], f"{postcode} {town}")


def _baby(identity: Identity, t: _Words, address_style: str = "uk") -> dict[str, Any]:
    label = ID_LABELS.get(identity.id_scheme)
    return _present(
        {
            "given_name": identity.given_name,
            "family_name": identity.family_name,
            "full_name": identity.full_name.strip(),
            "national_id": identity.national_id_display,
            "id_label": t(label) if label else None,
            "date_of_birth": t.long_date(identity.date_of_birth),
            "postal_lines": postal_lines(identity.address_lines, identity.postcode, address_style)
            if identity.postcode
            else None,  # a missing postcode is an error (StrictUndefined), never a gap
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


def _variant(v: CandidateVariant, t: _Words) -> dict[str, Any]:
    clinvar = t(N_("not in ClinVar snapshot"))
    if v.clinvar_id is not None:
        stars = t(N_("stars"))
        clinvar = (
            f"{v.clinvar_id}: P/LP {_or(v.clinvar_plp, '?')}, B/LB {_or(v.clinvar_blb, '?')}, "
            f"{stars} {_or(v.clinvar_stars, '?')}"
        )
    if v.phased and v.phase_set:
        phase = t(N_("phased (set %(set)s)"), set=v.phase_set)
    else:
        phase = t(N_("phased")) if v.phased else t(N_("unphased"))
    not_recorded = t(N_("not recorded"))
    return _present(
        {
            "location": f"{v.chrom}:{v.pos}",
            "change": f"{v.ref}>{v.alt}",
            "zygosity": v.zygosity.value,
            "gt": v.gt,
            "dp": _or(v.dp, not_recorded),
            "gq": _or(v.gq, not_recorded),
            "allele_balance": not_recorded
            if v.allele_balance is None
            else t.number(v.allele_balance, "0.00"),
            "phase": phase,
            "routes": ", ".join(r.value for r in v.routes),
            "clinvar": clinvar,
            "consequence": (v.consequence or t(N_("not annotated")))
            + (f" ({v.transcript})" if v.transcript else ""),
            "hgvsc": v.hgvsc or t(N_("not annotated")),
            "hgvsp": v.hgvsp or t(N_("not annotated")),
        }
    )


def _finding(f: Finding, d: FindingDecision, t: _Words) -> dict[str, Any]:
    return _present(
        {
            "symbol": f.symbol,
            "hgnc_id": f.hgnc_id,
            "condition": f.condition,
            "inheritance": t(MOI_LABELS[f.moi]),
            "pattern": f.pattern.value.replace("_", " "),
            "smn1_copies": f.smn1_copies,
            "variants": [_variant(v, t) for v in reportable_variants(f)],
            "acmg_class": d.acmg_class.label,
            "reason": d.reason,
            "decided_by": d.decided_by,
            "decided_at": d.decided_at.strftime("%Y-%m-%d %H:%M"),
        }
    )


def _clinvar_text(p: Provenance, t: _Words) -> str:
    if p.clinvar_sha256 is None:
        return t(N_("not used"))
    source = p.clinvar_source or "ClinVar"
    if p.clinvar_release_date:
        return t(N_("%(source)s, released %(date)s"), source=source, date=p.clinvar_release_date)
    return t(N_("%(source)s, released on an unstated date"), source=source)


def _provenance(case: CaseView, t: _Words) -> dict[str, Any]:
    p = case.provenance
    return _present(
        {
            "panel_id": p.panel_id,
            "panel_version": p.panel_version,
            "panel_sha256": p.panel_sha256,
            "genome_build": p.genome_build,
            "clinvar": _clinvar_text(p, t),
            "clinvar_sha256": _or(p.clinvar_sha256, t(N_("not used"))),
            "vcf_sha256": p.vcf_sha256,
            "software_version": p.software_version,
        }
    )


def _qc(case: CaseView, t: _Words) -> dict[str, Any]:
    q = case.qc
    missing = t(N_("not supplied"))
    return {
        "pct_autosomal_15x": missing if q.pct_autosomal_15x is None else f"{t.number(q.pct_autosomal_15x)} %",
        "q30_gb": missing if q.q30_gb is None else f"{t.number(q.q30_gb)} Gb",
        "contamination_pct": missing if q.contamination_pct is None else f"{t.number(q.contamination_pct)} %",
    }


def plain_reasons(reasons: Iterable[str], language: str = "en") -> tuple[str, ...]:
    """'Testing not possible' reasons in words for parents (no metric names, no numbers)."""
    t = _words(language)
    out: list[str] = []
    for reason in reasons:
        if "sample swap" in reason or "recorded sex" in reason:
            text = t(SWAP_WORDS)
        elif reason.startswith("QC gate failed"):
            text = t(QC_WORDS)
        else:
            text = t(TECHNICAL_WORDS)
        if text not in out:
            out.append(text)
    return tuple(out) or (t(TECHNICAL_WORDS),)


def _css_text(text: str, where: str) -> str:
    """Text for a CSS string in the page margins: nothing that could end the string or the style."""
    if any(c in text for c in _CSS_UNSAFE):
        raise LetterError("letter", [Problem(where, "text for the page footer holds a quote or '<'")])
    return text


def _page_counter(t: _Words) -> Markup:
    """CSS ``content`` of the page counter in the letter's language: "Page 1 of 2", "Side 1 af 2"."""
    text = _css_text(t(N_("Page %(page)s of %(pages)s"), page="\0page\0", pages="\0pages\0"), "page footer")
    parts = [f'"{part}"' if i % 2 == 0 else f"counter({part})" for i, part in enumerate(text.split("\0"))]
    return Markup(" ".join(p for p in parts if p != '""'))


def letter_context(
    kind: LetterKind,
    case: CaseView,
    issued_by: str,
    issued_on: date,
    sender: Sender | None = None,
    programme: Programme | None = None,
):
    """Everything a letter template may show, as plain values (missing ones dropped), in the language of
    the case's programme; ``sender`` overrides the programme's."""
    if case.identity is None:
        raise LetterError(_sample(case), [Problem(_sample(case), Reason(N_("no identity")))])
    chosen = _programme(case, programme)
    t = _words(chosen.language)
    sender = sender or chosen.sender
    decision = case.case_decision
    doctor = {name: t(words) for name, words in DOCTOR_WORDS[chosen.doctor].items()}
    footer = t(
        N_("Ref. %(ref)s · %(kind)s · template %(version)s"),
        ref=case.sample_id,
        kind=kind.value,
        version=TEMPLATE_VERSION[:12],
    )
    return _present(
        {
            "kind": kind.value,
            "lang": chosen.language,
            "programme": chosen.key,
            "sample_id": case.sample_id,
            "batch_id": case.batch_id,
            "issued_by": issued_by,
            "issued_on": t.long_date(issued_on),
            "issued_on_iso": issued_on.isoformat(),
            "template_version": TEMPLATE_VERSION,
            "footer_reference": Markup(_css_text(footer, "page footer")),
            "page_counter": _page_counter(t),
            "sender": _present(vars(sender)),
            "doctor": doctor,
            "baby": _baby(case.identity, t, chosen.address_style),
            "gp": _gp(case.identity),
            "karyotype": case.karyotype.value,
            "qc": _qc(case, t),
            "provenance": _provenance(case, t),
            "limitations": tuple(i18n.engine_text(n, chosen.language) for n in case.not_evaluated),
            "findings": [_finding(f, d, t) for f, d in case.confirmed_findings],
            "not_confirmed_count": len(case.findings) - len(case.confirmed_findings),
            "technical_reasons": tuple(i18n.engine_text(r, chosen.language) for r in case.reasons),
            "plain_reasons": plain_reasons(case.reasons, chosen.language),
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


def render_html(
    kind: LetterKind,
    case: CaseView,
    issued_by: str,
    issued_on: date,
    sender: Sender | None = None,
    programme: Programme | None = None,
):
    """The letter as HTML text, after every check of :func:`letter_problems` (raises LetterError).
    ``programme``: the deployment's programme of the case's batch (default: the built-in one)."""
    problems = letter_problems(kind, case)
    if not issued_by.strip():
        problems += (Problem(f"sample {case.sample_id}", "issued_by is empty"),)
    if problems:
        raise LetterError(f"{kind.value} letter for sample {case.sample_id}", problems)
    context = letter_context(kind, case, issued_by, issued_on, sender, programme)
    try:
        return _environment(context["lang"]).get_template(TEMPLATES[kind]).render(context)
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
    kind: LetterKind,
    case: CaseView,
    issued_by: str,
    issued_on: date,
    sender: Sender | None = None,
    programme: Programme | None = None,
) -> RenderedLetter:
    """Render one letter to HTML and PDF/A in its programme's language; raises LetterError listing
    every problem."""
    html = render_html(kind, case, issued_by, issued_on, sender, programme)
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
    sender: Sender | None = None,
    programme: Programme | None = None,
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
        letters.append(render_letter(kind, case, issued_by, issued_on, sender, programme))
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
    "postal_lines",
    "programme_of",
    "render_batch",
    "render_html",
    "render_letter",
    "template_version",
]
