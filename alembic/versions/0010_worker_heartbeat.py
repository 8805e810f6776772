"""Worker heartbeats: each ``screening worker`` writes its name and the time every few seconds; a
sample records which worker claimed it (``sample.claimed_by``, from the claiming connection's
``application_name``). The reconciler expires the lease of a running sample whose worker has stopped
beating, so a killed worker's samples are re-queued within one reconciler period plus the heartbeat
timeout instead of a whole lease; the lab pages and ``batch status`` warn when no worker was seen.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE worker_heartbeat (
  name          text PRIMARY KEY,
  pid           integer NOT NULL,
  started_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE sample ADD COLUMN claimed_by text;

CREATE FUNCTION screening_claimed_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'running' AND NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN
    NEW.claimed_by := nullif(current_setting('application_name', true), '');
  ELSIF NEW.state <> 'running' THEN
    NEW.claimed_by := NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER sample_claimed_by BEFORE UPDATE ON sample
  FOR EACH ROW EXECUTE FUNCTION screening_claimed_by();

ALTER TABLE worker_heartbeat OWNER TO screening_owner;
ALTER FUNCTION screening_claimed_by() OWNER TO screening_owner;
GRANT SELECT, INSERT, UPDATE ON worker_heartbeat TO screening_worker;
GRANT SELECT ON worker_heartbeat TO screening_web, screening_curation;
"""

DOWNGRADE = r"""
DROP TRIGGER sample_claimed_by ON sample;
DROP FUNCTION screening_claimed_by();
ALTER TABLE sample DROP COLUMN claimed_by;
DROP TABLE worker_heartbeat;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
