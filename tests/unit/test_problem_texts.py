"""The problems a user reads when an input is refused (a manifest, a VCF's file or header, a panel
folder, an identity CSV) and the errors the pages show: each is a ``domain.Reason`` built from a
gettext-marked template, so a Danish page reads it in Danish and the CLI, logs and JSON keep the
English text. Every template met here has a Danish translation, every placeholder survives it, and no
English sentence of a template is left in its Danish rendering; a library's own words stay quoted in
English inside the translated sentence."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from screening import i18n, identity, panels, vcf
from screening.domain import Reason
from screening.errors import Problem, ScreeningError, VcfError
from screening.manifest import read_manifest, validate
from screening.simulate.vcf_files import write_vcf_bgzip_indexed
from screening.web.labels import problem_text

TESTS = Path(__file__).resolve().parents[1]
VCFS = TESTS / "data" / "vcf"
TINY = TESTS / "data" / "panels" / "tiny-grch38"
FIELD = re.compile(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}")
AF = {"all": "gnomAD_AF"}


def _reasons(text) -> list[Reason]:
    """A reason and every reason nested in its parameters."""
    if isinstance(text, tuple):
        return [r for t in text for r in _reasons(t)]
    if not isinstance(text, Reason):
        return []
    return [text, *(r for v in text.params.values() for r in _reasons(v))]


def _english_words(reason: Reason) -> list[str]:
    """The template's own words between its placeholders, long enough to be a sentence, not a code."""
    parts = (p.strip(" ;:,()'\"") for p in FIELD.split(reason.template)[::2])
    return [p for p in parts if len(p) >= 12 and " " in p]


def _assert_danish(texts: list) -> None:
    """Every text a Reason whose templates (nested ones too) are translated and leave no English."""
    po, _ = i18n.catalogue_paths("da")
    with po.open("rb") as handle:
        catalogue = read_po(handle, locale="da")
    assert texts
    plain = [t for t in texts if not isinstance(t, Reason)]
    assert not plain, plain
    templates = {r.template for t in texts for r in _reasons(t)}
    missing = sorted(t for t in templates if catalogue.get(t) is None or not catalogue.get(t).string)
    assert not missing, "mark with N_(), run make messages, translate:\n" + "\n".join(missing)
    for text in texts:
        danish = i18n.engine_text(text, "da")
        assert "(teknisk tekst" not in danish, danish
        leaked = [w for r in _reasons(text) for w in _english_words(r) if w in danish]
        assert not leaked, (leaked, danish)


def _plain(name: str, tmp_path: Path) -> str:
    return gzip.decompress((VCFS / f"{name}.GRCh38.vcf.gz").read_bytes()).decode()


def _vcf_errors(tmp_path: Path) -> list[VcfError]:
    """The file and header problems a lab meets when a manifest names a VCF that cannot be screened."""
    text = _plain("naming_plain", tmp_path)
    broken: list[Path] = [tmp_path / "absent.vcf.gz"]
    plain = tmp_path / "plain.vcf"
    plain.write_text(text)
    broken.append(plain)  # not compressed
    gz = tmp_path / "gzip.vcf.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    broken.append(gz)  # plain gzip, not BGZF
    no_index = tmp_path / "no_index.vcf.gz"
    shutil.copy(VCFS / "naming_plain.GRCh38.vcf.gz", no_index)
    broken.append(no_index)
    no_x = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("##contig=<ID=X,", "X\t"))) + "\n"
    broken.append(write_vcf_bgzip_indexed(no_x, tmp_path / "nox.vcf.gz"))
    no_chrom = "\n".join(ln for ln in text.splitlines() if not ln.startswith("#CHROM")) + "\n"
    broken.append(write_vcf_bgzip_indexed(no_chrom, tmp_path / "bad_header.vcf.gz"))
    broken.append(VCFS / "empty_header_only.GRCh38.vcf.gz")
    errors = []
    for path, sample, build in [(p, "BABY", "GRCh38") for p in broken] + [
        (VCFS / "naming_plain.GRCh38.vcf.gz", "SOMEONE_ELSE", "GRCh37"),  # wrong sample and build
    ]:
        with pytest.raises(VcfError) as info:
            vcf.inspect_vcf(path, sample, build, AF)
        errors.append(info.value)
    return errors


