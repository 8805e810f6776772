"""Initial schema: panel versions, ClinVar snapshots, batches, samples, runs, results, event log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UPGRADE = r"""
-- Who changes state: each transaction sets screening.actor (set_config(..., true)).
CREATE FUNCTION screening_actor() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('screening.actor', true), ''), current_user::text)
$$;

CREATE FUNCTION screening_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'published % rows are immutable', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;

CREATE TABLE clinvar_snapshot (
  id            bigserial PRIMARY KEY,
  source        text NOT NULL,
  release_date  text,
  sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  genome_build  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE clinvar_record (
  snapshot_id   bigint NOT NULL REFERENCES clinvar_snapshot(id),
  chrom         text NOT NULL,
  pos           bigint NOT NULL,
  ref           text NOT NULL,
  alt           text NOT NULL,
  clinvar_id    text NOT NULL,
  clnsig        text NOT NULL,
  plp_count     integer NOT NULL,
  blb_count     integer NOT NULL,
  stars         integer NOT NULL,
  gene          text NOT NULL
);
CREATE INDEX clinvar_record_snapshot ON clinvar_record (snapshot_id);

CREATE TABLE panel_version (
  id                  bigserial PRIMARY KEY,
  panel_id            text NOT NULL,
  major               integer NOT NULL CHECK (major >= 0),
  minor               integer NOT NULL CHECK (minor >= 0),
  name                text NOT NULL,
  description         text NOT NULL DEFAULT '',
  genome_build        text NOT NULL,
  sha256              text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  settings            jsonb NOT NULL,
  clinvar_snapshot_id bigint REFERENCES clinvar_snapshot(id),
  published_at        timestamptz NOT NULL DEFAULT now(),
  published_by        text NOT NULL,
  UNIQUE (panel_id, major, minor)
);

CREATE TABLE panel_gene (
  panel_version_id bigint NOT NULL REFERENCES panel_version(id),
  ordinal          integer NOT NULL,
  hgnc_id          text NOT NULL CHECK (hgnc_id ~ '^HGNC:[0-9]+$'),
  symbol           text NOT NULL,
  moi              text NOT NULL,
  condition        text NOT NULL,
  lof_mechanism    boolean NOT NULL,
  chrom            text NOT NULL,
  start_pos        bigint NOT NULL,
  end_pos          bigint NOT NULL CHECK (end_pos >= start_pos),
  transcript       text,
  active           boolean NOT NULL,
  source           text NOT NULL DEFAULT '',
  PRIMARY KEY (panel_version_id, ordinal)
);

CREATE TABLE panel_include (
  panel_version_id bigint NOT NULL REFERENCES panel_version(id),
  ordinal          integer NOT NULL,
  chrom text NOT NULL, pos bigint NOT NULL, ref text NOT NULL, alt text NOT NULL,
  hgnc_id          text NOT NULL,
  source           text NOT NULL,
  PRIMARY KEY (panel_version_id, ordinal)
);

CREATE TABLE panel_exclude (
  panel_version_id bigint NOT NULL REFERENCES panel_version(id),
  ordinal          integer NOT NULL,
  chrom text NOT NULL, pos bigint NOT NULL, ref text NOT NULL, alt text NOT NULL,
  reason           text NOT NULL,
  PRIMARY KEY (panel_version_id, ordinal)
);

CREATE TRIGGER panel_version_immutable BEFORE UPDATE OR DELETE ON panel_version
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER panel_gene_immutable BEFORE UPDATE OR DELETE ON panel_gene
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER panel_include_immutable BEFORE UPDATE OR DELETE ON panel_include
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER panel_exclude_immutable BEFORE UPDATE OR DELETE ON panel_exclude
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER clinvar_snapshot_immutable BEFORE UPDATE OR DELETE ON clinvar_snapshot
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();
CREATE TRIGGER clinvar_record_immutable BEFORE UPDATE OR DELETE ON clinvar_record
  FOR EACH ROW EXECUTE FUNCTION screening_forbid_change();

CREATE TABLE batch (
  id                bigserial PRIMARY KEY,
  lab_batch_id      text NOT NULL UNIQUE,
  panel_version_id  bigint NOT NULL REFERENCES panel_version(id),
  manifest_name     text NOT NULL,
  manifest_sha256   text NOT NULL,
  state             text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'finalised')),
  samples_total     integer NOT NULL CHECK (samples_total > 0),
  samples_pending   integer NOT NULL CHECK (samples_pending >= 0),
  submitted_at      timestamptz NOT NULL DEFAULT now(),
  submitted_by      text NOT NULL,
  finalised_at      timestamptz
);

CREATE TABLE sample (
  id                 bigserial PRIMARY KEY,
  batch_id           bigint NOT NULL REFERENCES batch(id),
  sample_id          text NOT NULL,
  panel_version_id   bigint NOT NULL REFERENCES panel_version(id),
  vcf_path           text NOT NULL,
  vcf_sample         text NOT NULL,
  vcf_sha256         text NOT NULL CHECK (vcf_sha256 ~ '^[0-9a-f]{64}$'),
  sex                text NOT NULL CHECK (sex IN ('male', 'female', 'unknown')),
  pct_autosomal_15x  double precision,
  q30_gb             double precision,
  contamination_pct  double precision,
  smn1_copies        integer CHECK (smn1_copies >= 0),
  state              text NOT NULL DEFAULT 'queued'
                     CHECK (state IN ('queued', 'running', 'screened', 'failed', 'held')),
  attempts           integer NOT NULL DEFAULT 0,
  lease_token        uuid,
  lease_expires_at   timestamptz,
  enqueued_at        timestamptz,
  reason             text,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (batch_id, sample_id)
);
CREATE INDEX sample_batch_state ON sample (batch_id, state);
CREATE INDEX sample_open ON sample (state, lease_expires_at) WHERE state IN ('queued', 'running');

