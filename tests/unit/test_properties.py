"""Property-based suites (hypothesis) over every input a user writes: manifests, panel folders, PanelApp
JSON and identity CSVs. The property is the same for all: the input is either accepted or refused with
the project's own error (a :class:`ScreeningError` naming where); no other exception ever escapes.

Examples are derandomised (the same cases on every run: no luck in CI) and counted: the module's
total is checked against the issue's floor at the end (``test_zz_case_count``).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import identity, panelapp, panels
from screening.domain import GRCH38, Version
from screening.errors import Problem, ScreeningError
from screening.manifest import OPTIONAL, read_manifest, validate

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "panels" / "tiny-grch38"
CASES: Counter[str] = Counter()
FLOOR = 10_000  # the pure suites alone; tests/integration/test_properties_db.py adds database cases


def _settings(n: int):
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------- text that breaks parsers

NASTY = [
    "\x00",
    "\n",
    "\r",
    "\r\n",
    "\t",
    ",",
    '"',
    "\x0b",
    "\x0c",
    "\x1e",
    "\x85",
    "\u2028",
    "\ufeff",
    "٣",
    "²",
    "inf",
    "-inf",
    "nan",
    "1e999",
    "99999999999",
    "-1",
    "=cmd|' /C calc'!A0",
    "../../x",
    "<b>x</b>",
    "é",
    "\udcff",
]
nasty = st.sampled_from(NASTY)
texts = st.one_of(
    st.text(max_size=12),
    nasty,
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=4), nasty, st.text(max_size=4)),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


# ---------------------------------------------------------------- manifests

MANIFEST_COLUMNS = ("sample_id", "vcf", "sex", *OPTIONAL)
GOOD = {
    "sample_id": st.sampled_from(["NB0001", "NB0002", "B.7", "x_1"]),
    "vcf": st.sampled_from(["good.vcf.gz", "missing.vcf.gz", "../outside.vcf.gz", "sub/../good.vcf.gz"]),
    "sex": st.sampled_from(["male", "female", "unknown", "F"]),
    "vcf_sample": st.sampled_from(["NB0001_DNA", ""]),
    "pct_autosomal_15x": st.sampled_from(["98.5", "100", "0", "101", ""]),
    "q30_gb": st.sampled_from(["100", "1e3", ".5", ""]),
    "contamination_pct": st.sampled_from(["0.2", "", "5"]),
    "smn1_copies": st.sampled_from(["2", "0", "", "99", "100"]),
}


@st.composite
def manifests(draw) -> bytes:
    header = draw(
        st.lists(st.one_of(st.sampled_from(MANIFEST_COLUMNS), texts), min_size=0, max_size=10).filter(
            lambda h: True
        )
    )
    if draw(st.booleans()):
        header = ["sample_id", "vcf", "sex", *draw(st.lists(st.sampled_from(OPTIONAL), max_size=3))]
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        row = []
        for i in range(max(width, 0)):
            column = header[i] if i < len(header) else ""
            strategy = GOOD.get(column)
            row.append(draw(st.one_of(strategy, texts) if strategy is not None else texts))
        rows.append(row)
    import csv
    import io

    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONE, csv.QUOTE_ALL]))
    writer = csv.writer(out, quoting=quoting, escapechar="\\")
    try:
        writer.writerow(header)
        writer.writerows(rows)
        text = out.getvalue()
    except csv.Error:
        text = "\n".join(",".join(r) for r in [header, *rows])
    data = _encode(text)
    if draw(st.booleans()):  # raw damage: bytes that are not UTF-8, a cut in the middle
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=6)) + data[cut:]
    return data


@pytest.fixture(scope="module")
def manifest_root():
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "good.vcf.gz").write_bytes(b"not really a VCF")
        yield root


@_settings(3000)
@given(data=manifests())
def test_manifests_are_accepted_or_refused_with_problems_never_a_traceback(data, manifest_root):
    CASES["manifest"] += 1
    path = manifest_root / "m.csv"
    path.write_bytes(data)
    try:
        manifest, problems = read_manifest(path)
        samples, row_problems = validate(manifest, None, manifest_root)
    except ScreeningError:
        return
    assert all(isinstance(p, Problem) for p in problems + row_problems)
    for p in problems + row_problems:  # every problem names the file (and line) it is about
        assert p.where.startswith("m.csv"), p
    assert not samples  # without a panel nothing is inspected, so nothing is accepted


# ---------------------------------------------------------------- panel folders

TINY_FILES = {p.name: p.read_text() for p in TINY.iterdir() if p.is_file()}


@st.composite
def panel_folders(draw) -> dict[str, bytes]:
    files = dict(TINY_FILES)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(files)))
        lines = files[name].split("\n")
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        action = draw(st.sampled_from(["insert", "replace_field", "drop", "duplicate", "append"]))
        if action == "insert":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(texts) + lines[i][pos:]
        elif action == "replace_field":
            fields = lines[i].split("\t")
            fields[draw(st.integers(0, len(fields) - 1))] = draw(texts)
            lines[i] = "\t".join(fields)
        elif action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        else:
            lines.append(draw(texts))
        files[name] = "\n".join(lines)
    out = {name: _encode(text) for name, text in files.items()}
    if draw(st.integers(0, 9)) == 0:
        out.pop(draw(st.sampled_from(sorted(out))))
    return out


@_settings(2000)
@given(files=panel_folders())
def test_panel_folders_load_or_list_their_problems_never_a_traceback(files):
    CASES["panel folder"] += 1
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "tiny"
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
        try:
            version = panels.load_panel(folder)
        except ScreeningError:
            return
    # what loads is storable text: no control character in any gene field (the database refuses NUL)
    for gene in version.genes:
        for value in (gene.symbol, gene.condition, gene.source, gene.transcript or ""):
            assert "\x00" not in value


# ---------------------------------------------------------------- PanelApp JSON

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=4,
)
GENE_KEYS = (
    "entity_type",
    "entity_name",
    "confidence_level",
    "mode_of_inheritance",
    "phenotypes",
    "mode_of_pathogenicity",
    "penetrance",
    "transcript",
    "panel",
)


@st.composite
def gene_entities(draw) -> dict:
    location = draw(
        st.one_of(
            st.sampled_from(["7:117465784-117715971", "X:1-10", "1:10-5", "99:1-2"]),
            texts,
        )
    )
    gene_data = {
        "hgnc_id": draw(st.one_of(st.sampled_from(["HGNC:1884", "HGNC:0", ""]), texts)),
        "hgnc_symbol": draw(st.one_of(st.just("CFTR"), texts)),
        "ensembl_genes": draw(
            st.one_of(
                st.just({"GRch38": {"90": {"location": location, "ensembl_id": "ENSG1"}}}),
                json_values,
            )
        ),
    }
    if draw(st.booleans()):
        gene_data = json.dumps(gene_data)
    item = {key: draw(json_values) for key in draw(st.lists(st.sampled_from(GENE_KEYS), max_size=5))}
    item["gene_data"] = gene_data if draw(st.integers(0, 4)) else draw(json_values)
    if draw(st.booleans()):
        item["confidence_level"] = draw(st.sampled_from(["3", "2", "²", "green", 4, "0"]))
        item["mode_of_inheritance"] = draw(
            st.sampled_from(["BIALLELIC, autosomal or pseudoautosomal", "MONOALLELIC", "", "Unknown"])
        )
    return item


@st.composite
def panelapp_documents(draw) -> list:
    docs = []
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(["panel", "page", "junk"]))
        if kind == "panel":
            doc = {
                "id": draw(st.one_of(st.integers(), texts, st.none())),
                "name": draw(texts),
                "version": draw(texts),
                "genes": draw(st.one_of(st.lists(gene_entities(), max_size=3), json_values)),
            }
            if draw(st.booleans()):
                doc["strs"] = draw(json_values)
        elif kind == "page":
            results = draw(st.lists(gene_entities(), max_size=3))
            for r in results:
                r.setdefault("entity_type", "gene")
            doc = {"count": draw(json_values), "next": draw(st.one_of(st.none(), texts)), "results": results}
        else:
            doc = draw(json_values)
        docs.append(doc)
    return docs


@_settings(2000)
@given(docs=panelapp_documents())
def test_panelapp_json_becomes_a_draft_or_a_panel_error_never_a_traceback(docs):
    CASES["PanelApp JSON"] += 1
    options = panelapp.DraftOptions("draft", Version(1, 0), GRCH38)
    try:
        result = panelapp.build_draft(docs, options)
    except ScreeningError:
        return
    panelapp.report_text(result.report)
    if not result.panel.genes:
        return
    with tempfile.TemporaryDirectory() as d:
        try:
            problems = panelapp.write_draft(result, Path(d) / "draft")
        except ScreeningError:
            return
        assert all(isinstance(p, Problem) for p in problems)


# ---------------------------------------------------------------- identity CSVs

IDENTITY_COLUMNS = (*identity.COMMON_COLUMNS, "nhs_number", "national_id", "id_scheme")
IDENTITY_GOOD = {
    "sample_id": st.sampled_from(["B07", "B08", "bad id!"]),
    "given_name": st.just("Olivia"),
    "family_name": st.just("Quartermaine"),
    "nhs_number": st.sampled_from(["943 476 5919", "1234567890", ""]),
    "national_id": st.sampled_from(["010226-1234", "943 476 5919"]),
    "id_scheme": st.sampled_from(["nhs", "cpr", "NHS", "x"]),
    "date_of_birth": st.sampled_from(["2026-02-14", "2026-02-30", "", "2030-01-01", "١٢٣٤-٠١-٠١"]),
    "address": st.sampled_from(["1 Lane;Town", "1 Lane\nTown"]),
    "postcode": st.just("OX1 2AB"),
    "gp_name": st.just("Dr A"),
    "gp_practice": st.just("Surgery"),
    "gp_address": st.just("1 High St;Town"),
}


@st.composite
def identity_csvs(draw) -> str:
    import csv
    import io

    header = [*identity.COMMON_COLUMNS, "nhs_number"]
    if draw(st.booleans()):
        header = draw(st.lists(st.one_of(st.sampled_from(IDENTITY_COLUMNS), texts), max_size=14))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 4))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 2]))
        row = [
            draw(st.one_of(IDENTITY_GOOD[c], texts) if c in IDENTITY_GOOD else texts)
            for c in (header + [""] * 3)[: max(width, 0)]
        ]
        writer.writerow(row)
    return out.getvalue()


@_settings(3000)
@given(text=identity_csvs())
def test_identity_csvs_parse_or_list_problems_without_identifying_values(text):
    CASES["identity CSV"] += 1
    try:
        rows = identity.parse_identity_text(text, "ids.csv", today=date(2026, 6, 1))
    except ScreeningError as exc:
        message = str(exc)
        for planted in ("Olivia", "Quartermaine", "943 476 5919", "010226-1234", "1 Lane"):
            assert planted not in message
        return
    for row in rows:
        assert identity._SAMPLE_ID.match(row.sample_id)
        for value in (row.given_name, row.family_name, row.postcode, *row.address_lines):
            assert "\x00" not in value


def test_zz_case_count():
    """Defined (so run) last in this module: the suites above ran at least the floor of cases."""
    total = sum(CASES.values())
    print(f"\nproperty cases: {dict(CASES)} total {total}")
    if len(CASES) == 4:  # the whole module ran (not a -k selection)
        assert total >= FLOOR, CASES
