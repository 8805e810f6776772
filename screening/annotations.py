"""Pure parsing of VCF annotation strings: VEP ``CSQ``, SnpEff ``ANN``, bcftools ``BCSQ``, and ClinVar.

No I/O here: ``screening.vcf`` reads the strings and hands them over. Annotation strings are parsed
in bulk with polars (one frame for a whole region read), not record by record.

Allele matching (which ALT an annotation entry belongs to):
- ``CSQ``: by ``ALLELE_NUM`` when VEP wrote it (``--allele_number``); else by VEP's own allele
  representation (``vep_alleles``: the shared first base is dropped from indels, an empty allele is
  ``-``); when the format has no ``Allele`` field at all, every entry applies to every ALT.
- ``ANN``: SnpEff's ``Allele`` is the ALT as written.
- ``BCSQ``: bcftools csq annotates the record (haplotype-aware), so an entry applies to every ALT the
  sample carries. ``@POS`` entries point at the record holding a joint consequence and are skipped
  there; ``*``-prefixed entries (downstream of a stop codon, no effect) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

CSQ, ANN, BCSQ = "CSQ", "ANN", "BCSQ"
ANNOTATION_TAGS = (CSQ, ANN, BCSQ)  # preference order when a VCF carries several
# The engine's lazy plans run on polars' in-memory engine: since polars 2 ``collect()`` chooses the
# streaming engine, whose set-up costs ~10 ms a call on these frames of a few hundred to a few
# thousand rows (0.9 ms in memory; bench/README.md, 2026-12-02). vcf_parse uses the same.
IN_MEMORY = "in-memory"

ANNOTATION_SCHEMA: dict[str, pl.DataType] = {
    "row": pl.Int64(),
    "symbol": pl.String(),
    "hgnc_id": pl.String(),
    "transcript": pl.String(),
    "consequence": pl.String(),
    "mane_select": pl.Boolean(),
    "mane_clinical": pl.Boolean(),
    "entry": pl.Int64(),  # the annotation entry (transcript) a row's term came from, within the read
    "hgvsc": pl.String(),  # HGVS c./n. of the entry as the annotator wrote it; None: not annotated
    "hgvsp": pl.String(),  # HGVS p. of the entry; None: not annotated (or not a protein change)
}

# bcftools csq writes short consequence names; the rules speak Sequence Ontology.
BCSQ_TO_SO: dict[str, str] = {
    "intergenic": "intergenic_variant",
    "intron": "intron_variant",
    "non_coding": "non_coding_transcript_variant",
    "5_prime_utr": "5_prime_UTR_variant",
    "3_prime_utr": "3_prime_UTR_variant",
    "splice_acceptor": "splice_acceptor_variant",
    "splice_donor": "splice_donor_variant",
    "splice_region": "splice_region_variant",
    "synonymous": "synonymous_variant",
    "missense": "missense_variant",
    "frameshift": "frameshift_variant",
    "inframe_insertion": "inframe_insertion",
    "inframe_deletion": "inframe_deletion",
    "inframe_altering": "protein_altering_variant",
    "coding_sequence": "coding_sequence_variant",
    "feature_elongation": "feature_elongation",
    "start_retained": "start_retained_variant",
    "stop_retained": "stop_retained_variant",
    "stop_gained": "stop_gained",
    "stop_lost": "stop_lost",
    "start_lost": "start_lost",
}


@dataclass(frozen=True)
class AnnotationFormat:
    """Where each needed value sits in one ``|``-separated annotation entry (None: not available)."""

    tag: str
    fields: tuple[str, ...]
    allele: int | None
    allele_num: int | None
    consequence: int
    symbol: int | None
    hgnc_id: int | None
    transcript: int | None
    mane_select: int | None
    mane_clinical: int | None
    hgvsc: int | None = None
    hgvsp: int | None = None


def _index(fields: Sequence[str], *names: str) -> int | None:
    lowered = [f.lower() for f in fields]
    for name in names:
        if name.lower() in lowered:
            return lowered.index(name.lower())
    return None


def _fields_after(description: str, marker: str) -> tuple[str, ...] | None:
    text = description.strip().strip('"')
    at = text.find(marker)
    if at < 0:
        return None
    body = text[at + len(marker) :].strip().strip("'\"").strip()
    return tuple(f.strip().strip("'\"").strip() for f in body.split("|"))


def _vep_format(description: str) -> AnnotationFormat | None:
    fields = _fields_after(description, "Format:")
    if not fields or _index(fields, "Consequence") is None:
        return None
    return AnnotationFormat(
        CSQ,
        fields,
        allele=_index(fields, "Allele"),
        allele_num=_index(fields, "ALLELE_NUM"),
        consequence=_index(fields, "Consequence") or 0,
        symbol=_index(fields, "SYMBOL"),
        hgnc_id=_index(fields, "HGNC_ID"),
        transcript=_index(fields, "Feature"),
        mane_select=_index(fields, "MANE_SELECT", "MANE"),
        mane_clinical=_index(fields, "MANE_PLUS_CLINICAL"),
        hgvsc=_index(fields, "HGVSc"),
        hgvsp=_index(fields, "HGVSp"),
    )


def _snpeff_format(description: str) -> AnnotationFormat | None:
    fields = _fields_after(description, "Functional annotations:")
    if not fields or _index(fields, "Annotation") is None:
        return None
    return AnnotationFormat(
        ANN,
        fields,
        allele=_index(fields, "Allele"),
        allele_num=None,
        consequence=_index(fields, "Annotation") or 0,
        symbol=_index(fields, "Gene_Name"),
        hgnc_id=None,
        transcript=_index(fields, "Feature_ID"),
        mane_select=None,
        mane_clinical=None,
        hgvsc=_index(fields, "HGVS.c"),
        hgvsp=_index(fields, "HGVS.p"),
    )


def _bcsq_format() -> AnnotationFormat:
    # bcftools csq writes no HGVS: its amino_acid_change (``571D>571N``) and dna_change (genomic,
    # ``793183G>A``) are its own notation, so HGVS c./p. stay "not annotated" for BCSQ
    fields = ("Consequence", "gene", "transcript", "biotype", "strand", "amino_acid_change", "dna_change")
    return AnnotationFormat(BCSQ, fields, None, None, 0, 1, None, 2, None, None)


def annotation_format(info_descriptions: Mapping[str, str]) -> AnnotationFormat | None:
    """The annotation to use, from the INFO header descriptions (ID -> Description).

    Preference CSQ > ANN > BCSQ when several are present. None when there is no usable one.
    """
    if CSQ in info_descriptions and (fmt := _vep_format(info_descriptions[CSQ])):
        return fmt
    if ANN in info_descriptions and (fmt := _snpeff_format(info_descriptions[ANN])):
        return fmt
    if BCSQ in info_descriptions:
        return _bcsq_format()
    return None


def vep_alleles(ref: str, alts: Sequence[str]) -> tuple[str, ...]:
    """VEP's representation of each ALT (as in its ``Allele`` field), following VEP's VCF parser.

    For an indel record (any ALT length differs from REF) whose alleles all share the first base,
    that base is removed and an empty allele becomes ``-``; otherwise alleles stay as written.
    """
    if all(len(a) == len(ref) for a in alts):
        return tuple(alts)
    firsts = {a[:1] for a in (ref, *alts) if "*" not in a}
    if len(firsts) != 1:
        return tuple(alts)
    return tuple(a if "*" in a else (a[1:] or "-") for a in alts)


def _field(fmt: AnnotationFormat, index: int | None, name: str) -> pl.Expr:
    if index is None:
        return pl.lit(None, dtype=pl.String).alias(name)
    value = pl.col("_f").list.get(index, null_on_oob=True)
    return pl.when(value.str.len_bytes() > 0).then(value).otherwise(None).alias(name)


def _entries(fmt: AnnotationFormat, records: pl.DataFrame) -> pl.DataFrame:
    """One row per annotation entry: rec, allele, allele_num and the raw wanted fields."""
    exploded = records.lazy().with_columns(pl.col("raw").str.split(",")).explode("raw")
    if fmt.tag == BCSQ:
        exploded = exploded.filter(~pl.col("raw").str.starts_with("@") & ~pl.col("raw").str.starts_with("*"))
    exploded = exploded.with_columns(pl.col("raw").str.split("|").alias("_f"))
    return (
        exploded.select(
            "rec",
            _field(fmt, fmt.allele, "allele"),
            _field(fmt, fmt.allele_num, "allele_num"),
            _field(fmt, fmt.consequence, "consequence"),
            _field(fmt, fmt.symbol, "symbol"),
            _field(fmt, fmt.hgnc_id, "hgnc_id"),
            _field(fmt, fmt.transcript, "transcript"),
            _field(fmt, fmt.mane_select, "mane_select"),
            _field(fmt, fmt.mane_clinical, "mane_clinical"),
            _field(fmt, fmt.hgvsc, "hgvsc"),
            _field(fmt, fmt.hgvsp, "hgvsp"),
        )
        .with_row_index("entry")
        .collect(engine=IN_MEMORY)
    )


def _match(fmt: AnnotationFormat, entries: pl.DataFrame, alleles: pl.DataFrame) -> pl.DataFrame:
    """Join entries to calls rows: by ALLELE_NUM, else by allele text, else by record."""
    if fmt.allele_num is not None:
        entries = entries.with_columns(pl.col("allele_num").cast(pl.Int64, strict=False))
        return entries.join(
            alleles.drop("n_alts", "key2", strict=False), on=["rec", "allele_num"], how="inner"
        )
    if fmt.allele is not None and fmt.tag != BCSQ:
        # a single-ALT record: every entry is that ALT's, whatever its allele text says (a caller may
        # have padded the alleles VEP saw); several ALTs: by the allele text VEP wrote for each
        if "n_alts" not in alleles.columns:
            alleles = alleles.with_columns(n_alts=pl.lit(2, pl.Int64))  # unknown: by allele only
        single = alleles.filter(pl.col("n_alts") == 1).select("rec", "row")
        several = alleles.filter(pl.col("n_alts") > 1)
        by_record = entries.join(single, on="rec", how="inner")
        by_allele = entries.join(
            several.select("rec", pl.col("key").alias("allele"), "row"), on=["rec", "allele"]
        )
        if "key2" in several.columns:  # a record none of whose entries matched: the normalised alleles
            rest = entries.join(by_allele.select("rec").unique(), on="rec", how="anti")
            by_allele = pl.concat(
                [
                    by_allele,
                    rest.join(
                        several.select("rec", pl.col("key2").alias("allele"), "row"), on=["rec", "allele"]
                    ),
                ]
            )
        return pl.concat([by_record.select(by_allele.columns), by_allele])
    return entries.drop("allele_num").join(
        alleles.drop("allele_num", "n_alts", "key2", strict=False), on="rec", how="inner"
    )


def _consequence_terms(fmt: AnnotationFormat) -> pl.Expr:
    terms = pl.col("consequence").str.split("&")
    if fmt.tag == BCSQ:
        terms = terms.list.eval(pl.element().replace(BCSQ_TO_SO))
    return terms.list.unique(maintain_order=True)


def _hgnc(col: str) -> pl.Expr:
    value = pl.col(col).str.strip_chars()
    return (
        pl.when(value.str.contains(r"^\d+$"))
        .then(pl.lit("HGNC:") + value)
        .when(value.str.starts_with("HGNC:"))
        .then(value)
        .otherwise(None)
        .alias("hgnc_id")
    )


def _hgvs(col: str) -> pl.Expr:
    """An HGVS expression as written, with VEP's URI escape of ``=`` (``p.Leu5%3D``) undone."""
    return pl.col(col).str.strip_chars().str.replace_all("%3D", "=", literal=True).alias(col)


