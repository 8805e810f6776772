"""Identity CSV: every problem at once, with line numbers, never echoing identifying values."""

from __future__ import annotations

from datetime import date

import pytest

from screening.errors import ValidationError
from screening.identity import (
    cpr_birth_date_matches,
    nhs_number_valid,
    parse_identity_csv,
    parse_identity_text,
    unmatched_samples,
)

TODAY = date(2026, 3, 10)
HEADER = "sample_id,given_name,family_name,nhs_number,date_of_birth,address,postcode,"
HEADER += "gp_name,gp_practice,gp_address\n"
GOOD = (
    'B07,Olivia,Testbaby,943 476 5919,2026-02-14,"12 Example Road; Leeds",ls1 4ap,'
    'Dr A. Practitioner,Riverside Surgery,"1 River Street\nLeeds"\n'
)
SECRETS = ("Olivia", "Testbaby", "9434765919", "943 476 5919", "2026-02-14", "Example Road", "Practitioner")


def parse(body: str, header: str = HEADER):
    return parse_identity_text(header + body, "identity.csv", TODAY)


def problems_of(body: str, header: str = HEADER) -> str:
    with pytest.raises(ValidationError) as caught:
        parse(body, header)
    return str(caught.value)


def test_a_good_row():
    (who,) = parse(GOOD)
    assert who.sample_id == "B07"
    assert who.nhs_number == "9434765919"
    assert who.national_id_display == "943 476 5919"
    assert who.date_of_birth == date(2026, 2, 14)
    assert who.address_lines == ("12 Example Road", "Leeds")
    assert who.postcode == "LS1 4AP"
    assert who.gp_address_lines == ("1 River Street", "Leeds")


def test_repr_masks_everything_but_the_sample_id():
    (who,) = parse(GOOD)
    for text in (repr(who), str(who), f"{who}"):
        assert "B07" in text
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9434765919", True),
        ("943 476 5919", True),
        ("943-476-5919", True),
        ("9434765918", False),
        ("943476591", False),
        ("94347659190", False),
        ("abcdefghij", False),
        ("", False),
    ],
)
def test_nhs_number_modulus_11(number, valid):
    assert nhs_number_valid(number) is valid


def test_nhs_number_whose_check_digit_would_be_10_is_invalid():
    # weights 10..2 over 000000001 give 2 -> remainder 2 -> check 9; search one whose check would be 10
    for n in range(10_000):
        stem = f"{n:09d}"
        total = sum(int(d) * w for d, w in zip(stem, range(10, 1, -1), strict=True))
        if 11 - total % 11 == 10:
            assert not any(nhs_number_valid(stem + str(d)) for d in range(10))
            return
    pytest.fail("no stem with check digit 10 found")


def test_a_missing_date_of_birth_is_an_error_not_today():
    message = problems_of(GOOD.replace("2026-02-14", ""))
    assert "identity.csv:2 (sample B07): empty: date_of_birth" in message
    assert "date_of_birth" in message


@pytest.mark.parametrize("bad", ["14/02/2026", "2026-02-30", "20260214", "2026-2-14"])
def test_a_malformed_date_of_birth_is_an_error(bad):
    message = problems_of(GOOD.replace("2026-02-14", bad))
    assert "date_of_birth is not a valid ISO date" in message
    assert bad not in message


def test_a_future_date_of_birth_is_an_error():
    assert "in the future" in problems_of(GOOD.replace("2026-02-14", "2026-04-01"))


def test_an_invalid_nhs_number_is_an_error_without_the_number():
    message = problems_of(GOOD.replace("943 476 5919", "943 476 5918"))
    assert "Modulus 11" in message
    assert "5918" not in message


