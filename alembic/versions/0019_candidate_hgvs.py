"""Candidates carry the HGVS c./p. of the annotation entry shown as their evidence (issue 11).

Read from the VCF's own annotation (VEP CSQ HGVSc/HGVSp, SnpEff ANN HGVS.c/HGVS.p), of the entry whose
consequence and transcript the candidate already stores. Null: not annotated (no annotation, a format
without HGVS fields — bcftools csq writes none — or no value for that entry). New columns inherit the
table's grants; adding nullable columns rewrites no row.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE candidate ADD COLUMN hgvsc text, ADD COLUMN hgvsp text")


def downgrade() -> None:
    op.execute("ALTER TABLE candidate DROP COLUMN hgvsp, DROP COLUMN hgvsc")
