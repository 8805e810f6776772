"""Settings from the environment, and the named-SQL loader (no database)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from screening.config import load_settings
from screening.db.sql import parse_queries, queries
from screening.errors import ScreeningError


def test_defaults_are_embedded_services(tmp_path):
    s = load_settings({"SCREENING_HOME": str(tmp_path)})
    assert s.embedded_database
    assert s.broker_kind == "filesystem"
    assert (s.lease_seconds, s.max_attempts, s.queue, s.cohort_min_babies) == (120, 3, "screening", 20)
    assert s.pgdata == tmp_path.resolve() / "pgdata"


def test_configured_services_and_child_environment(tmp_path):
    env = {
        "SCREENING_HOME": str(tmp_path),
        "SCREENING_DATABASE_URL": "postgresql://db/screening",
        "SCREENING_BROKER_URL": "amqp://guest:guest@mq//",
        "SCREENING_QUEUE": "screening-staging",
        "SCREENING_MAX_ATTEMPTS": "5",
    }
    s = load_settings(env)
    assert (s.embedded_database, s.broker_kind, s.queue, s.max_attempts) == (
        False,
        "amqp",
        "screening-staging",
        5,
    )
    assert load_settings(s.as_environment()) == s
    assert load_settings({**env, "SCREENING_BROKER_URL": "redis://r:6379/0"}).broker_kind == "redis"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SCREENING_LEASE_SECONDS", "soon", "is not a int"),
        ("SCREENING_MAX_ATTEMPTS", "0", "must be at least 1"),
        ("SCREENING_QUEUE", "screening queue", "use letters, digits"),
        ("SCREENING_POSITIVE_RATE_BAND", "3.7", "use LOW-HIGH in per cent"),
        ("SCREENING_POSITIVE_RATE_BAND", "4-1", "need 0 <= LOW <= HIGH <= 100"),
        ("SCREENING_POSITIVE_RATE_BAND", "nan-nan", "need 0 <= LOW <= HIGH <= 100"),
        ("SCREENING_SHARE_MIN_COUNT", "0", "must be at least 1"),
    ],
)
def test_bad_values_name_the_variable(tmp_path, name, value, message):
    with pytest.raises(ScreeningError, match=rf"{name}=.*{re.escape(message)}"):
        load_settings({"SCREENING_HOME": str(tmp_path), name: value})


def test_programme_figure_settings_and_their_child_environment(tmp_path):
    s = load_settings({"SCREENING_HOME": str(tmp_path)})
    assert s.positive_rate_band == (1.0, 3.7)
    assert s.share_min_count == 5
    env = {
        "SCREENING_HOME": str(tmp_path),
        "SCREENING_POSITIVE_RATE_BAND": "0.5-2",
        "SCREENING_SHARE_MIN_COUNT": "10",
    }
    s = load_settings(env)
    assert s.positive_rate_band == (0.5, 2.0)
    assert s.share_min_count == 10
    assert load_settings(s.as_environment()) == s


def test_unsupported_broker_scheme_is_refused(tmp_path):
    s = load_settings({"SCREENING_HOME": str(tmp_path), "SCREENING_BROKER_URL": "sqs://x"})
    with pytest.raises(ScreeningError, match="unsupported scheme 'sqs'"):
        _ = s.broker_kind


def test_parse_queries_drops_descriptions_and_refuses_duplicates():
    text = "-- one --\n-- what it does\nSELECT 1;\n\n-- two --\nSELECT %(x)s\n"
    assert parse_queries(text) == {"one": "SELECT 1", "two": "SELECT %(x)s"}
    with pytest.raises(ValueError, match="'one' is defined twice"):
        parse_queries(text + "-- one --\nSELECT 2;\n")


SQL_FILES = sorted(f.name for f in resources.files("screening.db").iterdir() if f.name.endswith(".sql"))


@pytest.mark.parametrize("name", SQL_FILES)
def test_every_named_sql_file_parses_and_uses_named_parameters(name):
    text = resources.files("screening.db").joinpath(name).read_text("utf-8")
    parsed = parse_queries(text, name)
    assert parsed
    assert set(parsed) <= set(queries())  # the one loader reads every file
    for sql in parsed.values():
        assert not re.search(r"\{[a-z_]+\}", sql)  # no format strings: parameters are %(name)s
        assert not re.search(r"%s\b", sql)


def test_every_query_the_code_names_exists():
    named = set(queries())
    source = "\n".join(p.read_text() for p in Path(__file__).resolve().parents[2].glob("screening/**/*.py"))
    used = set(re.findall(r"\bquery\(\s*\"([a-z0-9_]+)\"", source))
    assert used
    assert used <= named, used - named


def test_web_submission_paths_resolve_as_the_readme_says(tmp_path):
    """Against SCREENING_DATA_ROOT when set, else the documented default $SCREENING_HOME/data: never the
    folder of whatever absolute path the lab gives. Outside it is refused; errors never show the root."""
    from screening.config import load_settings
    from screening.errors import ValidationError
    from screening.web.submission import shared_path

    home = tmp_path / "home"
    unset = load_settings({"SCREENING_HOME": str(home)})
    assert unset.data_root is None
    assert unset.shared_data_root == home / "data"
    with pytest.raises(ValidationError) as missing:
        shared_path(unset, ".", "folder")  # the default folder not created yet: said, without its path
    assert "data root does not exist" in str(missing.value.problems[0])
    assert str(home) not in str(missing.value.problems[0])
    (home / "data" / "run").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    assert shared_path(unset, "run", "folder") == (home / "data" / "run", home / "data")
    assert shared_path(unset, ".", "folder") == (home / "data", home / "data")
    assert shared_path(unset, str(home / "data" / "run" / "m.csv"), "manifest path") == (
        home / "data" / "run" / "m.csv",
        home / "data",
    )  # an absolute path inside the data root is that path
    for given in (str(tmp_path / "elsewhere"), "/etc/passwd", "../../elsewhere", "run/../../.."):
        with pytest.raises(ValidationError) as outside:
            shared_path(unset, given, "folder")
        text = str(outside.value.problems[0])
        assert "outside the data root" in text, given
        assert str(home) not in text
    (home / "data" / "escape").symlink_to(tmp_path / "elsewhere")  # a link out is outside too
    with pytest.raises(ValidationError, match="outside the data root"):
        shared_path(unset, "escape", "folder")
    rooted = load_settings({"SCREENING_HOME": str(home), "SCREENING_DATA_ROOT": str(tmp_path)})
    assert rooted.shared_data_root == tmp_path
    assert shared_path(rooted, "elsewhere", "folder") == (tmp_path / "elsewhere", tmp_path)
    with pytest.raises(ValidationError) as outside:
        shared_path(rooted, "../etc", "folder")
    assert "outside the data root" in str(outside.value.problems[0])
    assert str(tmp_path) not in str(outside.value.problems[0])


def test_four_eyes_is_on_by_default_and_can_be_switched_off(tmp_path):
    from screening.config import load_settings

    home = {"SCREENING_HOME": str(tmp_path)}
    assert load_settings(home).four_eyes is True
    assert load_settings({**home, "SCREENING_FOUR_EYES": "off"}).four_eyes is False
    assert (
        load_settings(load_settings({**home, "SCREENING_FOUR_EYES": "off"}).as_environment()).four_eyes
        is False
    )
