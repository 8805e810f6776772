"""Two programmes in one deployment, end to end: an English batch (NHS numbers, programme england) and a
Danish batch (CPR numbers, programme denmark) screened by real workers, their identities imported, the
"no condition suspected" letters issued from the web app's batch letters, and each letter read back
from the database in its own language with its own recipients (GP / egen læge) and sender. Also: a
submission refused for an unknown programme or a panel its programme does not screen with (CLI and
API), identities refused when their scheme is not the programme's, and the programme in batch status."""

from __future__ import annotations

import csv
import gzip
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import Pipeline, make_settings, publish, query_all
from psycopg.types.json import Jsonb
from web_support import PASSWORD, Server, add_user, csrf_token, own_database, signed_in, write_identity_csv

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PDFTOTEXT = shutil.which("pdftotext")
TEST_VCFS = Path(__file__).resolve().parents[1] / "data" / "vcf"

DEPLOYMENT = """
default = "england"

[programmes.england]
name = "Newborn Genome Screening Programme (England)"
identity_scheme = "nhs"
language = "en"
doctor = "gp"
panels = ["newborn-actionable-*"]
[programmes.england.sender]
organisation = "NHS Newborn Genome Screening"
team = "Newborn Screening Team"
contact = ["Telephone 0300 000 0000"]

[programmes.denmark]
name = "Nyfødtscreening med genomsekventering (Danmark)"
identity_scheme = "cpr"
language = "da"
doctor = "family_doctor"
panels = ["newborn-actionable-*"]
[programmes.denmark.sender]
organisation = "Nationalt Genom Center"
team = "Screeningteamet for nyfødte"
contact = ["Telefon 70 00 00 00"]

[programmes.wales]
name = "Newborn Genome Screening Wales"
identity_scheme = "nhs"
language = "en"
doctor = "gp"
panels = ["wales-*"]
[programmes.wales.sender]
organisation = "Public Health Wales"
team = "Newborn Screening Wales"
"""
REVIEWER, LAB = "rev-prog", "lab-prog"


def _sub_manifest(sim, name: str, sample_ids: list[str]) -> str:
    """A manifest of some of the simulated babies, in a folder of the data root (VCF paths from there)."""
    folder = sim.out_dir / "programmes"
    folder.mkdir(exist_ok=True)
    with sim.manifest.open(newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, [r for r in reader if r["sample_id"] in sample_ids]
    for row in rows:
        row["vcf"] = f"../{row['vcf']}"
    path = folder / f"{name}.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def _danish_identities(path, sample_ids: list[str]) -> dict[str, dict[str, str]]:
    """CPR-numbered identities: born in October 2026, so the 7th digit is 4 (the years 2000–2036)."""
    rows = {}
    for i, sid in enumerate(sample_ids):
        day = 1 + i % 28
        rows[sid] = {
            "sample_id": sid,
            "given_name": f"Karoline{i:02d}",
            "family_name": f"Østergaard{i:02d}",
            "national_id": f"{day:02d}1026-4{i:03d}",
            "id_scheme": "cpr",
            "date_of_birth": f"2026-10-{day:02d}",
            "address": f"Åboulevarden {10 + i};Aarhus C",
            "postcode": "8000",
            "gp_name": "Læge Mette Kjær",
            "gp_practice": "Lægehuset Åen",
            "gp_address": "Åboulevarden 1;8000 Aarhus C",
        }
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(next(iter(rows.values()))))
        writer.writeheader()
        writer.writerows(rows.values())
    return rows


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    """A database of its own: the pages it reads (the review queue) show only this deployment's babies."""
    with own_database(tmp_path_factory.mktemp("progsdb")) as url:
        yield url


