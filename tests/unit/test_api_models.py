"""The API's response models are derived from the serializers' own fields: a variant field added to
``report.VARIANT_FIELDS`` (and ``CandidateVariant``) is published without touching the API, and a
document the serializer writes validates against its model (which refuses undeclared fields)."""

from __future__ import annotations

import dataclasses

import pydantic
import pytest

from screening import report
from screening.domain import CandidateRole, CandidateVariant, Finding, Moi, Pattern, Route, Zygosity
from screening.web import api_models


def _variant(**kw) -> CandidateVariant:
    values = {
        "hgnc_id": "HGNC:4696",
        "symbol": "GUSB",
        "chrom": "7",
        "pos": 65969113,
        "ref": "A",
        "alt": "G",
        "zygosity": Zygosity.HET,
        "routes": (Route.CLINVAR,),
        "role": CandidateRole.FINDING,
        "gt": "0|1",
        "gq": 75,
        "dp": 36,
        "ad_ref": 18,
        "ad_alt": 18,
        "allele_balance": 0.5,
        "phased": True,
        "phase_set": "1",
        "filter": "PASS",
        "clinvar_id": "12345",
        "clinvar_plp": 3,
        "clinvar_blb": 0,
        "clinvar_stars": 2,
    }
    return CandidateVariant(**{**values, **kw})


def test_variant_model_has_exactly_the_serializers_fields():
    schema = api_models.Variant.model_json_schema()
    assert set(schema["required"]) == set(report.VARIANT_FIELDS)
    assert set(schema["properties"]) == {*report.VARIANT_FIELDS, "sv_end", "sv_length"}
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("sv_end", [None, 65979113])
def test_a_serialized_finding_validates_and_an_undeclared_field_is_refused(sv_end):
    finding = Finding(
        "HGNC:4696", "GUSB", Moi.BIALLELIC, "MPS VII", Pattern.HOMOZYGOUS, (_variant(sv_end=sv_end),)
    )
    doc = report.finding_to_dict(finding)
    api_models.Finding.model_validate(doc)
    doc["variants"][0]["not_in_the_schema"] = 1
    with pytest.raises(pydantic.ValidationError, match="not_in_the_schema"):
        api_models.Finding.model_validate(doc)


def test_derived_types_follow_the_dataclass():
    @dataclasses.dataclass
    class Row:
        n: int
        mode: Moi
        routes: tuple[Route, ...]
        note: str | None

    model = api_models.derived("Row", Row)
    props = model.model_json_schema()["properties"]
    assert props["n"]["type"] == "integer"
    assert props["mode"]["type"] == "string"
    assert props["routes"] == {"items": {"type": "string"}, "title": "Routes", "type": "array"}
    assert {"type": "null"} in props["note"]["anyOf"]
    with pytest.raises(pydantic.ValidationError):
        model.model_validate({"n": 1, "mode": "BIALLELIC", "routes": [], "note": None, "extra": 1})
