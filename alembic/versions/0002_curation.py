"""Curation: change message and retirement of panel versions; the database guards published versions.

- ``panel_version.change_message``: filled at publication from the transaction setting
  ``screening.change_message`` (as ``screening.actor`` gives "who"), so the existing publish insert
  needs no change; '' when none was given.
- Retirement (no new batches) is the only change a published version accepts: the three
  ``retired_*`` columns go once from NULL to set; every other column stays as published. A retired
  version cannot be given to a new batch or to a sample (re-screening), enforced by triggers.
- Deleting a published version is refused, naming the screening runs and batches that reference it.
- Gene, inclusion, exclusion and ClinVar record rows can be added only in the transaction that
  created their version (or snapshot): a published version cannot grow rows later.
  (UPDATE and DELETE of those rows are refused since 0001.)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE panel_version
  ADD COLUMN change_message text NOT NULL
    DEFAULT coalesce(current_setting('screening.change_message', true), ''),
  ADD COLUMN retired_at     timestamptz,
  ADD COLUMN retired_by     text,
  ADD COLUMN retired_reason text,
  ADD CONSTRAINT panel_version_retirement_complete CHECK (
    (retired_at IS NULL) = (retired_by IS NULL) AND (retired_at IS NULL) = (retired_reason IS NULL));

CREATE FUNCTION screening_panel_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  label text := OLD.panel_id || '@' || OLD.major || '.' || OLD.minor;
  runs bigint;
  batches bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT count(*) INTO runs FROM screening_run WHERE panel_version_id = OLD.id;
    SELECT count(*) INTO batches FROM batch WHERE panel_version_id = OLD.id;
    RAISE EXCEPTION 'panel version % cannot be deleted: published versions are immutable and kept '
                    '(% screening run(s) and % batch(es) reference it); retire it instead',
                    label, runs, batches
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF (to_jsonb(NEW) - ARRAY['retired_at', 'retired_by', 'retired_reason'])
     IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['retired_at', 'retired_by', 'retired_reason']) THEN
    RAISE EXCEPTION 'published panel version % is immutable: only its retirement can be recorded', label
      USING ERRCODE = 'restrict_violation';
  END IF;
  IF OLD.retired_at IS NOT NULL AND (to_jsonb(NEW) IS DISTINCT FROM to_jsonb(OLD)) THEN
    RAISE EXCEPTION 'panel version % is already retired (%); retirement is recorded once',
                    label, OLD.retired_at
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER panel_version_immutable ON panel_version;
CREATE TRIGGER panel_version_immutable BEFORE UPDATE OR DELETE ON panel_version
  FOR EACH ROW EXECUTE FUNCTION screening_panel_version_guard();

-- Rows of a version (or snapshot) may only be added by the transaction that created it.
CREATE FUNCTION screening_mark_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  setting text := 'screening.open_' || TG_TABLE_NAME;
BEGIN
  PERFORM set_config(setting, coalesce(current_setting(setting, true), '') || ',' || NEW.id || ',', true);
  RETURN NEW;
END $$;

CREATE FUNCTION screening_require_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent text := TG_ARGV[0];
  parent_id bigint := (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
BEGIN
  IF position(',' || parent_id || ','
              IN coalesce(current_setting('screening.open_' || parent, true), '')) = 0 THEN
    RAISE EXCEPTION '% % is published and immutable: rows cannot be added to it (publish a new version)',
                    parent, parent_id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER panel_version_open AFTER INSERT ON panel_version
  FOR EACH ROW EXECUTE FUNCTION screening_mark_open();
CREATE TRIGGER clinvar_snapshot_open AFTER INSERT ON clinvar_snapshot
  FOR EACH ROW EXECUTE FUNCTION screening_mark_open();
CREATE TRIGGER panel_gene_closed BEFORE INSERT ON panel_gene
  FOR EACH ROW EXECUTE FUNCTION screening_require_open('panel_version', 'panel_version_id');
CREATE TRIGGER panel_include_closed BEFORE INSERT ON panel_include
  FOR EACH ROW EXECUTE FUNCTION screening_require_open('panel_version', 'panel_version_id');
CREATE TRIGGER panel_exclude_closed BEFORE INSERT ON panel_exclude
  FOR EACH ROW EXECUTE FUNCTION screening_require_open('panel_version', 'panel_version_id');
CREATE TRIGGER clinvar_record_closed BEFORE INSERT ON clinvar_record
  FOR EACH ROW EXECUTE FUNCTION screening_require_open('clinvar_snapshot', 'snapshot_id');

-- A retired version takes no new batches and no (re-)screening of samples.
CREATE FUNCTION screening_refuse_retired() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  retired record;
BEGIN
  SELECT panel_id || '@' || major || '.' || minor AS label, retired_at INTO retired
  FROM panel_version WHERE id = NEW.panel_version_id AND retired_at IS NOT NULL;
  IF FOUND THEN
    RAISE EXCEPTION 'panel version % was retired on %: it takes no new batches or screenings',
                    retired.label, retired.retired_at USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER batch_panel_not_retired BEFORE INSERT ON batch
  FOR EACH ROW EXECUTE FUNCTION screening_refuse_retired();
CREATE TRIGGER sample_panel_not_retired BEFORE INSERT OR UPDATE OF panel_version_id ON sample
  FOR EACH ROW EXECUTE FUNCTION screening_refuse_retired();
"""

DOWNGRADE = r"""
DROP TRIGGER sample_panel_not_retired ON sample;
DROP TRIGGER batch_panel_not_retired ON batch;
DROP FUNCTION screening_refuse_retired();
DROP TRIGGER clinvar_record_closed ON clinvar_record;
DROP TRIGGER panel_exclude_closed ON panel_exclude;
DROP TRIGGER panel_include_closed ON panel_include;
DROP TRIGGER panel_gene_closed ON panel_gene;
DROP TRIGGER clinvar_snapshot_open ON clinvar_snapshot;
DROP TRIGGER panel_version_open ON panel_version;
DROP FUNCTION screening_require_open();
DROP FUNCTION screening_mark_open();
DROP TRIGGER panel_version_immutable ON panel_version;
CREATE TRIGGER panel_version_immutable BEFORE UPDATE OR DELETE ON panel_version
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
DROP FUNCTION screening_panel_version_guard();
ALTER TABLE panel_version DROP CONSTRAINT panel_version_retirement_complete,
  DROP COLUMN retired_reason, DROP COLUMN retired_by, DROP COLUMN retired_at, DROP COLUMN change_message;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