def annotation_frame(
    fmt: AnnotationFormat | None, records: pl.DataFrame, alleles: pl.DataFrame
) -> pl.DataFrame:
    """The annotation frame (see frames.md) for a read (see ``annotations_and_gaps``)."""
    return annotations_and_gaps(fmt, records, alleles)[0]


def annotations_and_gaps(
    fmt: AnnotationFormat | None, records: pl.DataFrame, alleles: pl.DataFrame
) -> tuple[pl.DataFrame, list[int]]:
    """The annotation frame (see frames.md) for a read, and the calls rows left without any entry
    although their record is annotated (an annotation that names none of the record's alleles as
    written or normalised: its consequences cannot be told, and the caller says so).

    ``records``: columns ``rec`` (Int64, record number in the read) and ``raw`` (the INFO string).
    ``alleles``: one row per calls row: ``rec``, ``allele_num`` (1-based ALT index), ``key`` (the
    ALT in the annotation's own representation), optionally ``key2`` (the same for the normalised
    pair) and ``n_alts`` (ALTs of the record), and ``row``.
    """
    if fmt is None or records.height == 0 or alleles.height == 0:
        return pl.DataFrame(schema=ANNOTATION_SCHEMA), []
    matched = _match(fmt, _entries(fmt, records), alleles)
    gaps = alleles.join(matched.select("row").unique(), on="row", how="anti")["row"].sort().to_list()
    out = (
        matched.lazy()
        .filter(pl.col("consequence").is_not_null())
        .select(
            pl.col("row").cast(pl.Int64),
            "symbol",
            _hgnc("hgnc_id"),
            pl.col("transcript").str.replace(r"\.\d+$", ""),
            _consequence_terms(fmt),
            pl.col("mane_select").is_not_null().alias("mane_select"),
            pl.col("mane_clinical").is_not_null().alias("mane_clinical"),
            pl.col("entry").cast(pl.Int64),
            _hgvs("hgvsc"),
            _hgvs("hgvsp"),
        )
        .sort("row", maintain_order=True)
        .explode("consequence")
        .filter(pl.col("consequence").str.len_bytes() > 0)
        .collect(engine=IN_MEMORY)
    )
    return out.cast(ANNOTATION_SCHEMA), gaps  # type: ignore[arg-type]


