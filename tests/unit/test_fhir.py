"""FHIR export: a Genomics Reporting bundle, validated with fhir.resources (R4B), reproducible."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle

from screening.cases import CaseConfirmation, CaseDecision
from screening.domain import Outcome
from screening.fhir import FhirExportError, case_bundle, validate_bundle
from tests.unit.case_builders import (
    CARRIER_VARIANT,
    GALT,
    WHEN,
    case,
    identity,
    not_possible_case,
    positive_case,
)

PROFILES = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"

SECOND = CaseConfirmation("agree", "dr.second", datetime(2026, 3, 2, 15, 0, tzinfo=UTC))


def resources(bundle, kind=None):
    found = [e["resource"] for e in bundle["entry"]]
    return [r for r in found if kind is None or r["resourceType"] == kind]


def components(observation) -> dict[str, dict]:
    return {c["code"]["coding"][0]["code"]: c for c in observation["component"]}


def variant_observations(bundle):
    return [r for r in resources(bundle, "Observation") if r["meta"]["profile"] == [PROFILES + "variant"]]


def test_positive_case_bundle_has_report_variants_and_implication():
    bundle = case_bundle(positive_case())
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    Bundle.model_validate(bundle)  # round trip through the maintained model
    (report,) = resources(bundle, "DiagnosticReport")
    assert report["meta"]["profile"] == [PROFILES + "genomics-report"]
    assert report["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "51969-4",
        "display": "Genetic analysis report",
    }
    assert report["status"] == "final"
    assert "GALT" in report["conclusion"]
    assert "gs-newborn 2.10" in report["conclusion"]
    variants = variant_observations(bundle)
    assert len(variants) == 2  # GALT's two variants; OTC not confirmed
    urls = {e["resource"]["resourceType"]: e["fullUrl"] for e in bundle["entry"]}
    assert all(r["subject"]["reference"] == urls["Patient"] for r in resources(bundle, "Observation"))
    assert len(report["result"]) == 3


def test_variant_observation_components():
    first = variant_observations(case_bundle(positive_case()))[0]
    assert first["code"]["coding"][0]["code"] == "69548-6"
    c = components(first)
    assert c["48018-6"]["valueCodeableConcept"]["coding"][0] == {
        "system": "http://www.genenames.org/geneId",
        "code": "HGNC:4135",
        "display": "GALT",
    }
    assert c["53034-5"]["valueCodeableConcept"]["coding"][0]["code"] == "LA6706-1"  # heterozygous
    assert c["69547-8"]["valueString"] == "A"
    assert c["69551-0"]["valueString"] == "G"
    assert c["81254-5"]["valueRange"] == {"low": {"value": 34648168}, "high": {"value": 34648168}}
    assert c["48013-7"]["valueCodeableConcept"]["coding"][0]["code"] == "NC_000009.12"
    assert c["62374-4"]["valueCodeableConcept"]["coding"][0]["code"] == "LA26806-2"
    assert c["81252-9"]["valueCodeableConcept"]["coding"][0]["code"] == "3614"


def test_hemizygous_and_deletion_coordinates():
    from screening.cases import FindingCall
    from tests.unit.case_builders import OTC, decision

    deletion = replace(OTC, variants=(replace(OTC.variants[0], ref="ACGT", alt="A"),))
    reviewed = positive_case(
        findings=(deletion,),
        decisions=(decision("HGNC:8512", FindingCall.CONFIRMED),),
        case_decision=CaseDecision(
            Outcome.CONDITION_SUSPECTED, "OTC confirmed", "dr.r", WHEN, confirmations=(SECOND,)
        ),
    )
    (obs,) = variant_observations(case_bundle(reviewed))
    c = components(obs)
    assert c["53034-5"]["valueCodeableConcept"]["coding"][0]["code"] == "LA6707-9"
    assert c["81254-5"]["valueRange"] == {"low": {"value": 38368000}, "high": {"value": 38368003}}
    assert c["48013-7"]["valueCodeableConcept"]["coding"][0]["code"] == "NC_000023.11"


def test_diagnostic_implication_carries_acmg_class_and_condition():
    bundle = case_bundle(positive_case())
    (implication,) = [
        r
        for r in resources(bundle, "Observation")
        if r["meta"]["profile"] == [PROFILES + "diagnostic-implication"]
    ]
    c = components(implication)
    assert c["53037-8"]["valueCodeableConcept"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "LA6668-3",
        "display": "Pathogenic",
    }
    assert c["81259-4"]["valueCodeableConcept"]["text"] == "Galactosaemia"
    assert len(implication["derivedFrom"]) == 2
    assert "trans configuration" in implication["note"][0]["text"]


def test_patient_is_the_sample_id_only_unless_identity_is_passed():
    plain = case_bundle(positive_case())  # the case carries an identity: it is not used implicitly
    (patient,) = resources(plain, "Patient")
    assert patient["identifier"] == [{"system": "urn:newborn-screening:sample-id", "value": "B07"}]
    text = json.dumps(plain)
    for secret in ("Olivia", "Testbaby", "9434765919", "2026-02-14", "Example Road"):
        assert secret not in text
    named = case_bundle(positive_case(), identity=identity())
    (patient,) = resources(named, "Patient")
    assert patient["name"] == [{"family": "Testbaby", "given": ["Olivia"]}]
    assert patient["birthDate"] == "2026-02-14"
    assert {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9434765919"} in patient["identifier"]


def test_same_case_same_bundle():
    assert json.dumps(case_bundle(positive_case()), sort_keys=True) == json.dumps(
        case_bundle(positive_case()), sort_keys=True
    )


def test_carriers_never_exported():
    with_carrier = replace(GALT, variants=(*GALT.variants, replace(CARRIER_VARIANT, hgnc_id=GALT.hgnc_id)))
    bundle = case_bundle(positive_case(findings=(with_carrier, *positive_case().findings[1:])))
    assert str(CARRIER_VARIANT.pos) not in json.dumps(bundle)
    assert len(variant_observations(bundle)) == 2


def test_negative_and_not_possible_reports():
    negative = case_bundle(case())
    (report,) = resources(negative, "DiagnosticReport")
    assert report["conclusion"].startswith("No condition suspected")
    assert "result" not in report  # nothing to list: the empty list is dropped by the model
    (held,) = resources(case_bundle(not_possible_case()), "DiagnosticReport")
    assert held["status"] == "cancelled"
    assert held["conclusion"].startswith("Testing not possible")


def test_unreviewed_flagged_case_is_refused():
    with pytest.raises(FhirExportError, match="not yet reviewed"):
        case_bundle(positive_case(case_decision=None))


def test_aware_decision_time_gives_issued_instant():
    aware = positive_case(
        case_decision=CaseDecision(
            Outcome.CONDITION_SUSPECTED,
            "GALT",
            "dr.r",
            datetime(2026, 3, 2, 14, 30, tzinfo=UTC),
            confirmations=(SECOND,),
        )
    )
    (report,) = resources(case_bundle(aware), "DiagnosticReport")
    assert report["issued"].startswith("2026-03-02T14:30:00")


def test_invalid_resource_is_reported_without_values():
    bundle = case_bundle(positive_case(), identity=identity())
    del bundle["entry"][0]["resource"]["code"]
    bundle["entry"][1]["resource"]["birthDate"] = "Olivia-not-a-date"
    with pytest.raises(FhirExportError) as caught:
        validate_bundle(bundle, "B07")
    message = str(caught.value)
    assert "code" in message
    assert "birthDate" in message
    assert "Olivia" not in message
