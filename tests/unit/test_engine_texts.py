"""The engine's reasons and "not evaluated" notes (``domain.Reason``): the English text is what is
stored and compared, built from a gettext-marked template and its parameters, kept with the text and
rendered in Danish through the catalogue — every template the core builds has a translation, every
placeholder survives it, numbers are written the Danish way, and no English reason text is left in
the Danish rendering."""

from __future__ import annotations

import pickle
import re
from dataclasses import replace

import pytest
from babel.messages.pofile import read_po

from screening import completeness, i18n, inheritance, rules
from screening.completeness import RegionCount
from screening.domain import N_, Outcome, Reason, SampleQc, Sex, SexEvidence
from screening.sample_screen import ReadFacts, screen_sample
from tests.unit.builders import FACTS, XY_EVIDENCE, call, calls_frame, panel, screen_input

FINDING_TEMPLATE = "{symbol} ({hgnc_id}) {moi}: {pattern}"  # codes and names only: nothing to translate
FIELD = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def _catalogue():
    po, _ = i18n.catalogue_paths("da")
    with po.open("rb") as handle:
        return read_po(handle, locale="da")


def _templates(text) -> list[Reason]:
    """A reason and every reason nested in its parameters."""
    if isinstance(text, tuple):
        return [r for t in text for r in _templates(t)]
    if not isinstance(text, Reason):
        return []
    return [text, *(r for v in text.params.values() for r in _templates(v))]


def _english_fragments(reason: Reason) -> list[str]:
    """The template's own words between its placeholders (long enough to be English, not a code)."""
    return [part.strip(" ;:,()") for part in FIELD.split(reason.template)[::2] if len(part.strip()) >= 12]


def _held_and_partial_results():
    """Babies the core holds or screens with parts not evaluated, for every text the core builds."""
    no_annotation = replace(FACTS, annotation=None, format_fields=frozenset({"GT"}))
    sparse_x = SexEvidence(30, 2, 0, 0, 1, False)
    boyish = SexEvidence(400, 3, 30, 0, 1, True, y_hemi=3)  # one X, no Y evidenced: read whole chrX
    read = ReadFacts(
        region_counts=(RegionCount("1", 1_000_000, 1_010_000, 0),),
        indexed_contigs=frozenset({"1"}),
        notes=(),
        left_aligned=False,
    )
    clean = calls_frame(call("1", 1_005_000))
    return [
        screen_sample(screen_input(clean, sex=Sex.FEMALE, evidence=XY_EVIDENCE)),  # sample swap
        screen_sample(screen_input(clean, sex=Sex.FEMALE, evidence=boyish)),  # one X in a girl
        screen_sample(screen_input(clean, sex=Sex.MALE, qc=SampleQc(90.0, None, 3.2))),  # two X, QC
        screen_sample(screen_input(clean, evidence=sparse_x, facts=no_annotation, smn1=None)),
        screen_sample(replace(screen_input(clean), read=read)),  # incomplete VCF
        screen_sample(screen_input(clean)),  # nothing found
    ]


def _core_reasons() -> list[Reason]:
    found = [t for result in _held_and_partial_results() for t in (*result.reasons, *result.not_evaluated)]
    genes = panel().active_genes
    found += completeness.problems(
        [RegionCount(g.chrom, g.start, g.end, 400) for g in genes], frozenset({"1"}), genes, panel().settings
    )
    found += rules.format_notes(replace(FACTS, format_fields=frozenset({"GT"})))
    found.append(inheritance.infer_karyotype(SexEvidence(400, 100, 0, 40, 1, True), panel().settings).note)
    assert all(isinstance(t, Reason) for t in found), [t for t in found if not isinstance(t, Reason)]
    return found


def test_a_reason_is_its_english_text_built_from_a_marked_template():
    template = N_("QC gate failed: {name} {value:g} (required {op} {limit:g})")
    reason = Reason(template, name="q30_gb", value=80.5, op=">=", limit=85.0)
    assert reason == "QC gate failed: q30_gb 80.5 (required >= 85)"
    assert isinstance(reason, str)
    assert reason.render() == str(reason)
    assert i18n.engine_text(reason, "en") == str(reason)
    assert i18n.engine_text(reason, "da") == "QC-krav ikke opfyldt: q30_gb 80,5 (krævet >= 85)"
    back = pickle.loads(pickle.dumps(reason))
    assert (back, back.template, back.params) == (reason, reason.template, reason.params)


