"""Programmes, programme leads and machine tokens.

- ``batch.programme``: the national programme a batch belongs to (``england``, ``denmark`` …, a
  key of the deployment's programme configuration). Every letter, export and figure of the batch
  knows its programme through it. Existing batches were England's (the only programme until now).
- ``users.role`` accepts ``lead``: a programme lead sees the programme's aggregate figures, never
  an identity.
- ``api_tokens``: tokens for laboratory and programme systems calling ``/api/v1``. Only the sha256
  of a token is stored; each has one role and is revocable (``revoked_at``); a revoked token stays
  on record. The web app reads them and records use and revocation; nothing deletes them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

UPGRADE = r"""
ALTER TABLE batch ADD COLUMN programme text NOT NULL DEFAULT 'england'
  CHECK (programme ~ '^[a-z][a-z0-9_-]{0,31}$');
CREATE INDEX batch_programme ON batch (programme, submitted_at);

ALTER TABLE users DROP CONSTRAINT users_role_check, ADD CONSTRAINT users_role_check
  CHECK (role IN ('lab', 'reviewer', 'curator', 'admin', 'lead'));

CREATE TABLE api_tokens (
  id             bigserial PRIMARY KEY,
  name           text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
  token_sha256   text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  role           text NOT NULL CHECK (role IN ('lab', 'reviewer', 'curator', 'admin', 'lead')),
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  last_used_at   timestamptz,
  revoked_at     timestamptz,
  revoked_by     text,
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE TRIGGER api_tokens_no_truncate BEFORE TRUNCATE ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change();

-- least privilege (0007): owned by screening_owner; the web app (which also runs the user and
-- token commands) reads tokens, creates them and records their use and revocation; no role deletes
ALTER TABLE api_tokens OWNER TO screening_owner;
GRANT SELECT, INSERT ON api_tokens TO screening_web;
GRANT UPDATE (last_used_at, revoked_at, revoked_by) ON api_tokens TO screening_web;
GRANT USAGE ON SEQUENCE api_tokens_id_seq TO screening_web;
"""

DOWNGRADE = r"""
DROP TABLE api_tokens;
ALTER TABLE users DROP CONSTRAINT users_role_check, ADD CONSTRAINT users_role_check
  CHECK (role IN ('lab', 'reviewer', 'curator', 'admin'));
DROP INDEX batch_programme;
ALTER TABLE batch DROP COLUMN programme;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
