"""The cohort rebuilt from stored runs, written once: two SQL functions (inlined by the planner) that
the rebuild, the check and the freeze of a batch submitted before 0006 all read, instead of three
copies of the same "latest run of each baby, each variant once per baby" query.

``cohort_latest_runs(panel_id, before)``: the latest stored run of each baby screened under the panel
(before ``before``, default: all). ``cohort_run_alleles(panel_id, before)``: the alternate alleles
those runs carry, other than failed-quality candidates, two for a homozygous baby, each variant once
per baby. Nothing stored changes.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION cohort_latest_runs(p_panel_id text, p_before timestamptz DEFAULT 'infinity')
RETURNS TABLE (sample_id bigint, run_id bigint) LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (r.sample_id) r.sample_id, r.id
  FROM screening_run r JOIN panel_version pv ON pv.id = r.panel_version_id
  WHERE pv.panel_id = p_panel_id AND r.screened_at < p_before
  ORDER BY r.sample_id, r.screened_at DESC, r.id DESC
$$;

CREATE FUNCTION cohort_run_alleles(p_panel_id text, p_before timestamptz DEFAULT 'infinity')
RETURNS TABLE (chrom text, pos bigint, ref text, alt text, alt_alleles bigint) LANGUAGE sql STABLE AS $$
  SELECT per_baby.chrom, per_baby.pos, per_baby.ref, per_baby.alt, sum(per_baby.copies)::bigint
  FROM (
    SELECT c.chrom, c.pos, c.ref, c.alt, max(CASE c.zygosity WHEN 'hom' THEN 2 ELSE 1 END) AS copies
    FROM cohort_latest_runs(p_panel_id, p_before) l JOIN candidate c ON c.run_id = l.run_id
    WHERE c.role <> 'failed_quality'
    GROUP BY c.run_id, c.chrom, c.pos, c.ref, c.alt
  ) per_baby
  GROUP BY per_baby.chrom, per_baby.pos, per_baby.ref, per_baby.alt
$$;

-- least privilege (0007): owned by screening_owner; SECURITY INVOKER, so a caller reads only what its
-- role may read (the worker and admin roles read runs and candidates already)
ALTER FUNCTION cohort_latest_runs(text, timestamptz) OWNER TO screening_owner;
ALTER FUNCTION cohort_run_alleles(text, timestamptz) OWNER TO screening_owner;
"""

DOWNGRADE = r"""
DROP FUNCTION cohort_run_alleles(text, timestamptz);
DROP FUNCTION cohort_latest_runs(text, timestamptz);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
