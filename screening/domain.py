"""Screening names for screening things: frozen dataclasses and enums shared by every layer.

No I/O here. Chromosomes are held in one canonical form: no ``chr`` prefix, ``MT`` for the
mitochondrion (``canonical_chrom``). Coordinates are 1-based and inclusive.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

SOFTWARE_NAME = "newborn-screening"


def N_(message: str) -> str:
    """Mark a message for extraction (``pybabel extract``); it is translated where it is shown."""
    return message


Param = Any  # str | int | float | Reason | tuple[Reason | str, ...] (a list, joined with "; ")


class Reason(str):
    """An engine text (a reason for an outcome, a "not evaluated" note) that can be shown in any
    language: the English text itself (what is stored, audited and compared), built from a
    gettext-marked ``template`` (``str.format`` fields: ``{name}``, ``{count:,}``, ``{value:g}``) and
    its ``params``. A parameter is plain text (a gene symbol, a FORMAT field: never translated), a
    number, a nested ``Reason``, or a tuple of them (joined with "; "). ``render`` translates the
    template and every nested one; numbers with a format spec are written the language's way, the
    others (positions, counts) as digits. Pure: no catalogue is read here.

    Build one with ``Reason(N_("... {name} ..."), name=value)``: the ``N_`` is what extraction finds.
    """

    template: str
    params: dict[str, Param]

    def __new__(cls, template: str, /, **params: Param) -> Reason:
        text = _Formatter(None, None).format(template, **params)
        self = super().__new__(cls, text)
        self.template = template
        self.params = params
        return self

    def __reduce__(self):
        return (_rebuild, (self.template, self.params))

    def render(
        self,
        translate: Callable[[str], str] | None = None,
        number: Callable[[float, str], str] | None = None,
    ) -> str:
        """The text in a language: ``translate`` is its catalogue's gettext, ``number(value, spec)``
        writes a number with a format spec the language's way; neither: the English text."""
        if translate is None and number is None:
            return str(self)
        template = translate(self.template) if translate else self.template
        return _Formatter(translate, number).format(template, **self.params)

    def as_json(self) -> dict[str, Any]:
        """``{"template": …, "params": {…}}``, nested reasons likewise (stored beside the text)."""
        return {"template": self.template, "params": {k: _param_json(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, text: str, doc: Any) -> str:
        """The stored ``text`` as a Reason rebuilt from its stored ``doc``; the plain text when there is
        no doc (rows stored before templates were kept) or the doc does not give back that text."""
        try:
            rebuilt = _param_from_json(doc)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            return text
        return rebuilt if isinstance(rebuilt, Reason) and str(rebuilt) == text else text


def _rebuild(template: str, params: dict[str, Param]) -> Reason:
    return Reason(template, **params)


def _param_json(value: Param) -> Any:
    if isinstance(value, Reason):
        return value.as_json()
    if isinstance(value, tuple):
        return {"list": [_param_json(v) for v in value]}
    return value


def _param_from_json(doc: Any) -> Param:
    if isinstance(doc, dict) and "template" in doc:
        return Reason(doc["template"], **{k: _param_from_json(v) for k, v in doc["params"].items()})
    if isinstance(doc, dict) and "list" in doc:
        return tuple(_param_from_json(v) for v in doc["list"])
    if doc is None or isinstance(doc, dict | list):
        raise ValueError("not a reason parameter")
    return doc


class _Formatter(string.Formatter):
    def __init__(self, translate: Callable[[str], str] | None, number: Callable[[float, str], str] | None):
        self.translate, self.number = translate, number

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Reason):
            return format(value.render(self.translate, self.number), format_spec)
        if isinstance(value, tuple):
            return "; ".join(self.format_field(v, "") for v in value)
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric and format_spec and self.number is not None:
            return self.number(value, format_spec)
        return format(value, format_spec)


class Moi(StrEnum):
    """Mode of inheritance as screened (screening-rules §2)."""

    MONOALLELIC = "MONOALLELIC"
    BIALLELIC = "BIALLELIC"
    XLINKED_MONOALLELIC = "XLINKED_MONOALLELIC"
    XLINKED_BIALLELIC = "XLINKED_BIALLELIC"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


class Karyotype(StrEnum):
    """Sex-chromosome karyotype inferred from the VCF (screening-rules §5).

    ``X``: one X, and no Y evidenced — 45,X, or a boy whose chrY differs little from the reference
    (or a VCF without chrY calls). Few chrY calls never mean "no Y", so the VCF alone never says X0.
    """

    XX = "XX"
    XY = "XY"
    X = "X"
    XXY = "XXY"
    UNKNOWN = "unknown"

    @property
    def single_x(self) -> bool:
        return self in (Karyotype.XY, Karyotype.X)

    @property
    def two_x(self) -> bool:
        return self in (Karyotype.XX, Karyotype.XXY)


class Outcome(StrEnum):
    CONDITION_SUSPECTED = "condition_suspected"
    NO_CONDITION_SUSPECTED = "no_condition_suspected"
    TESTING_NOT_POSSIBLE = "testing_not_possible"


class Route(StrEnum):
    """Inclusion routes (screening-rules §3)."""

    CURATED = "curated"
    CLINVAR = "clinvar"
    LOF = "lof"
    TARGETED = "targeted"


class Zygosity(StrEnum):
    HET = "het"
    HOM = "hom"
    HEMI = "hemi"


class Pattern(StrEnum):
    """Why a gene's inheritance rule is met (screening-rules §4)."""

    HETEROZYGOUS = "heterozygous"
    HOMOZYGOUS = "homozygous"
    HEMIZYGOUS = "hemizygous"
    COMPOUND_HET_TRANS = "compound_heterozygous"  # phased, on different haplotypes
    COMPOUND_HET_PHASE_UNKNOWN = "possible_compound_heterozygous_phase_unknown"
    COPY_NUMBER_ZERO = "copy_number_zero"  # SMN1 targeted caller


class Urgency(StrEnum):
    """How soon a finding in a gene needs acting on: the review queue puts the most urgent first."""

    IMMEDIATE = "immediate"  # can decompensate or die in the first days or weeks of life
    HIGH = "high"  # harm within weeks to months without treatment
    ROUTINE = "routine"  # the default: later onset, or a slower course

    @property
    def rank(self) -> int:
        """0 for the most urgent (immediate), then 1 (high), 2 (routine)."""
        return list(Urgency).index(self)


class CandidateRole(StrEnum):
    """What a candidate variant is in the baby's result."""

    FINDING = "finding"  # part of a met inheritance rule: reported for review
    CARRIER = "carrier"  # single het in a biallelic gene: stored, never reported
    NOT_MET = "not_met"  # qualified, but the gene's rule is not met (e.g. cis pair only)
    FAILED_QUALITY = "failed_quality"  # passed an inclusion route, failed call quality
    EXCLUDED = "excluded"  # passed an inclusion route, on the exclusion list
    COMMON_IN_COHORT = "common_in_cohort"  # ClinVar-only candidate at internal AF >= the cap: not qualifying


GRCH38 = "GRCh38"
GRCH37 = "GRCh37"
GENOME_BUILDS = (GRCH38, GRCH37)

# Pseudoautosomal regions, 1-based inclusive (screening-rules §4).
PARS: dict[str, tuple[tuple[int, int], ...]] = {
    GRCH38: ((10_001, 2_781_479), (155_701_383, 156_030_895)),
    GRCH37: ((60_001, 2_699_520), (154_931_044, 155_260_560)),
}
PARS_Y: dict[str, tuple[tuple[int, int], ...]] = {
    GRCH38: ((10_001, 2_781_479), (56_887_903, 57_217_415)),
    GRCH37: ((10_001, 2_649_520), (59_034_050, 59_363_566)),
}

# Primary-assembly contig lengths, used to check that a VCF and a panel share a build.
CONTIG_LENGTHS: dict[str, dict[str, int]] = {
    GRCH38: {
        "1": 248_956_422,
        "2": 242_193_529,
        "3": 198_295_559,
        "4": 190_214_555,
        "5": 181_538_259,
        "6": 170_805_979,
        "7": 159_345_973,
        "8": 145_138_636,
        "9": 138_394_717,
        "10": 133_797_422,
        "11": 135_086_622,
        "12": 133_275_309,
        "13": 114_364_328,
        "14": 107_043_718,
        "15": 101_991_189,
        "16": 90_338_345,
        "17": 83_257_441,
        "18": 80_373_285,
        "19": 58_617_616,
        "20": 64_444_167,
        "21": 46_709_983,
        "22": 50_818_468,
        "X": 156_040_895,
        "Y": 57_227_415,
        "MT": 16_569,
    },
    GRCH37: {
        "1": 249_250_621,
        "2": 243_199_373,
        "3": 198_022_430,
        "4": 191_154_276,
        "5": 180_915_260,
        "6": 171_115_067,
        "7": 159_138_663,
        "8": 146_364_022,
        "9": 141_213_431,
        "10": 135_534_747,
        "11": 135_006_516,
        "12": 133_851_895,
        "13": 115_169_878,
        "14": 107_349_540,
        "15": 102_531_392,
        "16": 90_354_753,
        "17": 81_195_210,
        "18": 78_077_248,
        "19": 59_128_983,
        "20": 63_025_520,
        "21": 48_129_895,
        "22": 51_304_566,
        "X": 155_270_560,
        "Y": 59_373_566,
        "MT": 16_569,
    },
}
SCREENED_CONTIGS = tuple([str(i) for i in range(1, 23)] + ["X"])


def canonical_chrom(name: str) -> str:
    """``chr1`` and ``1`` → ``1``; ``chrM``/``M``/``MT`` → ``MT``; ``chrX`` → ``X``."""
    c = name[3:] if name[:3].lower() == "chr" else name
    if c.upper() in ("M", "MT"):
        return "MT"
    return c.upper() if c.lower() in ("x", "y") else c


def in_par(chrom: str, pos: int, build: str) -> bool:
    """True when a chrX position lies in a pseudoautosomal region of the build."""
    if chrom != "X":
        return False
    return any(start <= pos <= end for start, end in PARS[build])


_VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)$")


