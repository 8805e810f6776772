"""A screened batch behind a real ``screening serve``: shared by the HTTP tests (test_web.py) and the
browser tests (tests/browser). Everything real: PostgreSQL, Celery workers, the engine, the server."""

from __future__ import annotations

import contextlib
import csv
import json
import random
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from conftest import SCREENING, Pipeline, make_settings, publish

PASSWORD = "correct horse battery staple"
USERS = {"lab": "lab1", "reviewer": "rev1", "curator": "cur1", "admin": "adm1"}
SECOND_REVIEWER = "rev2"  # four eyes: a second reviewer account confirms a "condition suspected" outcome
BATCH_ID = "web-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def nhs_number(rng: random.Random) -> str:
    """A random 10-digit NHS number with a valid Modulus 11 check digit."""
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)


def write_identity_csv(path: Path, sample_ids: list[str], seed: int = 7) -> dict[str, dict[str, str]]:
    """Identities for the babies (distinctive, greppable names); returns them by sample id."""
    rng = random.Random(seed)
    rows = {}
    for i, sid in enumerate(sample_ids):
        rows[sid] = {
            "sample_id": sid,
            "given_name": f"Wilhelmina{i:02d}",
            "family_name": f"Quartermaine{i:02d}",
            "nhs_number": nhs_number(rng),
            "date_of_birth": f"2026-10-{1 + i % 28:02d}",
            "address": f"{10 + i} Larkspur Lane;Oxbridge",
            "postcode": "OX1 2AB",
            "gp_name": "Dr Ada Pemberton",
            "gp_practice": "Larkspur Surgery",
            "gp_address": "1 High Street;Oxbridge",
        }
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(next(iter(rows.values()))))
        writer.writeheader()
        writer.writerows(rows.values())
    return rows


class Server:
    """``screening serve`` in a subprocess on a free port; its output goes to a log file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        argv = [str(SCREENING), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self._out = log.open("w")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._out, stderr=subprocess.STDOUT)
        self._wait()

    def _wait(self, timeout_s: float = 180) -> None:  # a loaded 2-core machine can take a minute to import
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"screening serve exited:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"screening serve did not answer:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._out.close()


@dataclass
class Site:
    pipeline: Pipeline
    server: Server
    batch_id: str
    identities: dict[str, dict[str, str]]
    truth: dict[str, dict]
    data_root: Path
    panel_label: str
    extra: dict = field(default_factory=dict)
    server_env: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def flagged(self) -> list[str]:
        return sorted(s for s, t in self.truth.items() if t["expected_outcome"] == "condition_suspected")

    def clear(self) -> list[str]:
        return sorted(s for s, t in self.truth.items() if t["expected_outcome"] == "no_condition_suspected")


def add_user(pipeline: Pipeline, name: str, role: str, password: str = PASSWORD) -> None:
    """``screening user add`` with the password on standard input (never an option)."""
    argv = [str(SCREENING), "user", "add", name, "--role", role, "--password-stdin"]
    proc = subprocess.run(
        argv, env=pipeline.env, input=password + "\n", capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr


def build_site(home: Path, db_url: str, panel, sim, suffix: str) -> Site:
    """Publish the panel, screen the simulated batch with real workers, add users and identities, serve."""
    settings = make_settings(home, db_url, data_root=sim.out_dir.resolve())
    pipeline = Pipeline(settings, home / "logs")
    label = publish(settings, panel, sim, suffix)
    pipeline.start(2)
    try:
        batch_id = pipeline.submit(sim.manifest, label, f"{BATCH_ID}-{suffix}")
        pipeline.wait(batch_id)
    finally:
        pipeline.stop()
    for role, name in USERS.items():
        add_user(pipeline, name, role)
    add_user(pipeline, SECOND_REVIEWER, "reviewer")
    truth = {b["sample_id"]: b for b in json.loads(sim.truth.read_text())["babies"]}
    ids_csv = home / "identities.csv"
    identities = write_identity_csv(ids_csv, sorted(truth))
    pipeline.cli("identity", "import", str(ids_csv), "--batch-id", batch_id)
    # plain HTTP on 127.0.0.1: the documented switch (Secure cookies would not be sent back over HTTP)
    env = {**pipeline.env, "SCREENING_SECRET_KEY": "test-secret-" + suffix, "SCREENING_WEB_HTTPS": "off"}
    server = Server(env, home / "serve.log")
    site = Site(pipeline, server, batch_id, identities, truth, sim.out_dir.resolve(), label)
    site.server_env = env
    return site


def identity_strings(site: Site) -> list[str]:
    """Every identifying value planted, for "never in logs / never to the lab" checks."""
    values = []
    for row in site.identities.values():
        values += [row["given_name"], row["family_name"], row["nhs_number"], "Larkspur Lane"]
    return values


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(client, role: str, username: str | None = None):
    """``client`` (an httpx.Client) signed in as the role's user, or as ``username``."""
    page = client.get("/login")
    name = username or USERS[role]
    r = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(page.text), "next": "/"},
    )
    assert r.status_code == 303, r.text
    return client


@contextlib.contextmanager
def own_database(tmp_path: Path) -> Iterator[str]:
    """A migrated database of a site's own: every site adds the same users (USERS), so two sites in
    one test session cannot share the session's database."""
    from test_migrations import _fresh_database

    from screening.db import migrate

    with _fresh_database(tmp_path) as url:
        migrate.upgrade(url)
        yield url
