"""One exception hierarchy. Every message names the file, line or sample a lab user can act on,
and never carries identifying data (names, NHS/CPR numbers, dates of birth)."""

from __future__ import annotations

from dataclasses import dataclass

from screening.domain import N_, Reason


class ScreeningError(Exception):
    """Base class of every error this package raises on purpose. Raised with a ``domain.Reason``
    (``ScreeningError(Reason(N_("..."), ...))``), its message is shown in the reader's language; the
    English text (``str(exc)``) is what the CLI, the logs and the JSON API say."""

    @property
    def reason(self) -> str:
        """The message as it was built: its ``Reason`` when it was built from a template, else the
        English text (which a page in another language shows as untranslated)."""
        first = self.args[0] if len(self.args) == 1 else None
        return first if isinstance(first, Reason) else str(self)


@dataclass(frozen=True)
class Problem:
    """One problem found while validating an input; many are reported together."""

    where: str  # "gene_panels/x/genes.tsv:12" or "manifest.csv:3 (sample B07)"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class ValidationError(ScreeningError):
    """An input failed validation; carries every problem found, not only the first."""

    def __init__(self, subject: str, problems: list[Problem] | tuple[Problem, ...]):
        self.subject = subject
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{subject}: {len(self.problems)} problem(s)\n{lines}")


class PanelError(ValidationError):
    """A panel folder or panel version is not valid."""


class ManifestError(ValidationError):
    """A batch manifest is not valid."""


class LetterError(ValidationError):
    """A letter cannot be issued or rendered for a case; lists every reason at once."""


class FhirExportError(ValidationError):
    """A case cannot be exported, or the built resources fail FHIR validation."""


class VcfError(ScreeningError):
    """A VCF cannot be used: unreadable, not indexed, wrong build, sample absent, ..."""

    def __init__(self, path: str, message: str | tuple[Reason, ...]):
        """``message``: a text, a ``Reason``, or several reasons (joined with "; ")."""
        self.path, self.message = path, message
        if isinstance(message, Reason | tuple):
            super().__init__(Reason(N_("{path}: {message}"), path=path, message=message))
        else:
            super().__init__(f"{path}: {message}")


class VcfRecordError(VcfError):
    """A record in a region the screen reads is malformed: the file, record and problem are named
    (``line`` is filled in by the reader when it can find it)."""

    def __init__(self, path: str, chrom: str, pos: str, problem: str, line: int | None = None):
        self.chrom, self.pos, self.problem, self.line = chrom, pos, problem, line
        where = f"line {line}, " if line else ""
        super().__init__(path, f"{where}record {chrom}:{pos}: {problem}")


class ClinVarError(VcfError):
    """A ClinVar snapshot VCF cannot be used."""


class IntegrityError(ScreeningError):
    """A file changed since it was registered (sha256 mismatch) or a stored record was tampered with."""


class NotFoundError(ScreeningError):
    """A batch, sample or panel version does not exist."""


class StateError(ScreeningError):
    """An operation is not allowed in the current state (published version edited, retired panel used...)."""


class TransientError(ScreeningError):
    """A database or broker is unreachable for now; the operation can be retried."""


class DatabaseError(ScreeningError):
    """The database failed an operation for a reason this package does not name more precisely."""


class UnstorableValue(DatabaseError):
    """A value PostgreSQL refuses to store (a NUL in text, a number out of range, …): bad input."""


class PermissionDenied(DatabaseError):
    """The database role this process connects as may not do what was asked (a deployment fault)."""
