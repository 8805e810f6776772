"""Sign-in defences: server-side web sessions (revoked at logout, idle and absolute expiry) and failed
sign-ins per account and per address (rate limiting and lockout; an admin unlock forgives them).

- ``web_session``: one row per signed-in browser; the cookie carries only a random token whose sha256
  is the key. Logout sets ``revoked_at``: a replayed cookie no longer signs anyone in.
- ``login_failure``: every failed sign-in (pages and the API), by account name and client address.
- ``users.unlocked_at``: failures before it no longer count (``screening user unlock``, admin page).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE web_session (
  token_sha256  text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
  username      text NOT NULL REFERENCES users(username),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at    timestamptz,
  address       text NOT NULL DEFAULT ''
);
CREATE INDEX web_session_user ON web_session (username) WHERE revoked_at IS NULL;

CREATE TABLE login_failure (
  id        bigserial PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  username  text NOT NULL,
  address   text NOT NULL
);
CREATE INDEX login_failure_user ON login_failure (username, at);
CREATE INDEX login_failure_address ON login_failure (address, at);

ALTER TABLE users ADD COLUMN unlocked_at timestamptz;

ALTER TABLE web_session OWNER TO screening_owner;
ALTER TABLE login_failure OWNER TO screening_owner;
GRANT SELECT, INSERT, UPDATE ON web_session TO screening_web;
GRANT SELECT, INSERT ON login_failure TO screening_web;
GRANT USAGE ON SEQUENCE login_failure_id_seq TO screening_web;
"""

DOWNGRADE = r"""
ALTER TABLE users DROP COLUMN unlocked_at;
DROP TABLE login_failure, web_session;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