@pytest.fixture(scope="module")
def deployment(db_url, panel, sim, tmp_path_factory):
    home = tmp_path_factory.mktemp("programmes")
    (home / "programmes.toml").write_text(DEPLOYMENT, encoding="utf-8")
    settings = make_settings(home, db_url, data_root=sim.out_dir.resolve())
    pipeline = Pipeline(settings, home / "logs")
    label = publish(settings, panel, sim, "prog")
    truth = {b["sample_id"]: b for b in json.loads(sim.truth.read_text())["babies"]}
    clear = sorted(s for s, t in truth.items() if t["expected_outcome"] == "no_condition_suspected")
    english, danish = clear[:2], clear[2:4]
    assert len(danish) == 2, clear
    manifests = {"england": _sub_manifest(sim, "en", english), "denmark": _sub_manifest(sim, "dk", danish)}
    pipeline.start(2)
    try:
        submitted = {}
        for programme, manifest in manifests.items():
            out = pipeline.cli(
                "batch", "submit", manifest, "--panel", label, "--batch-id", f"prog-{programme}",
                "--programme", programme, "--format", "json",
            )  # fmt: skip
            submitted[programme] = json.loads(out.stdout)
        for doc in submitted.values():
            pipeline.wait(doc["batch_id"])
    finally:
        pipeline.stop()
    add_user(pipeline, REVIEWER, "reviewer")
    add_user(pipeline, LAB, "lab")
    write_identity_csv(home / "en.csv", english)
    pipeline.cli("identity", "import", str(home / "en.csv"), "--batch-id", "prog-england")
    danish_rows = _danish_identities(home / "dk.csv", danish)
    pipeline.cli("identity", "import", str(home / "dk.csv"), "--batch-id", "prog-denmark")
    env = {**pipeline.env, "SCREENING_SECRET_KEY": "test-secret-prog", "SCREENING_WEB_HTTPS": "off"}
    server = Server(env, home / "serve.log")
    yield {
        "pipeline": pipeline,
        "server": server,
        "label": label,
        "submitted": submitted,
        "manifests": manifests,
        "english": english,
        "danish": danish,
        "danish_rows": danish_rows,
        "home": home,
    }
    server.stop()


def test_submission_records_the_programme_and_status_shows_it(deployment):
    pipeline = deployment["pipeline"]
    assert deployment["submitted"]["england"]["programme"] == "england"
    assert deployment["submitted"]["denmark"]["programme"] == "denmark"
    for programme in ("england", "denmark"):
        doc = pipeline.status_json(f"prog-{programme}")
        assert doc["programme"] == programme
        assert doc["state"] == "finalised"
    text = pipeline.cli("batch", "status", "prog-denmark").stdout
    assert "programme denmark" in text.splitlines()[0]
    listed = {b["batch_id"]: b for b in json.loads(pipeline.cli("batch", "list", "--format", "json").stdout)}
    assert listed["prog-england"]["programme"] == "england"
    assert listed["prog-denmark"]["programme"] == "denmark"


