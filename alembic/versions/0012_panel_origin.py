"""Panel versions record where they came from when imported from another programme's bundle.

``origin`` (jsonb, null for versions published here): the programme, deployment and exporter named
in the bundle, and the bundle's sha256. Part of the immutable published row (the guard compares
whole rows), so it cannot be changed afterwards. Adding a nullable column rewrites no row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE panel_version ADD COLUMN origin jsonb")


def downgrade() -> None:
    op.execute("ALTER TABLE panel_version DROP COLUMN origin")
