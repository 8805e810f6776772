"""Candidates carry the span of a symbolic structural variant (``<DEL>`` …): its last base, sv_end.

A whole-gene deletion is shown in the review evidence with its span (screening-rules §3.5). Null for
sequence variants, whose span is POS..POS+len(REF)-1. Adding a nullable column rewrites no row.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE candidate ADD COLUMN sv_end bigint CHECK (sv_end IS NULL OR sv_end >= pos)")


def downgrade() -> None:
    op.execute("ALTER TABLE candidate DROP COLUMN sv_end")
