"""Append-only tables refuse TRUNCATE too; the guard's message fits every table it protects.

Row triggers do not fire on TRUNCATE, so until now `TRUNCATE panel_gene` would have emptied a
published version. Statement-level BEFORE TRUNCATE triggers close that gap for the published panel
content, the ClinVar snapshots, the review decisions, issued letters and identity views.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

GUARDED = (
    "panel_version",
    "panel_gene",
    "panel_include",
    "panel_exclude",
    "clinvar_snapshot",
    "clinvar_record",
    "finding_decisions",
    "case_decisions",
    "issued_letters",
    "identity_views",
)

MESSAGE_NEW = r"""
CREATE OR REPLACE FUNCTION screening_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable: % refused (versions and audit records are only added)',
                  TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$;
"""

MESSAGE_OLD = r"""
CREATE OR REPLACE FUNCTION screening_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'published % rows are immutable', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
"""


def upgrade() -> None:
    op.execute(MESSAGE_NEW)
    for table in GUARDED:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change()"
        )


def downgrade() -> None:
    for table in reversed(GUARDED):
        op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
    op.execute(MESSAGE_OLD)