def test_every_problem_at_once_with_line_numbers_and_no_identifying_values():
    body = (
        GOOD
        + GOOD.replace("B07", "B08").replace("2026-02-14", "")
        + GOOD.replace("B07", "B09").replace("943 476 5919", "1234567890")
        + GOOD.replace("Olivia", "")  # repeated B07, and empty given name
        + GOOD.replace("B07", "bad id!")
    )
    message = problems_of(body)
    # each row spans two physical lines (the GP address is quoted over two): lines are where rows start
    assert "identity.csv:4 (sample B08): empty: date_of_birth" in message
    assert "identity.csv:6 (sample B09): NHS number" in message
    assert "identity.csv:8 (sample B07): empty: given_name" in message
    assert "identity.csv:10: sample_id is missing or not a plain identifier" in message
    for secret in SECRETS:
        assert secret not in message


def test_repeated_sample_id():
    message = problems_of(GOOD + GOOD)
    assert "identity.csv:4 (sample B07): sample id repeated (first on line 2)" in message


def test_header_problems_listed_together():
    header = HEADER.replace("family_name,", "").replace("\n", ",mother\n")
    message = problems_of("", header)
    assert "missing column(s): family_name" in message
    assert "unknown column(s): mother" in message


def test_generic_national_id_with_cpr():
    header = HEADER.replace("nhs_number", "national_id,id_scheme")
    row = GOOD.replace("943 476 5919", "140226-4234,cpr")
    (who,) = parse(row, header)
    assert who.id_scheme == "cpr"
    assert who.national_id == "140226-4234"
    assert who.nhs_number is None
    message = problems_of(GOOD.replace("943 476 5919", "150226-4234,cpr"), header)
    assert "does not match date_of_birth" in message
    assert "150226" not in message
    # 7th digit 1: born 1900-1999, so 140226-1234 is a baby of 1926, not of 2026
    assert "does not match date_of_birth" in problems_of(
        GOOD.replace("943 476 5919", "140226-1234,cpr"), header
    )
    assert "valid birth date" in problems_of(GOOD.replace("943 476 5919", "310226-4234,cpr"), header)
    assert "id_scheme must be one of" in problems_of(GOOD.replace("943 476 5919", "140226-1234,ssn"), header)


def test_generic_national_id_with_nhs_is_checked_too():
    header = HEADER.replace("nhs_number", "national_id,id_scheme")
    assert "Modulus 11" in problems_of(GOOD.replace("943 476 5919", "9434765918,nhs"), header)


def test_both_id_styles_is_an_error():
    header = HEADER.replace("nhs_number", "nhs_number,national_id,id_scheme")
    assert "not both" in problems_of(GOOD.replace("943 476 5919", "9434765919,x,nhs"), header)


def test_too_many_fields():
    assert "more fields than header columns" in problems_of(GOOD.rstrip("\n") + ",extra\n")


def test_cpr_date_match():
    assert cpr_birth_date_matches("140226-4234", date(2026, 2, 14))
    assert cpr_birth_date_matches("140226-1234", date(1926, 2, 14))
    assert not cpr_birth_date_matches("140226-1234", date(2026, 2, 14))
    assert not cpr_birth_date_matches("140226-4234", date(2026, 2, 15))


def test_file_with_byte_order_mark(tmp_path):
    path = tmp_path / "identity.csv"
    path.write_bytes(("\ufeff" + HEADER + GOOD).encode("utf-8"))
    (who,) = parse_identity_csv(path, TODAY)
    assert who.sample_id == "B07"


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(ValidationError, match="cannot be read"):
        parse_identity_csv(tmp_path / "absent.csv", TODAY)
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + GOOD.replace("Olivia", "Zoë")).encode("latin-1"))
    with pytest.raises(ValidationError, match="is not UTF-8"):
        parse_identity_csv(path, TODAY)


def test_empty_file_is_an_error():
    assert "no rows" in problems_of("")


def test_unmatched_samples():
    (who,) = parse(GOOD)
    assert unmatched_samples((who,), {"B07"}, "identity.csv") == ()
    (problem,) = unmatched_samples((who,), {"B08"}, "identity.csv")
    assert str(problem) == "identity.csv (sample B07): no such sample"
