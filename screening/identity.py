"""Parse and validate the laboratory's identity CSV (who each baby is), keyed by sample id.

Columns (header required, UTF-8, a leading byte-order mark is accepted)::

    sample_id,given_name,family_name,nhs_number,date_of_birth,address,postcode,gp_name,gp_practice,gp_address

The national number comes either as ``nhs_number`` (NHS number, England/Wales/Isle of Man) or as the
pair ``national_id`` + ``id_scheme`` where ``id_scheme`` is ``nhs`` or ``cpr`` (Danish CPR number,
``DDMMYY-SSSS``); one style per file. ``address`` and ``gp_address`` hold their lines separated by
``;`` or by new lines inside the quoted field; the postcode is its own column.

Checks (python-stdnum's ``stdnum.gb.nhs`` and ``stdnum.dk.cpr``): every column present and non-empty;
NHS numbers have 10 digits and a valid Modulus 11 check digit (spaces and hyphens are ignored); CPR
numbers have 10 digits forming a real birth date, and that date — day, month, year and the century
the 7th digit encodes — is the date of birth (the CPR check digit is not used since 2007, so it is not
checked); the date of birth
is an ISO date (``YYYY-MM-DD``) and not in the future — **a missing date is an error, never today**;
a sample id appears once. Every problem is reported at once with its line number and sample id, and
**no message repeats an identifying value** (names, numbers, dates, addresses): only column names.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError as NumberError
from stdnum.gb import nhs as stdnum_nhs

from screening.cases import Identity
from screening.domain import N_, Reason
from screening.errors import Problem, ValidationError
from screening.inputs import field_problem

COMMON_COLUMNS = (
    "sample_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "address",
    "postcode",
    "gp_name",
    "gp_practice",
    "gp_address",
)
NHS_STYLE = ("nhs_number",)
GENERIC_STYLE = ("national_id", "id_scheme")
ID_SCHEMES = ("nhs", "cpr")
_SAMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MULTILINE_COLUMNS = ("address", "gp_address")
MAX_IDENTITY_FIELD = 1000
_LINE_SPLIT = re.compile(r"\s*(?:;|\r?\n)\s*")


def nhs_number_valid(number: str) -> bool:
    """True for a 10-digit NHS number whose last digit is its Modulus 11 check digit."""
    digits = re.sub(r"[\s-]", "", number)
    return bool(re.fullmatch(r"\d{10}", digits)) and stdnum_nhs.is_valid(digits)


def cpr_birth_date(number: str) -> date | None:
    """The birth date a 10-digit CPR number encodes (DDMMYY and the century of its 7th digit), or None
    when it is not a CPR number with a real date."""
    digits = re.sub(r"[\s-]", "", number)
    if not re.fullmatch(r"\d{10}", digits):
        return None
    try:
        return stdnum_cpr.get_birth_date(digits)
    except NumberError:
        return None


def cpr_birth_date_matches(number: str, born: date) -> bool:
    """True for a 10-digit CPR number whose birth date (DDMMYY, century from its 7th digit) is ``born``."""
    return cpr_birth_date(number) == born


def parse_identity_csv(path: Path, today: date | None = None) -> tuple[Identity, ...]:
    """Read and validate an identity CSV file; raises ValidationError listing every problem."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ValidationError(
            str(path), [Problem(str(path), Reason(N_("cannot be read ({error})"), error=str(exc.strerror)))]
        ) from None
    except UnicodeDecodeError:
        raise ValidationError(str(path), [Problem(str(path), Reason(N_("is not UTF-8 text")))]) from None
    return parse_identity_text(text, Path(path).name, today)


def parse_identity_text(text: str, source: str = "identity.csv", today: date | None = None):
    """Validate identity CSV text (e.g. an upload); returns Identity rows in file order."""
    today = today or date.today()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = tuple(name.strip() for name in (reader.fieldnames or ()))
    problems = list(_header_problems(header, source))
    if problems:
        raise ValidationError(source, problems)
    identities: list[Identity] = []
    seen: dict[str, int] = {}
    last_end = reader.line_num  # after the header; a quoted field may span lines
    rows = []
    try:
        for row in reader:
            rows.append((last_end + 1, row))  # the line the record starts on
            last_end = reader.line_num
    except csv.Error as exc:  # a field over the csv module's limit, …: the line, never the value
        raise ValidationError(source, [Problem(f"{source}:{last_end + 1}", _csv_problem(exc))]) from None
    for line, row in rows:
        values = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        if None in row:
            problems.append(Problem(f"{source}:{line}", Reason(N_("more fields than header columns"))))
            continue
        identity, row_problems = _parse_row(values, f"{source}:{line}", today)
        problems.extend(row_problems)
        if identity is None:
            continue
        if identity.sample_id in seen:
            where = _where(source, line, identity.sample_id)
            first = seen[identity.sample_id]
            problems.append(
                Problem(where, Reason(N_("sample id repeated (first on line {line})"), line=first))
            )
            continue
        seen[identity.sample_id] = line
        identities.append(identity)
    if not identities and not problems:
        problems.append(Problem(source, Reason(N_("no rows"))))
    if problems:
        raise ValidationError(source, problems)
    return tuple(identities)


def _csv_problem(exc: csv.Error) -> Reason:
    return (
        Reason(N_("a field is too large")) if "field limit" in str(exc) else Reason(N_("not readable as CSV"))
    )


