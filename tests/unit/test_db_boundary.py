"""The database boundary's two conventions, without a database: rows become dataclasses one way
(``row_to``), and psycopg errors become the project's one way (``translate_errors``)."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest

from screening.db.connection import row_to, translate, translate_errors
from screening.errors import PermissionDenied, StateError, TransientError, UnstorableValue


@dataclass(frozen=True)
class _Row:
    id: int
    name: str
    note: str = "none"


def test_row_to_reads_same_named_columns_takes_converted_values_and_ignores_the_rest():
    assert row_to(_Row, {"id": 1, "name": "a", "extra": 9}) == _Row(1, "a")
    assert row_to(_Row, {"id": 1, "name": "a", "note": "n"}) == _Row(1, "a", "n")
    assert row_to(_Row, {"id": 1, "raw": "A"}, name="a") == _Row(1, "a")
    with pytest.raises(KeyError, match="name"):
        row_to(_Row, {"id": 1})


def test_each_kind_of_database_error_becomes_the_projects():
    assert isinstance(translate(psycopg.OperationalError("connection refused")), TransientError)
    assert "disk is full" in str(translate(psycopg.errors.DiskFull()))
    assert "at the same time" in str(translate(psycopg.errors.SerializationFailure()))
    assert "read-only" in str(translate(psycopg.errors.ReadOnlySqlTransaction()))
    assert isinstance(translate(psycopg.errors.InsufficientPrivilege()), PermissionDenied)
    bad = translate(psycopg.errors.InvalidDatetimeFormat('invalid input syntax for type date: "2024-13-01"'))
    assert isinstance(bad, UnstorableValue)
    assert "2024-13-01" not in str(bad)  # never a value of the row
    unique = translate(psycopg.errors.UniqueViolation("duplicate key"))
    assert isinstance(unique, StateError)
    assert "UniqueViolation" in str(unique)


def test_a_specific_message_replaces_the_general_one_and_the_psycopg_error_is_not_chained():
    specific = translate_errors(unique="batch B1 already exists")
    with pytest.raises(StateError, match=r"^batch B1 already exists$") as caught, specific:
        raise psycopg.errors.UniqueViolation('Key (lab_batch_id)=("B1") already exists.')
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    identity = translate_errors(otherwise="identity of sample S1 not stored")
    with pytest.raises(UnstorableValue, match=r"^identity of sample S1 not stored \(DataError\)$"), identity:
        raise psycopg.DataError("value too long")


def test_with_specific_messages_other_errors_go_on_to_the_enclosing_translation():
    refused = psycopg.errors.RestrictViolation("panel version p@1.0 was retired")
    with pytest.raises(StateError, match="retired"), translate_errors(), translate_errors(unique="exists"):
        raise refused
    with pytest.raises(psycopg.errors.RestrictViolation), translate_errors(unique="exists"):
        raise refused
    lost = psycopg.OperationalError("server closed the connection")
    with (  # never "identity … not stored"
        pytest.raises(TransientError, match="unreachable"),
        translate_errors(),
        translate_errors(otherwise="identity of sample S1 not stored"),
    ):
        raise lost