def test_unknown_programme_and_a_panel_the_programme_does_not_screen_with_are_refused(deployment):
    pipeline, label = deployment["pipeline"], deployment["label"]
    manifest = deployment["manifests"]["england"]
    for programme, expected in (
        ("narnia", "programme narnia is not configured here (known: denmark, england, wales)"),
        ("wales", f"programme wales does not screen with panel {label.split('@')[0]} (its panels: wales-*)"),
    ):
        proc = pipeline.cli(
            "batch", "submit", manifest, "--panel", label, "--batch-id", f"refused-{programme}",
            "--programme", programme, check=False,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        assert expected in proc.stderr
        assert "Traceback" not in proc.stderr
    rows = query_all(
        pipeline.settings.database_url, "SELECT 1 FROM batch WHERE lab_batch_id LIKE 'refused-%%'"
    )
    assert rows == []


def test_the_api_takes_the_programme_and_refuses_an_unknown_one(deployment):
    server, label = deployment["server"], deployment["label"]
    with httpx.Client(base_url=server.url, timeout=120) as api:
        doc = api.get("/api/v1/batches/prog-denmark", auth=(LAB, PASSWORD))
        assert doc.status_code == 200
        assert doc.json()["programme"] == "denmark"
        form = {
            "panel": label,
            "manifest_path": "programmes/dk.csv",
            "batch_id": "api-narnia",
            "programme": "narnia",
        }
        refused = api.post("/api/v1/batches", data=form, auth=(LAB, PASSWORD))
        assert refused.status_code == 422, refused.text
        assert "programme narnia is not configured here" in refused.text


def test_identities_of_another_scheme_are_refused_naming_no_number(deployment, tmp_path):
    pipeline = deployment["pipeline"]
    rows = write_identity_csv(tmp_path / "nhs-for-denmark.csv", deployment["danish"], seed=11)
    proc = pipeline.cli(
        "identity", "import", str(tmp_path / "nhs-for-denmark.csv"), "--batch-id", "prog-denmark", check=False
    )
    assert proc.returncode == 2
    assert "an NHS number given, but the batch belongs to programme denmark, whose babies carry a CPR" in (
        proc.stderr
    )
    for row in rows.values():
        assert row["nhs_number"] not in proc.stderr
        assert row["given_name"] not in proc.stderr


def _issue_batch_letters(client: httpx.Client, batch_id: str) -> None:
    path = f"/review/batches/{batch_id}/letters"
    before = client.get(path + "/progress.json").json()
    page = client.get(path).text
    r = client.post(path, data={"csrf_token": csrf_token(page), "confirm_count": str(before["total"])})
    assert r.status_code == 303, r.text
    deadline = time.monotonic() + 240
    while True:
        doc = client.get(path + "/progress.json").json()
        if doc["job"] and doc["job"]["state"] != "running":
            break
        assert time.monotonic() < deadline, doc
        time.sleep(0.5)
    assert doc["job"]["state"] == "finished", doc["job"]["problems"]
    assert doc["issued"] == doc["total"] == before["total"] > 0


def _letters(url: str, batch_id: str) -> list[tuple[str, str, bytes, str]]:
    return query_all(
        url,
        "SELECT s.sample_id, l.kind, l.pdf, l.html FROM issued_letters l JOIN sample s ON s.id = l.sample_pk "
        "JOIN batch b ON b.id = s.batch_id WHERE b.lab_batch_id = %(b)s ORDER BY s.sample_id, l.kind",
        {"b": batch_id},
    )


def _text(pdf: bytes) -> str:
    done = subprocess.run([PDFTOTEXT, "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(done.stdout.decode().split())


@pytest.mark.skipif(PDFTOTEXT is None, reason="pdftotext (poppler-utils) is not installed")
def test_each_batch_gets_its_letters_in_its_language_with_its_recipients(deployment, db_url):
    server, pipeline = deployment["server"], deployment["pipeline"]
    with httpx.Client(base_url=server.url, follow_redirects=False, timeout=120) as client:
        signed_in(client, "reviewer", REVIEWER)
        run_id = query_all(
            db_url,
            "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id JOIN batch b "
            "ON b.id = s.batch_id WHERE b.lab_batch_id = 'prog-denmark' ORDER BY r.id LIMIT 1",
        )[0][0]
        confirm = client.get(f"/review/cases/{run_id}/letters/no_condition_suspected_gp").text
        assert "the baby&#39;s family doctor (egen læge)" in confirm
        assert "Nyfødtscreening med genomsekventering (Danmark) (da)" in confirm
        for programme in ("england", "denmark"):
            _issue_batch_letters(client, f"prog-{programme}")
    url = pipeline.settings.database_url
    english = _letters(url, "prog-england")
    danish = _letters(url, "prog-denmark")
    kinds = ["no_condition_suspected_gp", "no_condition_suspected_parents"]
    assert [(s, k) for s, k, _, _ in english] == [(s, k) for s in deployment["english"] for k in kinds]
    assert [(s, k) for s, k, _, _ in danish] == [(s, k) for s in deployment["danish"] for k in kinds]
    for _, kind, pdf, html in english:
        text = _text(pdf)
        assert '<html lang="en">' in html
        assert "NHS Newborn Genome Screening" in text
        assert "Telephone 0300 000 0000" in text
        if kind == "no_condition_suspected_parents":
            assert "Result: no condition suspected." in text
            assert "very unlikely that your baby has one of these conditions" in text
            assert "We have sent a copy of this result to your GP, Dr Ada Pemberton" in text
        else:
            assert "Copy for the GP." in text
            assert "Dr Ada Pemberton" in text
            assert "NHS number" in text
    for sample_id, kind, pdf, html in danish:
        text = _text(pdf)
        row = deployment["danish_rows"][sample_id]
        assert '<html lang="da">' in html
        assert "Nationalt Genom Center" in text
        assert "Telefon 70 00 00 00" in text
        assert f"CPR-nummer {row['national_id']}" in text
        assert "Result:" not in text
        assert "GP" not in text
        if kind == "no_condition_suspected_parents":
            assert "Resultat: ingen mistanke om sygdom." in text
            assert "det er meget usandsynligt, at jeres barn har en af disse sygdomme" in text
            assert "Vi har sendt en kopi af dette resultat til jeres egen læge, Læge Mette Kjær" in text
            assert f"Til forældre eller værge for {row['given_name']} {row['family_name']}" in text
        else:
            assert "Kopi til egen læge." in text
            assert text.index("Læge Mette Kjær") < text.index(
                "Kopi til egen læge."
            )  # addressed to the doctor
            _assert_not_evaluated_in_danish(db_url, sample_id, text)


def _assert_not_evaluated_in_danish(db_url: str, sample_id: str, text: str) -> None:
    """The engine's "not evaluated" items of the run, as stored (English text and its template), are
    on the Danish letter in Danish, and none of their English text is."""
    from screening import i18n
    from screening.domain import Reason

    notes, templates = query_all(
        db_url,
        "SELECT r.not_evaluated, r.not_evaluated_templates FROM screening_run r JOIN sample s "
        "ON s.id = r.sample_id WHERE s.sample_id = %(s)s",
        {"s": sample_id},
    )[0]
    assert notes
    assert len(templates) == len(notes)
    assert "Dele af analysen, der ikke er vurderet for denne prøve:" in text
    for note, doc in zip(notes, templates, strict=True):
        danish = i18n.engine_text(Reason.from_json(note, doc), "da")
        assert danish != note
        assert " ".join(danish.split()) in text, (danish, text)
        assert note not in text


def test_pages_speak_danish_when_the_browser_prefers_it(deployment):
    danish = {"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"}
    with httpx.Client(base_url=deployment["server"].url, follow_redirects=False, timeout=120) as client:
        login = client.get("/login", headers=danish).text
        assert '<html lang="da">' in login
        assert "Log ind" in login
        signed_in(client, "reviewer", REVIEWER)
        page = client.get("/review", headers=danish).text
        assert '<html lang="da">' in page
        for phrase in ("Gennemgangskø", "Intet barn venter på gennemgang.", "Breve pr. batch", "Log ud"):
            assert phrase in page, phrase
        letters = client.get("/review/batches/prog-denmark/letters", headers=danish).text
        assert "Breve udstedt for denne batch" in letters
        run_id = query_all(
            deployment["pipeline"].settings.database_url,
            "SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id JOIN batch b "
            "ON b.id = s.batch_id WHERE b.lab_batch_id = 'prog-denmark' ORDER BY r.id LIMIT 1",
        )[0][0]
        case = client.get(f"/review/cases/{run_id}", headers=danish).text
        assert "arvegangsreglen er ikke opfyldt for noget gen" in case  # the engine's reason, in Danish
        assert "no gene&#39;s inheritance rule met" not in case
        assert "not evaluated" not in case
        assert "no gene&#39;s inheritance rule met" in client.get(f"/review/cases/{run_id}").text
        # a run stored before its texts' templates were kept (migration 0023): shown as it was, in English
        url = deployment["pipeline"].settings.database_url
        kept = query_all(
            url,
            "SELECT reason_templates, not_evaluated_templates FROM screening_run WHERE id = %(r)s",
            {"r": run_id},
        )[0]
        assert kept[0]
        assert kept[1]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "UPDATE screening_run SET reason_templates = NULL, not_evaluated_templates = NULL "
                "WHERE id = %(r)s",
                {"r": run_id},
            )
        try:
            old = client.get(f"/review/cases/{run_id}", headers=danish)
            assert old.status_code == 200
            assert "no gene&#39;s inheritance rule met" in old.text
            assert "arvegangsreglen er ikke opfyldt for noget gen" not in old.text
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "UPDATE screening_run SET reason_templates = %(a)s, not_evaluated_templates = %(b)s "
                    "WHERE id = %(r)s",
                    {"a": Jsonb(kept[0]), "b": Jsonb(kept[1]), "r": run_id},
                )
        english = client.get("/review").text  # no preference: English
        assert '<html lang="en">' in english
        assert "Review queue" in english
        assert "Gennemgangskø" not in english
    with httpx.Client(base_url=deployment["server"].url, follow_redirects=False, timeout=120) as lab:
        signed_in(lab, "lab", LAB)
        page = lab.get("/lab/batches", headers=danish).text
        assert '<html lang="da">' in page
        heartbeat = page.split('data-testid="worker-heartbeat">')[1].split("</p>")[0]
        # whether a worker was seen lately or not, the lab reads it in Danish (built in Python)
        assert any(
            phrase in heartbeat
            for phrase in ("Arbejdere kører", "Ingen arbejder er set", "Der er endnu ikke set nogen arbejder")
        ), heartbeat
        assert "heartbeat" not in heartbeat


def test_a_danish_lab_user_reads_the_submission_problems_in_danish(deployment, sim):
    """A manifest with a bad row and a VCF whose header cannot be checked, uploaded by a lab user whose
    browser prefers Danish: every problem in Danish (the file, line and sample as written); the same
    upload in English reads as the CLI's text. A folder outside the data root is refused in Danish."""
    from screening.simulate.vcf_files import write_vcf_bgzip_indexed

    danish = {"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"}
    folder = sim.out_dir / "danish-upload"
    folder.mkdir(exist_ok=True)
    text = gzip.decompress((TEST_VCFS / "naming_plain.GRCh38.vcf.gz").read_bytes()).decode()
    no_x = "\n".join(ln for ln in text.splitlines() if not ln.startswith(("##contig=<ID=X,", "X\t"))) + "\n"
    write_vcf_bgzip_indexed(no_x, folder / "nox.vcf.gz")
    manifest = b"sample_id,vcf,sex,vcf_sample\nDK1,nox.vcf.gz,female,BABY\nDK2,missing.vcf.gz,pige,\n"
    files = {"manifest": ("dk-run.csv", manifest, "text/csv")}

    def problems(page: str) -> list[str]:
        return re.findall(
            r"<li>(.*?)</li>", page.split('data-testid="submit-problems"')[1].split("</section>")[0]
        )

    with httpx.Client(base_url=deployment["server"].url, follow_redirects=False, timeout=120) as lab:
        signed_in(lab, "lab", LAB)
        form = {"panel": deployment["label"], "folder": "danish-upload"}
        form["csrf_token"] = csrf_token(lab.get("/lab/batches/new", headers=danish).text)
        refused = lab.post("/lab/batches/new", data=form, files=files, headers=danish)
        assert refused.status_code == 422
        listed = problems(refused.text)
        assert "3 problem(er) i dk-run.csv: intet blev indsendt" in refused.text
        assert any(
            p.startswith("dk-run.csv:2 (prøve DK1): ")
            and "headeren har ingen ##contig-linje for kromosom(er) X" in p
            for p in listed
        ), listed
        assert any(
            p.startswith("dk-run.csv:3 (prøve DK2): køn &#39;pige&#39; er ikke en af") for p in listed
        ), listed
        assert any(
            "dk-run.csv:3 (prøve DK2): VCF &#39;missing.vcf.gz&#39; blev ikke fundet i dataroden" in p
            for p in listed
        )
        for english in ("declares no ##contig", "sample DK", "is not one of", "teknisk tekst"):
            assert english not in refused.text, english
        assert str(sim.out_dir) not in refused.text  # the VCF by its path in the data root, no server path
        assert any("(prøve DK1): danish-upload/nox.vcf.gz: headeren har ingen" in p for p in listed), listed
        outside = {**form, "folder": "../elsewhere"}
        page = lab.post("/lab/batches/new", data=outside, files=files, headers=danish)
        assert page.status_code == 422
        assert problems(page.text) == [
            "indsendelsen af batchen: mappen &#39;../elsewhere&#39; ligger uden for dataroden: "
            "angiv en sti inden for den"
        ]
        english = lab.post("/lab/batches/new", data=form, files=files)
        listed = problems(english.text)
        assert any(
            p.startswith("dk-run.csv:2 (sample DK1): ")
            and "danish-upload/nox.vcf.gz: the header declares no ##contig line for chromosome(s) X" in p
            for p in listed
        ), listed
        assert "3 problem(s) in dk-run.csv: nothing was submitted" in english.text
        assert str(sim.out_dir) not in english.text
        # the batch page and what it polls: states, counts and the summary in Danish, the codes kept
        page = lab.get("/lab/batches/prog-denmark", headers=danish).text
        assert 'data-testid="batch-state">afsluttet</strong>' in page
        assert "2 af 2 screenet" in page
        assert "screenet: <strong" in page
        assert "modtagelse" in page.split('data-field="turnaround"')[1].split("</table>")[0].lower()
        progress = lab.get("/lab/batches/prog-denmark/progress.json", headers=danish).json()
        assert (progress["state"], progress["state_label"]) == ("finalised", "afsluttet")
        assert progress["summary"] == "2 af 2 screenet"
        assert {(s["state"], s["state_label"]) for s in progress["samples"]} == {("screened", "screenet")}
        assert {s["outcome_label"] for s in progress["samples"]} == {"ingen mistanke om sygdom"}
        english = lab.get("/lab/batches/prog-denmark/progress.json").json()
        assert (english["state_label"], english["summary"]) == ("finalised", "2 of 2 screened")