CREATE TABLE screening_run (
  id                   bigserial PRIMARY KEY,
  sample_id            bigint NOT NULL REFERENCES sample(id),
  panel_version_id     bigint NOT NULL REFERENCES panel_version(id),
  outcome              text NOT NULL
                       CHECK (outcome IN ('condition_suspected', 'no_condition_suspected',
                                          'testing_not_possible')),
  karyotype            text NOT NULL,
  reasons              jsonb NOT NULL,
  not_evaluated        jsonb NOT NULL,
  panel_sha256         text NOT NULL,
  clinvar_source       text,
  clinvar_release_date text,
  clinvar_sha256       text,
  vcf_sha256           text NOT NULL,
  vcf_sample           text NOT NULL,
  genome_build         text NOT NULL,
  settings             jsonb NOT NULL,
  software_version     text NOT NULL,
  cohort_babies        integer NOT NULL DEFAULT 0,
  screened_at          timestamptz NOT NULL DEFAULT now(),
  engine_seconds       double precision,
  UNIQUE (sample_id, panel_version_id)
);

CREATE TABLE candidate (
  run_id           bigint NOT NULL REFERENCES screening_run(id) ON DELETE CASCADE,
  ordinal          integer NOT NULL,
  hgnc_id          text NOT NULL,
  symbol           text NOT NULL,
  chrom text NOT NULL, pos bigint NOT NULL, ref text NOT NULL, alt text NOT NULL,
  zygosity         text NOT NULL CHECK (zygosity IN ('het', 'hom', 'hemi')),
  routes           text[] NOT NULL,
  role             text NOT NULL,
  gt               text NOT NULL,
  gq integer, dp integer, ad_ref integer, ad_alt integer,
  allele_balance   double precision,
  phased           boolean NOT NULL,
  phase_set        text,
  filter           text NOT NULL,
  quality_failures text[] NOT NULL,
  clinvar_id text, clinvar_plp integer, clinvar_blb integer, clinvar_stars integer,
  consequence text, transcript text, exclusion_reason text,
  PRIMARY KEY (run_id, ordinal)
);
CREATE INDEX candidate_variant ON candidate (chrom, pos, ref, alt);

CREATE TABLE finding (
  run_id       bigint NOT NULL REFERENCES screening_run(id) ON DELETE CASCADE,
  ordinal      integer NOT NULL,
  hgnc_id      text NOT NULL,
  symbol       text NOT NULL,
  moi          text NOT NULL,
  condition    text NOT NULL,
  pattern      text NOT NULL,
  smn1_copies  integer,
  PRIMARY KEY (run_id, ordinal),
  UNIQUE (run_id, hgnc_id, moi)
);

CREATE TABLE finding_variant (
  run_id            bigint NOT NULL,
  finding_ordinal   integer NOT NULL,
  candidate_ordinal integer NOT NULL,
  PRIMARY KEY (run_id, finding_ordinal, candidate_ordinal),
  FOREIGN KEY (run_id, finding_ordinal) REFERENCES finding(run_id, ordinal) ON DELETE CASCADE,
  FOREIGN KEY (run_id, candidate_ordinal) REFERENCES candidate(run_id, ordinal) ON DELETE CASCADE
);

CREATE TABLE event (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor       text NOT NULL DEFAULT screening_actor(),
  entity      text NOT NULL CHECK (entity IN ('batch', 'sample', 'panel_version')),
  entity_id   bigint NOT NULL,
  from_state  text,
  to_state    text NOT NULL,
  detail      text
);
CREATE INDEX event_entity ON event (entity, entity_id, id);

CREATE FUNCTION screening_log_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO event (entity, entity_id, from_state, to_state)
    VALUES (TG_TABLE_NAME, NEW.id, NULL, NEW.state);
  ELSIF NEW.state IS DISTINCT FROM OLD.state
        OR (to_jsonb(NEW) ->> 'attempts') IS DISTINCT FROM (to_jsonb(OLD) ->> 'attempts') THEN
    INSERT INTO event (entity, entity_id, from_state, to_state, detail)
    VALUES (TG_TABLE_NAME, NEW.id, OLD.state, NEW.state,
            CASE WHEN TG_TABLE_NAME = 'sample' THEN
              concat_ws('; ', 'attempt ' || (to_jsonb(NEW) ->> 'attempts'), to_jsonb(NEW) ->> 'reason')
            END);
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER batch_state_log AFTER INSERT OR UPDATE ON batch
  FOR EACH ROW EXECUTE FUNCTION screening_log_state();
CREATE TRIGGER sample_state_log AFTER INSERT OR UPDATE ON sample
  FOR EACH ROW EXECUTE FUNCTION screening_log_state();

CREATE FUNCTION screening_log_publish() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event (entity, entity_id, to_state, detail)
  VALUES ('panel_version', NEW.id, 'published', NEW.panel_id || '@' || NEW.major || '.' || NEW.minor);
  RETURN NEW;
END $$;
CREATE TRIGGER panel_version_publish_log AFTER INSERT ON panel_version
  FOR EACH ROW EXECUTE FUNCTION screening_log_publish();
"""

DOWNGRADE = r"""
DROP TABLE event, finding_variant, finding, candidate, screening_run, sample, batch,
  panel_exclude, panel_include, panel_gene, panel_version, clinvar_record, clinvar_snapshot;
DROP FUNCTION screening_log_publish();
DROP FUNCTION screening_log_state();
DROP FUNCTION screening_forbid_change();
DROP FUNCTION screening_actor();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
