"""Review: web users, identities (kept apart), finding and case decisions, issued letters, identity views.

Identity lives in its own table, readable only through the pages and letters of roles that need it.
Decisions and letters are append-only records: the latest decision per finding is the one in force,
earlier ones stay as the audit trail.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE users (
  id             bigserial PRIMARY KEY,
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  role           text NOT NULL CHECK (role IN ('lab', 'reviewer', 'curator', 'admin')),
  password_hash  text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     text NOT NULL DEFAULT screening_actor()
);

CREATE TABLE identities (
  sample_pk         bigint PRIMARY KEY REFERENCES sample(id),
  sample_id         text NOT NULL,
  given_name        text NOT NULL,
  family_name       text NOT NULL,
  national_id       text NOT NULL,
  id_scheme         text NOT NULL CHECK (id_scheme IN ('nhs', 'cpr')),
  date_of_birth     date NOT NULL,
  address_lines     text[] NOT NULL,
  postcode          text NOT NULL,
  gp_name           text NOT NULL,
  gp_practice       text NOT NULL,
  gp_address_lines  text[] NOT NULL,
  source_sha256     text NOT NULL CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  imported_at       timestamptz NOT NULL DEFAULT now(),
  imported_by       text NOT NULL
);

CREATE TABLE identity_views (
  id          bigserial PRIMARY KEY,
  sample_pk   bigint NOT NULL REFERENCES sample(id),
  viewed_by   text NOT NULL,
  viewed_at   timestamptz NOT NULL DEFAULT now(),
  purpose     text NOT NULL
);
CREATE INDEX identity_view_sample ON identity_views (sample_pk, id);

CREATE TABLE finding_decisions (
  id           bigserial PRIMARY KEY,
  run_id       bigint NOT NULL REFERENCES screening_run(id),
  hgnc_id      text NOT NULL,
  moi          text NOT NULL,
  decision     text NOT NULL CHECK (decision IN ('confirmed', 'not_confirmed')),
  acmg_class   text NOT NULL CHECK (acmg_class IN ('pathogenic', 'likely_pathogenic',
                                                   'uncertain_significance', 'likely_benign', 'benign')),
  reason       text NOT NULL CHECK (length(btrim(reason)) > 0),
  decided_by   text NOT NULL,
  decided_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX finding_decision_run ON finding_decisions (run_id, hgnc_id, moi, id);

CREATE TABLE case_decisions (
  id           bigserial PRIMARY KEY,
  run_id       bigint NOT NULL REFERENCES screening_run(id),
  outcome      text NOT NULL
               CHECK (outcome IN ('condition_suspected', 'no_condition_suspected', 'testing_not_possible')),
  reason       text NOT NULL CHECK (length(btrim(reason)) > 0),
  decided_by   text NOT NULL,
  decided_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX case_decision_run ON case_decisions (run_id, id);

CREATE TABLE issued_letters (
  id                bigserial PRIMARY KEY,
  sample_pk         bigint NOT NULL REFERENCES sample(id),
  run_id            bigint NOT NULL REFERENCES screening_run(id),
  kind              text NOT NULL,
  sha256            text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  pdf_sha256        text NOT NULL CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
  template_version  text NOT NULL,
  issued_by         text NOT NULL,
  issued_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  issued_on         date NOT NULL,
  pdf               bytea NOT NULL,
  html              text NOT NULL
);
CREATE INDEX issued_letter_sample ON issued_letters (sample_pk, id);
CREATE INDEX issued_letter_run_kind ON issued_letters (run_id, kind);

CREATE TRIGGER finding_decision_immutable BEFORE UPDATE OR DELETE ON finding_decisions
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER case_decision_immutable BEFORE UPDATE OR DELETE ON case_decisions
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER issued_letter_immutable BEFORE UPDATE OR DELETE ON issued_letters
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER identity_view_immutable BEFORE UPDATE OR DELETE ON identity_views
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
"""

DOWNGRADE = r"""
DROP TABLE issued_letters, case_decisions, finding_decisions, identity_views, identities, users;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
