"""Drop ``candidate_variant`` (chrom, pos, ref, alt): since the cohort's counts are kept incrementally
(0006) and rebuilt per run (0022), every read of ``candidate`` goes by run (its primary key), and this
index was only written: ten random inserts into a national cohort's largest b-tree for every baby
screened (``bench/bench_cohort.py``: the candidates' insert 2.5 → 1.75 ms a baby at 10⁶ babies).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS candidate_variant")


def downgrade() -> None:
    op.execute("CREATE INDEX candidate_variant ON candidate (chrom, pos, ref, alt)")