# ---------------------------------------------------------------- ClinVar

_PLP = frozenset({"pathogenic", "likely_pathogenic"})
_BLB = frozenset({"benign", "likely_benign"})
_CONF_ENTRY = re.compile(r"([A-Za-z_/, ]+?)\((\d+)\)")
_SPLIT_CLNSIG = re.compile(r"[|/]|,_")

_STARS: dict[str, int] = {
    "practice_guideline": 4,
    "reviewed_by_expert_panel": 3,
    "criteria_provided,_multiple_submitters,_no_conflicts": 2,
    "criteria_provided,_single_submitter": 1,
    "criteria_provided,_conflicting_interpretations": 1,
    "criteria_provided,_conflicting_classifications": 1,
}


def _classes(text: str) -> set[str]:
    return {t.strip().lower() for t in _SPLIT_CLNSIG.split(text) if t.strip()}


def _conflict_counts(clnsigconf: str) -> tuple[int, int]:
    plp = blb = 0
    text = clnsigconf.replace("%3B", "|").replace(";", "|")
    for name, count in _CONF_ENTRY.findall(text):
        classes = _classes(name.strip("|, "))
        if classes & _PLP:
            plp += int(count)
        if classes & _BLB:
            blb += int(count)
    return plp, blb


def clinvar_counts(clnsig: str | None, clnsigconf: str | None) -> tuple[int, int]:
    """(pathogenic/likely-pathogenic count, benign/likely-benign count) for one ClinVar record.

    Conflicting records (``Conflicting_interpretations_of_pathogenicity`` or the newer
    ``Conflicting_classifications_of_pathogenicity``): the submission counts of CLNSIGCONF, P + LP and
    B + LB. Otherwise CLNSIG is one aggregate assertion: 1 when it names a P or LP class
    (``Pathogenic/Likely_pathogenic`` counts 1, not 2), 1 when it names a B or LB class. Secondary
    parts (``|drug_response``, ``,_risk_factor``, ``,_low_penetrance``) add nothing.
    """
    if not clnsig:
        return 0, 0
    if clnsig.lower().startswith("conflicting_"):
        return _conflict_counts(clnsigconf) if clnsigconf else (0, 0)
    classes = _classes(clnsig)
    return int(bool(classes & _PLP)), int(bool(classes & _BLB))


def review_stars(clnrevstat: str | None) -> int:
    """ClinVar review status as gold stars (0-4); unknown or absent statuses give 0."""
    if not clnrevstat:
        return 0
    return _STARS.get(clnrevstat.strip().lower().replace(" ", "_"), 0)


def clinvar_genes(geneinfo: str | None) -> str | None:
    """Gene symbols of GENEINFO (``AGRN:375790|ISG15:9636`` -> ``AGRN|ISG15``)."""
    if not geneinfo:
        return None
    symbols = [part.split(":", 1)[0] for part in geneinfo.split("|") if part]
    return "|".join(symbols) or None
