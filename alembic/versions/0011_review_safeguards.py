"""Review that cannot be clicked through: four eyes on positives, the basis of each finding decision
(so that a re-screen carries an unchanged finding's decision forward and re-opens a changed one), and
the laboratory's resolution of a sample-swap identity check.

- ``case_confirmations``: a second reviewer's confirmation of one ``condition_suspected`` case
  decision. A database trigger refuses a confirmation by the account that recorded the decision, and
  of any other outcome. Append-only.
- ``finding_decision_basis``: for each finding decision, the signature of the finding it was made on
  (gene, mode, pattern and its reportable variants with zygosity) and the panel version's label.
- ``identity_checks``: the lab's resolution of a possible sample swap: ``confirmed_identity`` (the
  sample is re-screened with the corrected sex) or ``new_sample`` (a new sample is requested).

All three are append-only: row triggers refuse UPDATE and DELETE, statement triggers TRUNCATE.

Depends only on tables that exist at revision 0005.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE case_confirmations (
  id                bigserial PRIMARY KEY,
  case_decision_id  bigint NOT NULL REFERENCES case_decisions(id),
  run_id            bigint NOT NULL REFERENCES screening_run(id),
  reason            text NOT NULL CHECK (length(btrim(reason)) > 0),
  confirmed_by      text NOT NULL,
  confirmed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (case_decision_id, confirmed_by)
);
CREATE INDEX case_confirmation_run ON case_confirmations (run_id, id);

CREATE FUNCTION screening_check_confirmation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d case_decisions%ROWTYPE;
BEGIN
  SELECT * INTO d FROM case_decisions WHERE id = NEW.case_decision_id;
  IF d.run_id <> NEW.run_id THEN
    RAISE EXCEPTION 'confirmation of case decision % names another run', d.id;
  END IF;
  IF d.outcome <> 'condition_suspected' THEN
    RAISE EXCEPTION 'only a condition_suspected outcome is confirmed by a second reviewer';
  END IF;
  IF d.decided_by = NEW.confirmed_by THEN
    RAISE EXCEPTION 'the second reviewer must be a different account from the first';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER case_confirmation_check BEFORE INSERT ON case_confirmations
  FOR EACH ROW EXECUTE FUNCTION screening_check_confirmation();

CREATE TABLE finding_decision_basis (
  decision_id   bigint PRIMARY KEY REFERENCES finding_decisions(id),
  signature     text NOT NULL,
  panel_label   text NOT NULL
);

CREATE TABLE identity_checks (
  id             bigserial PRIMARY KEY,
  sample_pk      bigint NOT NULL REFERENCES sample(id),
  run_id         bigint NOT NULL REFERENCES screening_run(id),
  resolution     text NOT NULL CHECK (resolution IN ('confirmed_identity', 'new_sample')),
  corrected_sex  text CHECK (corrected_sex IN ('male', 'female', 'unknown')),
  note           text NOT NULL CHECK (length(btrim(note)) > 0),
  recorded_by    text NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK ((resolution = 'confirmed_identity') = (corrected_sex IS NOT NULL))
);
CREATE INDEX identity_check_sample ON identity_checks (sample_pk, id);

CREATE TRIGGER case_confirmation_immutable BEFORE UPDATE OR DELETE ON case_confirmations
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER finding_decision_basis_immutable BEFORE UPDATE OR DELETE ON finding_decision_basis
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER identity_check_immutable BEFORE UPDATE OR DELETE ON identity_checks
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER case_confirmations_no_truncate BEFORE TRUNCATE ON case_confirmations
  FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER finding_decision_basis_no_truncate BEFORE TRUNCATE ON finding_decision_basis
  FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER identity_checks_no_truncate BEFORE TRUNCATE ON identity_checks
  FOR EACH STATEMENT EXECUTE FUNCTION screening_forbid_change();

-- least privilege (0007): owned by screening_owner like every object; the web app records them;
-- curation reads them (re-screens); workers neither
ALTER TABLE case_confirmations OWNER TO screening_owner;
ALTER TABLE finding_decision_basis OWNER TO screening_owner;
ALTER TABLE identity_checks OWNER TO screening_owner;
ALTER FUNCTION screening_check_confirmation() OWNER TO screening_owner;
GRANT SELECT, INSERT ON case_confirmations, finding_decision_basis, identity_checks TO screening_web;
GRANT USAGE ON SEQUENCE case_confirmations_id_seq, identity_checks_id_seq TO screening_web;
GRANT SELECT ON case_confirmations, finding_decision_basis, identity_checks TO screening_curation;
"""

DOWNGRADE = r"""
DROP TABLE identity_checks, finding_decision_basis, case_confirmations;
DROP FUNCTION screening_check_confirmation();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