def test_vcf_file_and_header_problems_read_in_danish_with_the_library_quote_kept(tmp_path):
    errors = _vcf_errors(tmp_path)
    english = [str(e) for e in errors]
    assert all(e.reason == str(e) for e in errors)  # the English text is the one the CLI prints
    assert any(e.endswith("file not found") for e in english)
    assert any("is plain gzip, not BGZF; recompress it with `bgzip`" in e for e in english)
    assert any("the header declares no ##contig line for chromosome(s) X" in e for e in english)
    assert any(
        "sample column 'SOMEONE_ELSE' is not in the VCF (1 sample columns); contig" in e for e in english
    )
    _assert_danish([e.reason for e in errors])
    danish = [i18n.engine_text(e.reason, "da") for e in errors]
    assert any(d.endswith("absent.vcf.gz: filen blev ikke fundet") for d in danish), danish
    assert any("er almindelig gzip, ikke BGZF" in d for d in danish), danish
    assert any("headeren har ingen ##contig-linje for kromosom(er) X" in d for d in danish), danish
    assert any("prøvekolonnen 'SOMEONE_ELSE' findes ikke i VCF'en" in d for d in danish), danish
    header = next(d for d in danish if "VCF'ens header kan ikke læses" in d)
    quoted = next(e for e in english if "cannot read the VCF header" in e)
    library = quoted.split("cannot read the VCF header (")[1].rsplit("); check", 1)[0]
    assert f"({library})" in header  # htslib's own words stay as it wrote them


def test_a_manifest_naming_a_bad_vcf_lists_its_header_problem_in_danish(tmp_path):
    text = _plain("naming_plain", tmp_path)
    no_x = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("##contig=<ID=X,", "X\t"))) + "\n"
    write_vcf_bgzip_indexed(no_x, tmp_path / "nox.vcf.gz")
    (tmp_path / "manifest.csv").write_text(
        "sample_id,vcf,sex,vcf_sample,q30_gb\nB01,nox.vcf.gz,female,BABY,lots\n", encoding="utf-8"
    )
    manifest, problems = read_manifest(tmp_path / "manifest.csv")
    problems += validate(manifest, panels.load_panel(TINY), tmp_path.resolve())[1]
    number, problem = problems
    assert (
        str(number) == "manifest.csv:2 (sample B01): q30_gb 'lots' is not a number (ASCII digits, e.g. 98.5)"
    )
    danish_number = problem_text(number, "da", i18n.translations("da").gettext)
    assert (
        danish_number == "manifest.csv:2 (prøve B01): q30_gb 'lots' er ikke et tal (ASCII-cifre, f.eks. 98.5)"
    )
    assert str(problem).startswith("manifest.csv:2 (sample B01): ")
    assert "the header declares no ##contig line for chromosome(s) X" in str(problem)
    danish = problem_text(problem, "da", i18n.translations("da").gettext)
    assert danish.startswith("manifest.csv:2 (prøve B01): "), danish
    assert "headeren har ingen ##contig-linje for kromosom(er) X" in danish
    assert "declares" not in danish
    _assert_danish([problem.where, problem.message, number.message])


def _broken_panel(tmp_path: Path) -> Path:
    folder = tmp_path / "broken-panel"
    shutil.copytree(TINY, folder)
    genes = (folder / "genes.tsv").read_text().splitlines()
    fields = genes[1].split("\t")
    fields[0], fields[2], fields[5] = "HGNC-11117", "MITOCHONDRIAL", "MT"
    genes[1] = "\t".join(fields)
    fields = genes[2].split("\t")
    fields[6], fields[7] = fields[7], fields[6]  # start after end
    genes[2] = "\t".join(fields)
    (folder / "genes.tsv").write_text("\n".join(genes) + "\n")
    toml = (folder / "panel.toml").read_text()
    toml = toml.replace('version = "1.0"', "version = 1.10").replace("het_ab_min = 0.2", "het_ab_min = 0.9")
    (folder / "panel.toml").write_text(toml + "\n[settings.extra]\nsurprise = 1\n")
    (folder / "include.tsv").write_text("chrom\tpos\tref\n")
    return folder


def test_panel_file_problems_read_in_danish_naming_their_file_and_line(tmp_path):
    problems = panels.validate_panel(_broken_panel(tmp_path))
    english = [str(p) for p in problems]
    assert any("genes.tsv:2: hgnc_id 'HGNC-11117' is not of the form HGNC:<number>" in e for e in english)
    assert any("mode of inheritance 'MITOCHONDRIAL' cannot be screened" in e for e in english)
    assert any("is after end" in e for e in english), english
    assert any("version must be a quoted string" in e for e in english), english
    assert any("panel.toml:62: unknown setting 'extra'; allowed: clinvar_max_blb" in e for e in english)
    assert any("include.tsv:1: missing column(s): alt hgnc_id source" in e for e in english), english
    _assert_danish([p.message for p in problems])
    gettext = i18n.translations("da").gettext
    danish = [problem_text(p, "da", gettext) for p in problems]
    assert any("genes.tsv:2: hgnc_id 'HGNC-11117' har ikke formen HGNC:<nummer>" in d for d in danish), danish
    assert any("arvegangen 'MITOCHONDRIAL' kan ikke screenes" in d for d in danish), danish
    assert any("version skal være en tekst i anførselstegn" in d for d in danish), danish
    assert any("panel.toml:62: ukendt indstilling 'extra'; tilladt: clinvar_max_blb" in d for d in danish)
    assert any("include.tsv:1: manglende kolonne(r): alt hgnc_id source" in d for d in danish), danish