@dataclass(frozen=True, order=True)
class Version:
    """Integer ``MAJOR.MINOR``: "2.10" is newer than "2.9" and is not "2.1"."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _VERSION.match(str(text).strip())
        if not m:
            raise ValueError(
                Reason(
                    N_("version {text!r} is not MAJOR.MINOR with integer parts (e.g. 1.0, 2.10)"), text=text
                )
            )
        return cls(int(m.group(1)), int(m.group(2)))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def panel_label(panel_id: str, version: Version | str) -> str:
    """How a panel version is named everywhere (``newborn-actionable@1.2``): CLI, pages, letters, JSON."""
    return f"{panel_id}@{version}"


LOF_CONSEQUENCES = (
    "transcript_ablation",
    "splice_acceptor_variant",
    "splice_donor_variant",
    "stop_gained",
    "frameshift_variant",
    "stop_lost",
    "initiator_codon_variant",
    "start_lost",
)

# Population allele-frequency caps for the loss-of-function route (screening-rules §3.3).
# "default" applies to every population without its own cap. X-linked biallelic uses the
# monoallelic caps: a hemizygous boy is affected by one allele, so the frequency bound is the same.
DEFAULT_LOF_AF_CAPS: dict[str, dict[str, float]] = {
    Moi.MONOALLELIC: {"default": 0.001, "afr": 0.0005, "asj": 0.003, "eas": 0.002, "sas": 0.002},
    Moi.XLINKED_MONOALLELIC: {"default": 0.001, "afr": 0.0005, "asj": 0.003, "eas": 0.002, "sas": 0.002},
    Moi.XLINKED_BIALLELIC: {"default": 0.001, "afr": 0.0005, "asj": 0.003, "eas": 0.002, "sas": 0.002},
    Moi.BIALLELIC: {"default": 0.01},
}

# INFO fields holding population allele frequencies: population code -> INFO field name.
DEFAULT_POPULATION_AF_FIELDS: dict[str, str] = {
    "all": "gnomAD_AF",
    "afr": "gnomAD_AF_afr",
    "amr": "gnomAD_AF_amr",
    "asj": "gnomAD_AF_asj",
    "eas": "gnomAD_AF_eas",
    "fin": "gnomAD_AF_fin",
    "nfe": "gnomAD_AF_nfe",
    "sas": "gnomAD_AF_sas",
}

SMN1_HGNC_ID = "HGNC:11117"


LATE_SETTINGS = frozenset(
    {
        "karyotype_min_y_hemi_fraction",
        "karyotype_robust_x_calls",
        "lof_sv_consequences",
        "completeness_genome_density",
        "completeness_min_density_ratio",
        "completeness_min_expected_tail",
    }
)


@dataclass(frozen=True)
class RuleSettings:
    """Every threshold of the screen; stored with each published panel version (screening-rules)."""

    padding_bp: int = 2000
    # call quality (§3.4)
    min_gq: int = 20
    min_dp: int = 10
    het_ab_min: float = 0.2
    het_ab_max: float = 0.8
    hom_ab_min: float = 0.8
    # ClinVar rule (§3.2)
    clinvar_min_plp: int = 1
    clinvar_max_blb: int = 1
    clinvar_max_internal_af: float = 0.05
    clinvar_min_stars: int | None = None
    # loss-of-function rule (§3.3)
    lof_consequences: tuple[str, ...] = LOF_CONSEQUENCES
    lof_af_caps: dict[str, dict[str, float]] = field(default_factory=lambda: dict(DEFAULT_LOF_AF_CAPS))
    population_af_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_POPULATION_AF_FIELDS))
    # targeted caller (§3 route 4)
    smn1_hgnc_id: str = SMN1_HGNC_ID
    # sample QC gates (§6)
    min_pct_autosomal_15x: float = 95.0
    min_q30_gb: float = 85.0
    max_contamination_pct: float = 1.5
    # karyotype inference (§5): fraction of heterozygous chrX calls outside the PARs
    karyotype_min_x_calls: int = 50
    karyotype_xx_min_het_fraction: float = 0.15
    karyotype_xy_max_het_fraction: float = 0.05
    karyotype_min_y_calls: int = 10  # hemizygous-looking chrY calls that evidence a Y
    # settings added after the first published versions (left out of the panel sha256 at their
    # default, see LATE_SETTINGS, so that earlier versions keep their sha256)
    karyotype_min_y_hemi_fraction: float = 0.5  # of chrY calls; heterozygous ones are artefacts
    karyotype_robust_x_calls: int = 200  # fewer in the chrX windows: read the whole of chrX
    lof_sv_consequences: tuple[str, ...] = ("transcript_ablation", "feature_truncation")
    completeness_genome_density: float = 200.0  # records per Mb of panel region: genome-like VCF
    completeness_min_density_ratio: float = 0.2  # of the file's median contig density
    completeness_min_expected_tail: float = 30.0  # records expected in a contig's empty tail

    def canonical_dict(self) -> dict[str, Any]:
        """``as_dict`` without the late settings left at their default (for the panel sha256)."""
        defaults = RuleSettings().as_dict()
        return {k: v for k, v in self.as_dict().items() if not (k in LATE_SETTINGS and v == defaults[k])}

    def as_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready, key-sorted view (for provenance and the sha256 of a panel version)."""
        out: dict[str, Any] = {}
        for name in sorted(self.__dataclass_fields__):
            value = getattr(self, name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = {
                    str(k): (dict(sorted(v.items())) if isinstance(v, dict) else v)
                    for k, v in sorted(value.items())
                }
            out[name] = value
        return out


@dataclass(frozen=True)
class PanelGene:
    hgnc_id: str  # "HGNC:1884"
    symbol: str
    moi: Moi
    condition: str
    lof_mechanism: bool
    chrom: str  # canonical
    start: int  # 1-based inclusive, in the panel's genome build
    end: int
    transcript: str | None = None  # predefined transcript for the LoF route (else MANE Select/Clinical)
    active: bool = True  # False: kept for the record (e.g. PanelApp Amber/Red), not screened
    source: str = ""  # where this entry came from (PanelApp panel/version, BeginNGS MOI, curator)
    urgency: Urgency = Urgency.ROUTINE  # how soon a finding needs acting on (review queue order)


@dataclass(frozen=True)
class VariantKey:
    chrom: str  # canonical
    pos: int
    ref: str
    alt: str

    def __str__(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}>{self.alt}"


@dataclass(frozen=True)
class IncludedVariant:
    chrom: str
    pos: int
    ref: str
    alt: str
    hgnc_id: str
    source: str


@dataclass(frozen=True)
class ExcludedVariant:
    chrom: str
    pos: int
    ref: str
    alt: str
    reason: str


@dataclass(frozen=True)
class PanelVersion:
    """A panel as screened: immutable once published; ``sha256`` is of its canonical content."""

    panel_id: str
    name: str
    version: Version
    genome_build: str
    settings: RuleSettings
    genes: tuple[PanelGene, ...]
    include: tuple[IncludedVariant, ...] = ()
    exclude: tuple[ExcludedVariant, ...] = ()
    description: str = ""
    sha256: str = ""

    @property
    def label(self) -> str:
        return panel_label(self.panel_id, self.version)

    @property
    def active_genes(self) -> tuple[PanelGene, ...]:
        return tuple(g for g in self.genes if g.active)


@dataclass(frozen=True)
class ClinVarSnapshot:
    """ClinVar records restricted to panel genes.

    ``records`` is a polars DataFrame with columns chrom, pos, ref, alt (canonical, one ALT per row),
    clinvar_id (str), clnsig (str), plp_count (int), blb_count (int), stars (int), gene (str).
    """

    source: str  # file name it was read from
    release_date: str | None  # ISO date from the VCF header ``##fileDate``; None when absent
    sha256: str
    records: Any  # polars.DataFrame (kept untyped so this module imports no polars)


@dataclass(frozen=True)
class SampleQc:
    """Upstream QC metrics; any may be missing (then its gate is not evaluated and the result says so)."""

    pct_autosomal_15x: float | None = None
    q30_gb: float | None = None
    contamination_pct: float | None = None


@dataclass(frozen=True)
class SexEvidence:
    """Counts of genotype calls on the sex chromosomes outside the PARs."""

    x_calls: int  # non-missing, non-hom-ref calls on chrX outside the PARs
    x_het: int
    y_calls: int  # non-missing, non-hom-ref calls on chrY outside the PARs
    x_windows: int  # chrX windows examined (0: the whole of chrX outside the PARs)
    y_windows: int  # chrY regions read (the male-specific region, whole)
    has_y_contig: bool
    y_hemi: int = 0  # chrY calls that look hemizygous: haploid, or homozygous ALT (not artefacts)


@dataclass(frozen=True)
class SampleInput:
    """What is screened for one baby (screening-rules §1), apart from the calls themselves."""

    sample_id: str
    vcf_sample: str
    sex: Sex
    qc: SampleQc = SampleQc()
    smn1_copies: int | None = None


@dataclass(frozen=True)
class VcfFacts:
    """What the VCF header says about the file, for the rules (no I/O in the rules)."""

    path: str
    sha256: str
    annotation: str | None  # "CSQ", "ANN", "BCSQ" or None (LoF route not evaluated)
    format_fields: frozenset[str]  # FORMAT IDs declared in the header (GT, GQ, DP, AD, PS, PGT, PID)
    info_fields: frozenset[str]  # INFO IDs declared in the header
    chrom_style: str  # "chr" or "plain"


@dataclass(frozen=True)
class CandidateVariant:
    """A called ALT that passed at least one inclusion route (screening-rules §3), with its evidence."""

    hgnc_id: str
    symbol: str
    chrom: str
    pos: int
    ref: str
    alt: str
    zygosity: Zygosity
    routes: tuple[Route, ...]
    role: CandidateRole
    gt: str
    gq: int | None
    dp: int | None
    ad_ref: int | None
    ad_alt: int | None
    allele_balance: float | None
    phased: bool
    phase_set: str | None
    filter: str
    quality_failures: tuple[str, ...] = ()
    clinvar_id: str | None = None
    clinvar_plp: int | None = None
    clinvar_blb: int | None = None
    clinvar_stars: int | None = None
    consequence: str | None = None  # of the annotation entry shown (the LoF route's, else the gene's
    transcript: str | None = None  # panel/MANE transcript, else its most severe); None: not annotated
    exclusion_reason: str | None = None
    sv_end: int | None = None  # a symbolic structural variant's last base (its span is pos..sv_end)
    hgvsc: str | None = None  # HGVS c./n. of that entry as the annotator wrote it; None: not annotated
    hgvsp: str | None = None  # HGVS p. of that entry; None: not annotated

    @property
    def key(self) -> VariantKey:
        return VariantKey(self.chrom, self.pos, self.ref, self.alt)


@dataclass(frozen=True)
class Finding:
    """A gene whose inheritance rule is met: goes to human review."""

    hgnc_id: str
    symbol: str
    moi: Moi
    condition: str
    pattern: Pattern
    variants: tuple[CandidateVariant, ...]
    smn1_copies: int | None = None


@dataclass(frozen=True)
class Provenance:
    panel_id: str
    panel_version: str
    panel_sha256: str
    genome_build: str
    clinvar_source: str | None
    clinvar_release_date: str | None
    clinvar_sha256: str | None
    vcf_sha256: str
    vcf_sample: str
    karyotype: str
    settings: dict[str, Any]
    software_version: str


@dataclass(frozen=True)
class SampleResult:
    """Exactly one outcome per baby (screening-rules §7), explained."""

    sample_id: str
    outcome: Outcome
    karyotype: Karyotype
    reasons: tuple[str, ...]  # why this outcome (failed QC gate, sex discordance, findings summary)
    not_evaluated: tuple[str, ...]  # rules that could not be evaluated, each named with why
    # (each a Reason as the engine builds them; plain text when read back from a row that kept none)
    findings: tuple[Finding, ...]
    candidates: tuple[CandidateVariant, ...]  # every candidate incl. carriers (never reported)
    provenance: Provenance
