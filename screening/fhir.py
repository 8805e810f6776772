"""FHIR export of a reviewed case: an HL7 FHIR Genomics Reporting bundle, validated with
``fhir.resources`` (the only importer of that library).

The Genomics Reporting IG (STU2/STU3) is built on FHIR R4; ``fhir.resources`` 8 ships R5 at its top
level and R4B under ``fhir.resources.R4B`` (there is no R4 package). R4B's Bundle, DiagnosticReport,
Observation and Patient have the R4 structure used here, so the resources are validated with the
R4B classes. Validation covers structure, types, cardinality and required elements; it does not
check codes against value sets or the IG's profile constraints (that needs the HL7 validator).

Bundle (type ``collection``) contents, in order:

- ``DiagnosticReport`` (profile genomics-report; LOINC 51969-4 "Genetic analysis report"; category
  v2-0074 ``GE``; ``conclusion`` states the reported outcome in words; ``result`` lists the
  Observations below).
- ``Patient``: identified by the sample id only (system ``urn:newborn-screening:sample-id``), unless
  the caller passes the baby's :class:`~screening.cases.Identity`, which adds name, birth date,
  national number (NHS: ``https://fhir.nhs.uk/Id/nhs-number``; CPR: ``urn:oid:1.2.208.176.1.2``)
  and address. ``CaseView.identity`` is never used implicitly.
- One variant ``Observation`` (profile variant; LOINC 69548-6 "Genetic variant assessment", value
  LA9633-4 "Present") per reportable variant of each **confirmed** finding, with components: gene
  studied 48018-6 (HGNC), genomic reference sequence 48013-7 (RefSeq NC_ accession of the
  chromosome), assembly 62374-4, coordinate system 92822-6 (1-based), exact start-end 81254-5,
  reference allele 69547-8, alternate allele 69551-0, allelic state 53034-5, genomic source class
  48002-0 (germline), allele fraction 81258-6 and the ClinVar variation 81252-9 when known.
- One diagnostic-implication ``Observation`` per confirmed finding (``derivedFrom`` its variants),
  with the ACMG class as clinical significance 53037-8 and the condition as associated phenotype
  81259-4; mode of inheritance, pattern and the reviewer's reason go in ``note``. (The IG carries
  clinical significance on the implication, not on the variant Observation.)

Carriers, findings a reviewer did not confirm and unreviewed flagged babies are never exported.
Resource ids are UUIDv5 of the case's content: exporting the same case again gives the same bundle.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pydantic
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient

from screening.cases import AcmgClass, CaseView, FindingDecision, Identity, case_problems, reportable_variants
from screening.domain import GRCH37, GRCH38, N_, CandidateVariant, Finding, Outcome, Reason, Zygosity
from screening.errors import FhirExportError, Problem

LOINC = "http://loinc.org"
HGNC = "http://www.genenames.org/geneId"
REFSEQ = "http://www.ncbi.nlm.nih.gov/refseq"
CLINVAR = "http://www.ncbi.nlm.nih.gov/clinvar"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
TBD_CODES = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
SAMPLE_ID_SYSTEM = "urn:newborn-screening:sample-id"
ID_SYSTEMS = {"nhs": "https://fhir.nhs.uk/Id/nhs-number", "cpr": "urn:oid:1.2.208.176.1.2"}
PROFILE = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
NAMESPACE = uuid.UUID("5b0f6f1e-9d43-5b8a-8c55-6e2b2f0a7c11")  # fixed: ids are reproducible

ALLELIC_STATE = {
    Zygosity.HET: ("LA6706-1", "Heterozygous"),
    Zygosity.HOM: ("LA6705-3", "Homozygous"),
    Zygosity.HEMI: ("LA6707-9", "Hemizygous"),
}
ACMG_LOINC = {
    AcmgClass.PATHOGENIC: ("LA6668-3", "Pathogenic"),
    AcmgClass.LIKELY_PATHOGENIC: ("LA26332-9", "Likely pathogenic"),
    AcmgClass.UNCERTAIN_SIGNIFICANCE: ("LA26333-7", "Uncertain significance"),
    AcmgClass.LIKELY_BENIGN: ("LA26334-5", "Likely benign"),
    AcmgClass.BENIGN: ("LA6675-8", "Benign"),
}
ASSEMBLY = {GRCH38: ("LA26806-2", "GRCh38"), GRCH37: ("LA14029-5", "GRCh37")}
_CHROMS = [str(i) for i in range(1, 23)] + ["X", "Y"]
# RefSeq accession versions of NC_000001..NC_000024 (chr1..22, X, Y)
_GRCH38_VERSIONS = (
    11,
    12,
    12,
    12,
    10,
    12,
    14,
    11,
    12,
    11,
    10,
    12,
    11,
    9,
    10,
    10,
    11,
    10,
    10,
    11,
    9,
    11,
    11,
    10,
)
_GRCH37_VERSIONS = (10, 11, 11, 11, 9, 11, 13, 10, 11, 10, 9, 11, 10, 8, 9, 9, 10, 9, 9, 10, 8, 10, 10, 9)
REFSEQ_CHROMOSOMES = {
    GRCH38: {
        c: f"NC_0000{i + 1:02d}.{v}" for i, (c, v) in enumerate(zip(_CHROMS, _GRCH38_VERSIONS, strict=True))
    }
    | {"MT": "NC_012920.1"},
    GRCH37: {
        c: f"NC_0000{i + 1:02d}.{v}" for i, (c, v) in enumerate(zip(_CHROMS, _GRCH37_VERSIONS, strict=True))
    }
    | {"MT": "NC_012920.1"},
}
CONCLUSIONS = {
    Outcome.NO_CONDITION_SUSPECTED: "No condition suspected: no variant met the screening criteria for any "
    "gene on the panel. This does not rule out the screened conditions or other genetic conditions.",
    Outcome.CONDITION_SUSPECTED: "Condition suspected after review: {genes}. Referred to the regional "
    "newborn screening result coordinator.",
    Outcome.TESTING_NOT_POSSIBLE: "Testing not possible: {reasons}",
}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _loinc(code: str, display: str) -> dict[str, Any]:
    return _concept(LOINC, code, display)


def _component(code: str, display: str, **value: Any) -> dict[str, Any]:
    return {"code": _loinc(code, display), **value}


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(str(p) for p in parts))}"


def _categories() -> list[dict[str, Any]]:
    return [_concept(OBS_CATEGORY, "laboratory", "Laboratory"), _concept(V2_0074, "GE", "Genetics")]


def _when(moment: datetime | None) -> dict[str, str]:
    """FHIR dateTime/instant need a time zone with a time: a naive datetime is exported as its date."""
    if moment is None:
        return {}
    if moment.tzinfo is None:
        return {"effectiveDateTime": moment.date().isoformat()}
    return {"effectiveDateTime": moment.isoformat(), "issued": moment.isoformat()}


# ----------------------------------------------------------------------------- resources


def patient_resource(case: CaseView, identity: Identity | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": SAMPLE_ID_SYSTEM, "value": case.sample_id}],
    }
    if identity is None:
        return resource
    if identity.sample_id != case.sample_id:
        raise FhirExportError(
            Reason(N_("FHIR export")), [Problem(_sample(case), Reason(N_("identity of another sample")))]
        )
    resource["identifier"].append({"system": ID_SYSTEMS[identity.id_scheme], "value": identity.national_id})
    resource["name"] = [{"family": identity.family_name, "given": [identity.given_name]}]
    resource["birthDate"] = identity.date_of_birth.isoformat()
    resource["address"] = [{"line": list(identity.address_lines), "postalCode": identity.postcode}]
    resource["generalPractitioner"] = [{"display": f"{identity.gp_name}, {identity.gp_practice}"}]
    return resource


def variant_resource(case: CaseView, finding: Finding, v: CandidateVariant, subject: str) -> dict[str, Any]:
    build = case.provenance.genome_build
    state_code, state_display = ALLELIC_STATE[v.zygosity]
    components = [
        _component(
            "48018-6",
            "Gene studied [ID]",
            valueCodeableConcept=_concept(HGNC, finding.hgnc_id, finding.symbol),
        ),
        _component(
            "62374-4",
            "Human reference sequence assembly version",
            valueCodeableConcept=_loinc(*ASSEMBLY[build]),
        ),
        _component(
            "92822-6",
            "Genomic coordinate system",
            valueCodeableConcept=_loinc("LA30102-0", "1-based character counting"),
        ),
        _component(
            "81254-5",
            "Genomic allele start-end",
            valueRange={"low": {"value": v.pos}, "high": {"value": v.pos + len(v.ref) - 1}},
        ),
        _component("69547-8", "Genomic ref allele [ID]", valueString=v.ref),
        _component("69551-0", "Genomic alt allele [ID]", valueString=v.alt),
        _component("53034-5", "Allelic state", valueCodeableConcept=_loinc(state_code, state_display)),
        _component(
            "48002-0", "Genomic source class [Type]", valueCodeableConcept=_loinc("LA6683-2", "Germline")
        ),
    ]
    accession = REFSEQ_CHROMOSOMES[build].get(v.chrom)
    if accession:
        components.insert(
            1,
            _component(
                "48013-7", "Genomic reference sequence [ID]", valueCodeableConcept=_concept(REFSEQ, accession)
            ),
        )
    if v.allele_balance is not None:
        components.append(
            _component(
                "81258-6",
                "Sample variant allelic frequency [NFr]",
                valueQuantity={
                    "value": round(v.allele_balance, 4),
                    "system": "http://unitsofmeasure.org",
                    "code": "1",
                },
            )
        )
    if v.clinvar_id:
        components.append(
            _component(
                "81252-9", "Discrete genetic variant", valueCodeableConcept=_concept(CLINVAR, v.clinvar_id)
            )
        )
    return {
        "resourceType": "Observation",
        "meta": {"profile": [PROFILE + "variant"]},
        "status": "final",
        "category": _categories(),
        "code": _loinc("69548-6", "Genetic variant assessment"),
        "subject": {"reference": subject},
        "valueCodeableConcept": _loinc("LA9633-4", "Present"),
        "component": components,
    }


def implication_resource(finding: Finding, decision: FindingDecision, subject: str, variants: list[str]):
    significance = _loinc(*ACMG_LOINC[decision.acmg_class])
    note = (
        f"Mode of inheritance screened: {finding.moi.value}; pattern: {finding.pattern.value}. "
        f"Reviewer ({decision.decided_by}): {decision.reason}"
    )
    return {
        "resourceType": "Observation",
        "meta": {"profile": [PROFILE + "diagnostic-implication"]},
        "status": "final",
        "category": _categories(),
        "code": _concept(TBD_CODES, "diagnostic-implication", "Diagnostic Implication"),
        "subject": {"reference": subject},
        "derivedFrom": [{"reference": ref} for ref in variants],
        "component": [
            _component(
                "53037-8", "Genetic variation clinical significance [Imp]", valueCodeableConcept=significance
            ),
            _component("81259-4", "Associated phenotype", valueCodeableConcept={"text": finding.condition}),
        ],
        "note": [{"text": note}],
    }


def _conclusion(case: CaseView, outcome: Outcome) -> str:
    genes = ", ".join(f"{f.symbol} ({f.condition})" for f, _ in case.confirmed_findings)
    return CONCLUSIONS[outcome].format(genes=genes, reasons="; ".join(case.reasons) or "not stated")


def report_resource(case: CaseView, outcome: Outcome, subject: str, results: list[str]) -> dict[str, Any]:
    p = case.provenance
    moment = case.case_decision.decided_at if case.case_decision else None
    return {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [PROFILE + "genomics-report"]},
        "identifier": [{"system": SAMPLE_ID_SYSTEM, "value": case.sample_id}],
        "status": "cancelled" if outcome is Outcome.TESTING_NOT_POSSIBLE else "final",
        "category": [_concept(V2_0074, "GE", "Genetics")],
        "code": _loinc("51969-4", "Genetic analysis report"),
        "subject": {"reference": subject},
        **_when(moment),
        "result": [{"reference": ref} for ref in results],
        "conclusion": (
            f"{_conclusion(case, outcome)} Panel {p.panel_id} {p.panel_version} (sha256 {p.panel_sha256}), "
            f"{p.genome_build}; ClinVar {p.clinvar_release_date or 'not used'}; {p.software_version}."
        ),
    }


# ----------------------------------------------------------------------------- bundle


def _export_problems(case: CaseView) -> list[Problem]:
    problems = list(case_problems(case))
    if case.reported_outcome is None:
        problems.append(Problem(_sample(case), Reason(N_("flagged by the screen and not yet reviewed"))))
    build = case.provenance.genome_build
    if build not in REFSEQ_CHROMOSOMES:
        message = Reason(N_("genome build {build} has no RefSeq mapping"), build=build)
        problems.append(Problem(_sample(case), message))
    return problems


def _sample(case: CaseView) -> Reason:
    return Reason(N_("sample {sample}"), sample=case.sample_id)


def case_bundle(case: CaseView, identity: Identity | None = None) -> dict[str, Any]:
    """The reviewed case as a validated FHIR R4 Genomics Reporting Bundle (JSON-ready dict)."""
    problems = _export_problems(case)
    if problems:
        raise FhirExportError(f"FHIR export of sample {case.sample_id}", problems)
    outcome = case.reported_outcome
    key = (case.sample_id, case.provenance.vcf_sha256, case.provenance.panel_sha256)
    subject = _urn(*key, "patient")
    entries: list[tuple[str, dict[str, Any]]] = [(subject, patient_resource(case, identity))]
    results: list[str] = []
    for finding, decision in case.confirmed_findings:
        refs = []
        for v in reportable_variants(finding):
            refs.append(_urn(*key, "variant", v.key))
            entries.append((refs[-1], variant_resource(case, finding, v, subject)))
        results += [*refs, _urn(*key, "implication", finding.hgnc_id)]
        entries.append((results[-1], implication_resource(finding, decision, subject, refs)))
    report = _urn(*key, "report")
    entries.insert(0, (report, report_resource(case, outcome, subject, results)))
    bundle = {
        "resourceType": "Bundle",
        "id": report.removeprefix("urn:uuid:"),
        "type": "collection",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    return validate_bundle(bundle, case.sample_id)


_CLASSES = {"DiagnosticReport": DiagnosticReport, "Observation": Observation, "Patient": Patient}


def validate_bundle(bundle: dict[str, Any], sample_id: str) -> dict[str, Any]:
    """Validate each resource and the bundle with fhir.resources (R4B); returns the model's JSON.
    Errors name the element and the problem, never the value (it may be identifying)."""
    problems: list[Problem] = []
    for i, entry in enumerate(bundle["entry"]):
        kind = entry["resource"]["resourceType"]
        problems += _validation_problems(_CLASSES[kind], entry["resource"], f"entry {i} ({kind})")
    problems += _validation_problems(Bundle, bundle, "Bundle")
    if problems:
        raise FhirExportError(f"FHIR export of sample {sample_id}", problems)
    return json.loads(Bundle.model_validate(bundle).model_dump_json())


def _validation_problems(model, data: dict[str, Any], where: str) -> list[Problem]:
    try:
        model.model_validate(data)
    except pydantic.ValidationError as exc:
        return [
            Problem(f"{where} {'.'.join(str(x) for x in err['loc'])}", f"{err['type']}")
            for err in exc.errors()
        ]
    return []
