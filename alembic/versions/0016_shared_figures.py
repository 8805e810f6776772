"""Shared figures: a record of every de-identified figures file written for a partner programme.

``screening report share`` inserts one row per file it writes, in the transaction that records it
(the file is renamed into place only after that commits): its sha256, programme, period, minimum
count, the published total and the document itself (aggregate counts only: no sample id, batch id or
identity). Each insert writes an audit row (``figures_shared``) through the audit trigger of 0008.
Append-only: row triggers refuse UPDATE and DELETE, a statement trigger TRUNCATE.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02
"""

from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE shared_figures (
  id           bigserial PRIMARY KEY,
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  schema       text NOT NULL,
  programme    text CHECK (programme ~ '^[a-z][a-z0-9_-]{0,31}$'),
  granularity  text NOT NULL CHECK (granularity IN ('week', 'month')),
  since        date,
  min_count    integer NOT NULL CHECK (min_count >= 1),
  babies       integer CHECK (babies >= 0),
  document     jsonb NOT NULL,
  shared_by    text NOT NULL DEFAULT screening_actor(),
  shared_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX shared_figures_sha256 ON shared_figures (sha256);
CREATE TRIGGER shared_figures_immutable BEFORE UPDATE OR DELETE ON shared_figures
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER shared_figures_no_truncate BEFORE TRUNCATE ON shared_figures
  FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER shared_figures_audit AFTER INSERT ON shared_figures
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record('figures_shared');

-- least privilege (0007): owned by screening_owner; the reports (web role) record and read them
ALTER TABLE shared_figures OWNER TO screening_owner;
GRANT SELECT, INSERT ON shared_figures TO screening_web;
GRANT USAGE ON SEQUENCE shared_figures_id_seq TO screening_web;
"""

DOWNGRADE = r"""
DROP TABLE shared_figures;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
