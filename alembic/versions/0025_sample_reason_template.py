"""A sample's reason (why it is failed, held or back in the queue) keeps, beside its English text, the
gettext template it was built from and its parameters, as the runs' reasons do since 0023: the lab's
pages show it in the page's language. ``reason_template``: ``{"template": …, "params": {…}}`` (see
``screening.domain.Reason``); null for a reason stored before this revision or built as plain text
(shown in English, said to be so). The English ``reason`` stays what is stored, logged and audited. A
new nullable column rewrites no row and inherits the table's grants.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE sample ADD COLUMN reason_template jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE sample DROP COLUMN reason_template")