def test_a_stored_reason_comes_back_only_when_its_template_gives_back_its_text():
    note = Reason(N_("VCF incomplete: {problems}"), problems=(Reason(N_("{n} chrX windows"), n=3), "x"))
    assert note == "VCF incomplete: 3 chrX windows; x"
    rebuilt = Reason.from_json(str(note), note.as_json())
    assert isinstance(rebuilt, Reason)
    assert rebuilt.as_json() == note.as_json()
    assert i18n.engine_text(rebuilt, "da") == "VCF'en er ufuldstændig: 3 chrX-vinduer; x"
    # a row screened before templates were kept, or whose template no longer gives its text: English,
    # and said to be so in the reader's language
    for doc in (None, {"template": "other {n}", "params": {"n": 1}}, {"template": "{n}"}, ["x"], 7):
        kept = Reason.from_json(str(note), doc)
        assert not isinstance(kept, Reason)
        assert i18n.engine_text(kept, "da") == f"{note} (teknisk tekst, kun på engelsk)"
        assert i18n.engine_text(kept, "en") == str(note)


def test_numbers_with_a_format_are_written_the_danish_way_and_positions_as_digits():
    tail = Reason(
        N_("no records in the last fifth of chromosome {chrom} (from {start:,}): the file stops early"),
        chrom="7",
        start=127_473_531,
    )
    assert "(from 127,473,531)" in tail
    assert "(fra 127.473.531)" in i18n.engine_text(tail, "da")
    note = inheritance.infer_karyotype(SexEvidence(400, 100, 0, 40, 1, True), panel().settings).note
    assert "fraction 0.250 over 400 calls" in note
    assert "på chrX 0,250 ud af 400 kald" in i18n.engine_text(note, "da")
    assert i18n.number_text(1234.5, ",.0f", "da") == "1.234"
    assert i18n.number_text(3.0, "g", "da") == "3"
    # Python rounds, as in the English text (3/400 is 0.007 there): the language only writes the digits
    assert (format(3 / 400, ".3f"), i18n.number_text(3 / 400, ".3f", "da")) == ("0.007", "0,007")
    assert i18n.number_text(0.000125, "g", "da") == "0,000125"


def test_every_template_the_core_builds_has_a_danish_translation_and_leaves_no_english():
    catalogue = _catalogue()
    reasons = _core_reasons()
    templates = {r.template for text in reasons for r in _templates(text)} - {FINDING_TEMPLATE}
    assert len(templates) >= 20  # held babies, not-evaluated notes, karyotype and completeness texts
    missing = sorted(t for t in templates if catalogue.get(t) is None or not catalogue.get(t).string)
    assert not missing, "mark with N_(), run make messages, translate:\n" + "\n".join(missing)
    for text in reasons:
        danish = i18n.engine_text(text, "da")
        leaked = [f for r in _templates(text) for f in _english_fragments(r) if f in danish]
        assert not leaked, (leaked, danish)
    outcomes = {r.outcome for r in _held_and_partial_results()}
    assert outcomes == {Outcome.TESTING_NOT_POSSIBLE, Outcome.NO_CONDITION_SUSPECTED}


def test_the_sample_swap_hold_reads_in_danish_and_keeps_its_english_words_for_the_categories():
    held = screen_sample(
        screen_input(calls_frame(call("1", 1_005_000)), sex=Sex.FEMALE, evidence=XY_EVIDENCE)
    )
    reason = held.reasons[0]
    assert "possible sample swap" in reason  # what figures.py and the lab's page look for
    danish = i18n.engine_text(reason, "da")
    assert danish.startswith("registreret køn pige, men VCF'en viser ét X-kromosom og et Y-kromosom")
    assert "mulig prøveombytning" in danish


@pytest.mark.parametrize("entry", [m for m in _catalogue() if m.id and "{" in m.id], ids=lambda m: m.id[:40])
def test_translations_keep_every_brace_placeholder_and_its_format(entry):
    assert sorted(re.findall(r"\{[^}]*\}", entry.id)) == sorted(re.findall(r"\{[^}]*\}", entry.string))
