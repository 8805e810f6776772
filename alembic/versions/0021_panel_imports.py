"""Panel imports: every draft made from PanelApp, by the curator's page or ``screening panel
import-panelapp``, is recorded (what was imported, from which file's sha256, by whom) and audited
(``panel_imported``) in the same transaction, through the audit trigger of 0008. A draft is a
folder, not a published version: publishing it is audited as before (``state:published``).
Append-only: row triggers refuse UPDATE and DELETE, a statement trigger TRUNCATE.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE panel_imports (
  id             bigserial PRIMARY KEY,
  source         text NOT NULL CHECK (source IN ('panelapp')),
  panel_id       text NOT NULL,
  version        text NOT NULL,
  genome_build   text NOT NULL,
  source_name    text NOT NULL,
  source_sha256  text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  genes          integer NOT NULL CHECK (genes >= 0),
  draft          text NOT NULL,
  imported_by    text NOT NULL DEFAULT screening_actor(),
  imported_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE TRIGGER panel_imports_immutable BEFORE UPDATE OR DELETE ON panel_imports
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER panel_imports_no_truncate BEFORE TRUNCATE ON panel_imports
  FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER panel_imports_audit AFTER INSERT ON panel_imports
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record('panel_imported');

-- least privilege (0007): owned by screening_owner; the curation role records imports, the web
-- role reads them (the audit page)
ALTER TABLE panel_imports OWNER TO screening_owner;
GRANT SELECT, INSERT ON panel_imports TO screening_curation;
GRANT USAGE ON SEQUENCE panel_imports_id_seq TO screening_curation;
GRANT SELECT ON panel_imports TO screening_web;
"""

DOWNGRADE = r"""
DROP TABLE panel_imports;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