def test_identity_csv_problems_read_in_danish_and_name_no_number(tmp_path):
    rows = (
        "sample_id,given_name,family_name,national_id,id_scheme,date_of_birth,address,postcode,"
        "gp_name,gp_practice,gp_address,colour\n"
        "B01,Karoline,Østergaard,311399-4123,cpr,2026-10-01,Åboulevarden 1,8000,Læge,Hus,Vej 1,blå\n"
    )
    with pytest.raises(ScreeningError) as header:
        identity.parse_identity_text(rows, "dk.csv")
    good_header = rows.replace(",colour", "").replace(",blå", "")
    bad_rows = good_header + good_header.splitlines()[1].replace("2026-10-01", "2026-13-01") + "\n"
    with pytest.raises(ScreeningError) as values:
        identity.parse_identity_text(bad_rows, "dk.csv")
    problems = [*header.value.problems, *values.value.problems]
    english = [str(p) for p in problems]
    assert "dk.csv:1: unknown column(s): colour" in english
    assert any("CPR number does not encode a valid birth date" in e for e in english), english
    assert not any("311399" in e for e in english)
    _assert_danish([p.message for p in problems])
    gettext = i18n.translations("da").gettext
    danish = [problem_text(p, "da", gettext) for p in problems]
    assert "dk.csv:1: ukendte kolonne(r): colour" in danish
    assert any("(prøve B01): CPR-nummeret angiver ikke en gyldig fødselsdato" in d for d in danish), danish
    assert any("date_of_birth er ikke en gyldig ISO-dato" in d for d in danish), danish


def test_a_text_that_is_no_template_still_says_it_is_english():
    problem = Problem("x.csv:3", "a library's own words")
    assert problem_text(problem, "da") == "x.csv:3: a library's own words (teknisk tekst, kun på engelsk)"
    assert problem_text(problem) == "x.csv:3: a library's own words"
    error = ScreeningError("plain")
    assert error.reason == "plain"
    assert not isinstance(error.reason, Reason)
    assert i18n.engine_text(error.reason, "da") == "plain (teknisk tekst, kun på engelsk)"
    several = VcfError("a.vcf.gz", (Reason("x {n}", n=1), Reason("y")))
    assert str(several) == "a.vcf.gz: x 1; y"
    assert VcfError("a.vcf.gz", "plain").reason == "a.vcf.gz: plain"
    assert not isinstance(VcfError("a.vcf.gz", "plain").reason, Reason)


def test_a_partners_shared_file_refused_reads_in_danish():
    import json

    from screening import share

    problems = []
    for data in (b"\xff", b"[]", b'{"schema": "other"}', json.dumps({"schema": share.SCHEMA}).encode()):
        with pytest.raises(ScreeningError) as info:
            share.verify(data, "partner.json")
        problems += info.value.problems
    english = [str(p) for p in problems]
    assert english[:2] == [
        "partner.json: not a JSON document (UnicodeDecodeError)",
        "partner.json: not a JSON object",
    ]
    assert english[3] == "partner.json: it carries no sha256"
    _assert_danish([p.message for p in problems])
    danish = [problem_text(p, "da") for p in problems]
    assert danish[1] == "partner.json: ikke et JSON-objekt"
    assert danish[3] == "partner.json: den har ingen sha256"


def test_a_panelapp_upload_refused_reads_in_danish():
    from screening import panelapp

    problems = []
    for data in (b"\xff", b"", b'{"results": [{"id": 1, "version": "2.0"}]}', b"[1]"):
        with pytest.raises(ScreeningError) as info:
            panelapp.build_draft(panelapp.parse_responses(data, "upload.json"), None)
        problems += info.value.problems
    english = [str(p) for p in problems]
    assert "upload.json: empty: no JSON document" in english
    assert any(e.startswith("document 1: a list of panels (1 v2.0), not a panel") for e in english), english
    _assert_danish([p.message for p in problems])
    danish = [problem_text(p, "da") for p in problems]
    assert "upload.json: tom: intet JSON-dokument" in danish
    assert any(d.startswith("dokument 1: en liste af paneler (1 v2.0), ikke et panel") for d in danish), (
        danish
    )