def _field_problems(values: dict[str, str], at: str) -> list[Problem]:
    """Control characters (new lines only inside the address columns) and oversized fields, by column."""
    problems = []
    for name, value in values.items():
        text = _LINE_SPLIT.sub(" ", value) if name in MULTILINE_COLUMNS else value
        bad = field_problem(name, text, MAX_IDENTITY_FIELD)
        if bad:
            problems.append(Problem(at, bad))
    return problems


def unmatched_samples(identities: tuple[Identity, ...], sample_ids: set[str], source: str):
    """Problems for identity rows whose sample id is not among the known samples."""
    return tuple(
        Problem(_where(source, sample_id=i.sample_id), Reason(N_("no such sample")))
        for i in identities
        if i.sample_id not in sample_ids
    )


def _header_problems(header: tuple[str, ...], source: str) -> list[Problem]:
    problems = []
    where = f"{source}:1"
    if not header:
        return [Problem(where, Reason(N_("no header line")))]
    has_nhs, has_generic = "nhs_number" in header, any(c in header for c in GENERIC_STYLE)
    if has_nhs and has_generic:
        problems.append(
            Problem(where, Reason(N_("use either nhs_number or national_id + id_scheme, not both")))
        )
    id_columns = NHS_STYLE if has_nhs or not has_generic else GENERIC_STYLE
    missing = [c for c in (*COMMON_COLUMNS, *id_columns) if c not in header]
    if missing:
        problems.append(
            Problem(where, Reason(N_("missing column(s): {columns}"), columns=", ".join(missing)))
        )
    known = set(COMMON_COLUMNS) | set(NHS_STYLE) | set(GENERIC_STYLE)
    unknown = [c for c in header if c not in known]
    if unknown:
        problems.append(
            Problem(where, Reason(N_("unknown column(s): {columns}"), columns=", ".join(unknown)))
        )
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        problems.append(
            Problem(where, Reason(N_("repeated column(s): {columns}"), columns=", ".join(duplicated)))
        )
    return problems


def _where(source_line: str, line: int | None = None, sample_id: str | None = None) -> str:
    base = source_line if line is None else f"{source_line}:{line}"
    return Reason(N_("{where} (sample {sample})"), where=base, sample=sample_id) if sample_id else base


def _parse_row(values: dict[str, str], at: str, today: date):
    field_problems = _field_problems(values, at)
    if field_problems:
        return None, field_problems
    sample_id = values.get("sample_id", "")
    sample_ok = bool(_SAMPLE_ID.match(sample_id))
    where = _where(at, sample_id=sample_id if sample_ok else None)
    problems: list[Problem] = []
    if not sample_ok:
        problems.append(Problem(at, Reason(N_("sample_id is missing or not a plain identifier"))))
    scheme = values.get("id_scheme", "nhs").lower() if "nhs_number" not in values else "nhs"
    number = values.get("nhs_number", values.get("national_id", ""))
    empty = [c for c in (*COMMON_COLUMNS[1:],) if not values.get(c)]
    if not number:
        empty.append("nhs_number" if "nhs_number" in values else "national_id")
    if empty:
        problems.append(Problem(where, Reason(N_("empty: {columns}"), columns=", ".join(empty))))
    born = _birth_date(values.get("date_of_birth", ""), today, where, problems)
    _check_number(scheme, number, born, where, problems)
    if problems:
        return None, problems
    return _identity(values, sample_id, scheme, number, born), problems


def _birth_date(text: str, today: date, where: str, problems: list[Problem]) -> date | None:
    if not text:
        return None  # reported as empty
    try:
        born = date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        born = None
    if born is None:
        problems.append(Problem(where, Reason(N_("date_of_birth is not a valid ISO date (YYYY-MM-DD)"))))
    elif born > today:
        problems.append(Problem(where, Reason(N_("date_of_birth is in the future"))))
    return born


def _check_number(scheme: str, number: str, born: date | None, where: str, problems: list[Problem]):
    if scheme not in ID_SCHEMES:
        problems.append(
            Problem(where, Reason(N_("id_scheme must be one of {schemes}"), schemes=", ".join(ID_SCHEMES)))
        )
    elif not number:
        return
    elif scheme == "nhs" and not nhs_number_valid(number):
        problems.append(
            Problem(where, Reason(N_("NHS number is not 10 digits with a valid Modulus 11 check digit")))
        )
    elif scheme == "cpr" and not re.fullmatch(r"\d{6}-?\d{4}", number):
        problems.append(Problem(where, Reason(N_("CPR number is not DDMMYY-SSSS"))))
    elif scheme == "cpr" and cpr_birth_date(number) is None:
        problems.append(Problem(where, Reason(N_("CPR number does not encode a valid birth date"))))
    elif scheme == "cpr" and born is not None and not cpr_birth_date_matches(number, born):
        problems.append(
            Problem(
                where,
                Reason(N_("CPR number's date part (with its century digit) does not match date_of_birth")),
            )
        )


def _identity(values: dict[str, str], sample_id: str, scheme: str, number: str, born: date) -> Identity:
    digits = re.sub(r"[\s-]", "", number)
    national_id = f"{digits[:6]}-{digits[6:]}" if scheme == "cpr" else digits
    return Identity(
        sample_id=sample_id,
        given_name=values["given_name"],
        family_name=values["family_name"],
        national_id=national_id,
        id_scheme=scheme,
        date_of_birth=born,
        address_lines=_lines(values["address"]),
        postcode=values["postcode"].upper(),
        gp_name=values["gp_name"],
        gp_practice=values["gp_practice"],
        gp_address_lines=_lines(values["gp_address"]),
    )


def _lines(text: str) -> tuple[str, ...]:
    return tuple(part for part in _LINE_SPLIT.split(text) if part)
