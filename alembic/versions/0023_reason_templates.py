"""Screening runs keep, beside the English text of each reason and "not evaluated" note, the gettext
template it was built from and its parameters (issue 12: the engine's texts shown in the programme's
language). ``reason_templates`` / ``not_evaluated_templates``: JSON lists parallel to ``reasons`` /
``not_evaluated``, each item ``{"template": …, "params": {…}}`` (see ``screening.domain.Reason``). The
English text stays what is stored, compared and audited; null (a row screened before this revision):
its texts are shown in English. New columns inherit the table's grants; adding nullable columns
rewrites no row.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE screening_run ADD COLUMN reason_templates jsonb, "
        "ADD COLUMN not_evaluated_templates jsonb"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE screening_run DROP COLUMN not_evaluated_templates, DROP COLUMN reason_templates")
