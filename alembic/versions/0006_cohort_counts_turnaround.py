"""Cohort allele counts kept incrementally, each batch's cohort frozen at submission, turnaround events.

* ``cohort_panel`` (babies counted per panel), ``cohort_allele`` (alternate alleles per variant) and
  ``cohort_member`` (the one run that counts for each baby) are updated in the transaction that
  writes a run: a re-screen replaces the baby's contribution. Populated here from the stored runs
  (the latest run per baby, its candidates other than failed-quality ones, each variant once).
* ``batch_cohort`` / ``batch_cohort_allele``: what a batch's samples read, frozen in the submission
  transaction (the cohort's size, and the alleles at or above the lowest frequency a rule can act
  on), so results do not depend on the order the samples run and no baby of the batch counts
  towards its own frequency. Batches submitted before this revision are frozen on first read from
  the stored runs screened before their submission, as the cohort was computed until now.
* ``turnaround_event``: received (sample stored), screened (run written), reviewed (case outcome
  recorded) and letter issued, written by triggers in the same transactions; back-filled here.
* an index for the review queue (runs with a suspected condition).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE cohort_panel (
  panel_id    text PRIMARY KEY,
  babies      bigint NOT NULL DEFAULT 0 CHECK (babies >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cohort_allele (
  panel_id     text NOT NULL,
  chrom        text NOT NULL,
  pos          bigint NOT NULL,
  ref          text NOT NULL,
  alt          text NOT NULL,
  alt_alleles  bigint NOT NULL CHECK (alt_alleles >= 0),
  PRIMARY KEY (panel_id, chrom, pos, ref, alt)
);
CREATE INDEX cohort_allele_count ON cohort_allele (panel_id, alt_alleles);

CREATE TABLE cohort_member (
  panel_id   text NOT NULL,
  sample_id  bigint NOT NULL REFERENCES sample(id),
  run_id     bigint NOT NULL REFERENCES screening_run(id),
  PRIMARY KEY (panel_id, sample_id)
);

CREATE TABLE batch_cohort (
  batch_id   bigint PRIMARY KEY REFERENCES batch(id),
  panel_id   text NOT NULL,
  babies     bigint NOT NULL CHECK (babies >= 0),
  min_af     double precision NOT NULL,
  method     text NOT NULL CHECK (method IN ('counts', 'stored_runs')),
  frozen_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE batch_cohort_allele (
  batch_id     bigint NOT NULL REFERENCES batch(id),
  chrom        text NOT NULL,
  pos          bigint NOT NULL,
  ref          text NOT NULL,
  alt          text NOT NULL,
  alt_alleles  bigint NOT NULL CHECK (alt_alleles > 0),
  PRIMARY KEY (batch_id, chrom, pos, ref, alt)
);

-- Populating the counts reads every stored candidate once (about 2 minutes for 10⁶ babies on a
-- 2-core machine): above env.py's 60 s statement timeout, which is for this transaction only lifted.
SET LOCAL statement_timeout = 0;

INSERT INTO cohort_member (panel_id, sample_id, run_id)
SELECT DISTINCT ON (pv.panel_id, r.sample_id) pv.panel_id, r.sample_id, r.id
FROM screening_run r JOIN panel_version pv ON pv.id = r.panel_version_id
ORDER BY pv.panel_id, r.sample_id, r.screened_at DESC, r.id DESC;

INSERT INTO cohort_panel (panel_id, babies)
SELECT panel_id, count(*) FROM cohort_member GROUP BY panel_id;

INSERT INTO cohort_allele (panel_id, chrom, pos, ref, alt, alt_alleles)
SELECT m.panel_id, c.chrom, c.pos, c.ref, c.alt, sum(c.copies)
FROM cohort_member m
JOIN LATERAL (
  SELECT chrom, pos, ref, alt, max(CASE zygosity WHEN 'hom' THEN 2 ELSE 1 END) AS copies
  FROM candidate WHERE run_id = m.run_id AND role <> 'failed_quality'
  GROUP BY chrom, pos, ref, alt
) c ON true
GROUP BY m.panel_id, c.chrom, c.pos, c.ref, c.alt;

SET LOCAL statement_timeout = '60s';  -- env.py's, for what follows

CREATE TABLE turnaround_event (
  id         bigserial PRIMARY KEY,
  sample_pk  bigint NOT NULL REFERENCES sample(id),
  batch_id   bigint NOT NULL REFERENCES batch(id),
  kind       text NOT NULL CHECK (kind IN ('received', 'screened', 'reviewed', 'letter_issued')),
  at         timestamptz NOT NULL,
  run_id     bigint REFERENCES screening_run(id),
  outcome    text
);
CREATE INDEX turnaround_event_batch ON turnaround_event (batch_id, sample_pk, kind, at);
CREATE INDEX turnaround_event_kind_at ON turnaround_event (kind, at);
CREATE TRIGGER turnaround_event_immutable BEFORE UPDATE OR DELETE ON turnaround_event
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();

CREATE FUNCTION screening_turnaround() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'sample' THEN
    INSERT INTO turnaround_event (sample_pk, batch_id, kind, at)
    VALUES (NEW.id, NEW.batch_id, 'received', now());
  ELSIF TG_TABLE_NAME = 'screening_run' THEN
    INSERT INTO turnaround_event (sample_pk, batch_id, kind, at, run_id, outcome)
    SELECT s.id, s.batch_id, 'screened', clock_timestamp(), NEW.id, NEW.outcome
    FROM sample s WHERE s.id = NEW.sample_id;
  ELSIF TG_TABLE_NAME = 'case_decisions' THEN
    INSERT INTO turnaround_event (sample_pk, batch_id, kind, at, run_id, outcome)
    SELECT s.id, s.batch_id, 'reviewed', NEW.decided_at, NEW.run_id, NEW.outcome
    FROM screening_run r JOIN sample s ON s.id = r.sample_id WHERE r.id = NEW.run_id;
  ELSIF TG_TABLE_NAME = 'issued_letters' THEN
    INSERT INTO turnaround_event (sample_pk, batch_id, kind, at, run_id, outcome)
    SELECT s.id, s.batch_id, 'letter_issued', NEW.issued_at, NEW.run_id, NULL
    FROM sample s WHERE s.id = NEW.sample_pk;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER sample_turnaround AFTER INSERT ON sample
  FOR EACH ROW EXECUTE FUNCTION screening_turnaround();
CREATE TRIGGER screening_run_turnaround AFTER INSERT OR UPDATE ON screening_run
  FOR EACH ROW EXECUTE FUNCTION screening_turnaround();
CREATE TRIGGER case_decision_turnaround AFTER INSERT ON case_decisions
  FOR EACH ROW EXECUTE FUNCTION screening_turnaround();
CREATE TRIGGER issued_letter_turnaround AFTER INSERT ON issued_letters
  FOR EACH ROW EXECUTE FUNCTION screening_turnaround();

INSERT INTO turnaround_event (sample_pk, batch_id, kind, at, run_id, outcome)
SELECT * FROM (
  SELECT s.id, s.batch_id, 'received', b.submitted_at, NULL::bigint, NULL::text
  FROM sample s JOIN batch b ON b.id = s.batch_id
  UNION ALL
  SELECT s.id, s.batch_id, 'screened', r.screened_at, r.id, r.outcome
  FROM screening_run r JOIN sample s ON s.id = r.sample_id
  UNION ALL
  SELECT s.id, s.batch_id, 'reviewed', d.decided_at, d.run_id, d.outcome
  FROM case_decisions d JOIN screening_run r ON r.id = d.run_id JOIN sample s ON s.id = r.sample_id
  UNION ALL
  SELECT s.id, s.batch_id, 'letter_issued', l.issued_at, l.run_id, NULL
  FROM issued_letters l JOIN sample s ON s.id = l.sample_pk
) e ORDER BY 4;

-- The review queue at national scale: runs awaiting review are found without reading every run.
CREATE INDEX screening_run_suspected ON screening_run (id) WHERE outcome = 'condition_suspected';
"""

DOWNGRADE = r"""
DROP TRIGGER issued_letter_turnaround ON issued_letters;
DROP TRIGGER case_decision_turnaround ON case_decisions;
DROP TRIGGER screening_run_turnaround ON screening_run;
DROP TRIGGER sample_turnaround ON sample;
DROP FUNCTION screening_turnaround();
DROP INDEX screening_run_suspected;
DROP TABLE turnaround_event, batch_cohort_allele, batch_cohort, cohort_member, cohort_allele, cohort_panel;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
