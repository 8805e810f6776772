"""Builders of reviewed cases (CaseView) for letter and FHIR tests: no files, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from screening.cases import (
    AcmgClass,
    CaseConfirmation,
    CaseDecision,
    CaseView,
    FindingCall,
    FindingDecision,
    Identity,
    IdentityCheck,
    IdentityResolution,
)
from screening.domain import (
    CandidateRole,
    CandidateVariant,
    Finding,
    Karyotype,
    Moi,
    Outcome,
    Pattern,
    Provenance,
    Route,
    SampleQc,
    Zygosity,
)

WHEN = datetime(2026, 3, 2, 14, 30)
ISSUED_ON = date(2026, 3, 3)


def identity(sample_id: str = "B07", **kw) -> Identity:
    values = {
        "sample_id": sample_id,
        "given_name": "Olivia",
        "family_name": "Testbaby",
        "national_id": "9434765919",
        "id_scheme": "nhs",
        "date_of_birth": date(2026, 2, 14),
        "address_lines": ("12 Example Road", "Leeds"),
        "postcode": "LS1 4AP",
        "gp_name": "Dr A. Practitioner",
        "gp_practice": "Riverside Surgery",
        "gp_address_lines": ("1 River Street", "Leeds", "LS2 7UE"),
    }
    values.update(kw)
    return Identity(**values)


def provenance(**kw) -> Provenance:
    values = {
        "panel_id": "gs-newborn",
        "panel_version": "2.10",
        "panel_sha256": "a" * 64,
        "genome_build": "GRCh38",
        "clinvar_source": "clinvar_20260105.vcf.gz",
        "clinvar_release_date": "2026-01-05",
        "clinvar_sha256": "c" * 64,
        "vcf_sha256": "f" * 64,
        "vcf_sample": "B07",
        "karyotype": "XX",
        "settings": {},
        "software_version": "newborn-screening 0.1.0",
    }
    values.update(kw)
    return Provenance(**values)


def variant(pos: int, zygosity=Zygosity.HET, role=CandidateRole.FINDING, **kw) -> CandidateVariant:
    values = {
        "hgnc_id": "HGNC:4135",
        "symbol": "GALT",
        "chrom": "9",
        "pos": pos,
        "ref": "A",
        "alt": "G",
        "zygosity": zygosity,
        "routes": (Route.CLINVAR,),
        "role": role,
        "gt": "0/1" if zygosity is Zygosity.HET else "1/1",
        "gq": 99,
        "dp": 35,
        "ad_ref": 17,
        "ad_alt": 18,
        "allele_balance": 18 / 35,
        "phased": False,
        "phase_set": None,
        "filter": "PASS",
        "clinvar_id": "3614",
        "clinvar_plp": 12,
        "clinvar_blb": 0,
        "clinvar_stars": 2,
        "consequence": "missense_variant",
        "transcript": "ENST00000378842",
    }
    values.update(kw)
    return CandidateVariant(**values)


GALT = Finding(
    hgnc_id="HGNC:4135",
    symbol="GALT",
    moi=Moi.BIALLELIC,
    condition="Galactosaemia",
    pattern=Pattern.COMPOUND_HET_PHASE_UNKNOWN,
    variants=(variant(34_648_168), variant(34_649_442, ref="C", alt="T", clinvar_id="25120")),
)
CARRIER_VARIANT = variant(
    48_000_000, hgnc_id="HGNC:2986", symbol="CARRIERGENE", chrom="7", role=CandidateRole.CARRIER
)
OTC = Finding(
    hgnc_id="HGNC:8512",
    symbol="OTC",
    moi=Moi.XLINKED_BIALLELIC,
    condition="Ornithine transcarbamylase deficiency",
    pattern=Pattern.HEMIZYGOUS,
    variants=(
        variant(
            38_368_000, Zygosity.HEMI, hgnc_id="HGNC:8512", symbol="OTC", chrom="X", gt="1", clinvar_id=None
        ),
    ),
)


def decision(hgnc_id: str, call=FindingCall.CONFIRMED, **kw) -> FindingDecision:
    values = {
        "hgnc_id": hgnc_id,
        "decision": call,
        "acmg_class": AcmgClass.PATHOGENIC
        if call is FindingCall.CONFIRMED
        else AcmgClass.UNCERTAIN_SIGNIFICANCE,
        "reason": "Both variants pathogenic in ClinVar (2 stars); trans configuration to be confirmed",
        "decided_by": "dr.reviewer",
        "decided_at": WHEN,
    }
    values.update(kw)
    return FindingDecision(**values)


def case(outcome=Outcome.NO_CONDITION_SUSPECTED, **kw) -> CaseView:
    values = {
        "sample_id": "B07",
        "batch_id": "batch-2026-03-01",
        "outcome": outcome,
        "karyotype": Karyotype.XX,
        "reasons": ("no gene's inheritance rule met",),
        "findings": (),
        "provenance": provenance(),
        "qc": SampleQc(pct_autosomal_15x=97.2, q30_gb=101.0, contamination_pct=0.3),
        "not_evaluated": (),
        "decisions": (),
        "case_decision": None,
        "identity": identity(),
    }
    values.update(kw)
    return CaseView(**values)


def positive_case(**kw) -> CaseView:
    """A flagged baby, reviewed: GALT confirmed, OTC not confirmed, condition suspected."""
    base = case(
        outcome=Outcome.CONDITION_SUSPECTED,
        reasons=("GALT (HGNC:4135) BIALLELIC: possible_compound_heterozygous_phase_unknown",),
        findings=(GALT, OTC),
        decisions=(
            decision("HGNC:4135"),
            decision("HGNC:8512", FindingCall.NOT_CONFIRMED, reason="artefact"),
        ),
        case_decision=CaseDecision(
            Outcome.CONDITION_SUSPECTED,
            "GALT confirmed",
            "dr.reviewer",
            WHEN,
            confirmations=(CaseConfirmation("agree: GALT biallelic", "dr.second", WHEN),),
        ),
    )
    return replace(base, **kw)


def not_possible_case(**kw) -> CaseView:
    base = case(
        outcome=Outcome.TESTING_NOT_POSSIBLE,
        karyotype=Karyotype.XY,
        reasons=("recorded sex female but the VCF indicates XY: possible sample swap, check",),
        identity_check=IdentityCheck(IdentityResolution.NEW_SAMPLE, None, "re-bled", "lab.one", WHEN),
    )
    return replace(base, **kw)
