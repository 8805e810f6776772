"""Faster recovery through the heartbeat (issue 10): what each worker's pool is doing.

- ``sample.claimed_pid``: the process (a pool child of ``claimed_by``) that claimed a running sample.
- ``worker_heartbeat.pool_pids``: the worker's live pool processes at its last beat (NULL: not
  known). A running sample whose claiming process is no longer among them lost its process (kill -9,
  out of memory, a crash in native code): the reconciler ends its lease at once, although the
  worker's main process still beats.
- ``worker_heartbeat.slots``, ``busy``, ``free_since``: the pool's size, the tasks it holds, and
  since when (continuously) it has had a free slot. A sample queued for longer than the heartbeat
  timeout while a live worker has had a free slot all that time has lost its message (a broker
  without redelivery, a purged queue): the reconciler sends it again, instead of after two leases.

Columns only: the worker role's table-level grants (0007, 0010) cover them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE sample ADD COLUMN claimed_pid integer;
ALTER TABLE worker_heartbeat
  ADD COLUMN pool_pids integer[],
  ADD COLUMN slots integer CHECK (slots >= 0),
  ADD COLUMN busy integer CHECK (busy >= 0),
  ADD COLUMN free_since timestamptz;

CREATE OR REPLACE FUNCTION screening_claimed_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'running' AND NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN
    NEW.claimed_by := nullif(current_setting('application_name', true), '');
  ELSIF NEW.state <> 'running' THEN
    NEW.claimed_by := NULL;
    NEW.claimed_pid := NULL;
  END IF;
  RETURN NEW;
END $$;
"""

DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION screening_claimed_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = 'running' AND NEW.lease_token IS DISTINCT FROM OLD.lease_token THEN
    NEW.claimed_by := nullif(current_setting('application_name', true), '');
  ELSIF NEW.state <> 'running' THEN
    NEW.claimed_by := NULL;
  END IF;
  RETURN NEW;
END $$;
ALTER TABLE worker_heartbeat DROP COLUMN free_since, DROP COLUMN busy, DROP COLUMN slots,
  DROP COLUMN pool_pids;
ALTER TABLE sample DROP COLUMN claimed_pid;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
