"""Panel genes carry an urgency (immediate, high, routine): the review queue puts the most urgent first.

Existing rows take 'routine', the format's default. Adding a column with a constant default rewrites
no row and fires no row trigger, so the published (immutable) panel content is untouched; routine is
left out of a panel's canonical content, so every version published before keeps its sha256.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE panel_gene ADD COLUMN urgency text NOT NULL DEFAULT 'routine' "
        "CONSTRAINT panel_gene_urgency_known CHECK (urgency IN ('immediate', 'high', 'routine'))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE panel_gene DROP COLUMN urgency")
