"""A worker's result is stored by one server-side function called as one statement: the sample's finish
(only while its lease holds it), its batch's count-down and finalisation, the run, its candidates,
findings and links, and the run's place in the cohort's allele counts. Before, the same work was eight
statements of a pipelined transaction (BEGIN, actor, finish, cohort take-out, run, candidates, findings,
links, put-in, COMMIT) with a round trip in the middle for the run's id; each statement's message,
executor start-up and scheduling cost more than the server's own work (issue 9: ≤ 10 ms a sample at
10⁶ babies).

``screening_write_run(sample, panel version, run, candidates, findings, links)``: writes one run in the
caller's transaction, replacing the one of the same sample and panel version (its findings and
candidates deleted first), and replaces the baby's contribution to the panel's cohort counts (the
counted run's alleles taken out, the new run's put in, the baby counted once; both read
``screening_run_alleles(run)``). The cohort's
``cohort_panel`` row is taken first: writers of one panel's cohort go one at a time. ``run`` is one JSON
object with ``screening_run``'s column names, the three others JSON arrays of rows with their tables'
column names (``run_id`` left out: the function gives it).

``screening_finish_sample(actor, sample, lease token, state, reason, reason template [, panel version,
run, candidates, findings, links])``: ends a claimed sample in ``state`` and, for a screened one, writes
its run (above); returns the batch's id, its pending count and whether this call finalised it, or no
row when the lease was lost (then nothing is written). ``actor`` is recorded for the event-log
triggers. Called on its own, the statement is its transaction and its commit waits for the WAL flush.

Both are SECURITY INVOKER and owned by screening_owner (0007): a caller writes only what its role may
write; only the worker role (and the owner) may call them. Their SQL is here, not in queries.sql: a
change is a new migration (``CREATE OR REPLACE``).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

UPGRADE = r"""
-- what one run contributes to its panel's cohort counts: its candidates other than failed-quality ones,
-- each variant once, 2 alleles when homozygous, else 1 (the take-out and the put-in read the same)
CREATE FUNCTION screening_run_alleles(p_run_id bigint)
RETURNS TABLE (chrom text, pos bigint, ref text, alt text, copies integer) LANGUAGE sql STABLE AS $$
  SELECT k.chrom, k.pos, k.ref, k.alt, max(CASE k.zygosity WHEN 'hom' THEN 2 ELSE 1 END)
  FROM candidate k WHERE k.run_id = p_run_id AND k.role <> 'failed_quality'
  GROUP BY k.chrom, k.pos, k.ref, k.alt
$$;

CREATE FUNCTION screening_write_run(p_sample_id bigint, p_panel_version_id bigint, p_run jsonb,
                                    p_candidates jsonb, p_findings jsonb, p_links jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_panel_id text;
  v_counted_run bigint;
  v_counted boolean;
  v_run_id bigint;
  v_new_run boolean;
BEGIN
  -- the panel's cohort row (created on first use): writers of one panel's cohort go one at a time, so
  -- allele rows are never updated in conflicting orders and a frozen read sees whole contributions
  INSERT INTO cohort_panel (panel_id)
  SELECT pv.panel_id FROM panel_version pv WHERE pv.id = p_panel_version_id
  ON CONFLICT (panel_id) DO UPDATE SET updated_at = now()
  RETURNING cohort_panel.panel_id INTO v_panel_id;

  -- the baby's current contribution out of the counts (its counted run's alleles); nothing before its first
  SELECT m.run_id INTO v_counted_run FROM cohort_member m
  WHERE m.panel_id = v_panel_id AND m.sample_id = p_sample_id;
  v_counted := FOUND;
  IF v_counted THEN
    UPDATE cohort_allele a SET alt_alleles = a.alt_alleles - c.copies
    FROM screening_run_alleles(v_counted_run) c
    WHERE a.panel_id = v_panel_id AND a.chrom = c.chrom AND a.pos = c.pos AND a.ref = c.ref AND a.alt = c.alt;
  END IF;

  -- the run of the sample under the panel version: created once, replaced on re-screening
  INSERT INTO screening_run AS r (sample_id, panel_version_id, outcome, karyotype, reasons, not_evaluated,
                                  reason_templates, not_evaluated_templates, panel_sha256, clinvar_source,
                                  clinvar_release_date, clinvar_sha256, vcf_sha256, vcf_sample, genome_build,
                                  settings, software_version, cohort_babies, engine_seconds)
  SELECT p_sample_id, p_panel_version_id, d.outcome, d.karyotype, d.reasons, d.not_evaluated,
         d.reason_templates, d.not_evaluated_templates, d.panel_sha256, d.clinvar_source,
         d.clinvar_release_date, d.clinvar_sha256, d.vcf_sha256, d.vcf_sample, d.genome_build,
         d.settings, d.software_version, d.cohort_babies, d.engine_seconds
  FROM jsonb_populate_record(NULL::screening_run, p_run) d
  ON CONFLICT (sample_id, panel_version_id) DO UPDATE SET
    outcome = EXCLUDED.outcome, karyotype = EXCLUDED.karyotype, reasons = EXCLUDED.reasons,
    not_evaluated = EXCLUDED.not_evaluated, reason_templates = EXCLUDED.reason_templates,
    not_evaluated_templates = EXCLUDED.not_evaluated_templates, panel_sha256 = EXCLUDED.panel_sha256,
    clinvar_source = EXCLUDED.clinvar_source, clinvar_release_date = EXCLUDED.clinvar_release_date,
    clinvar_sha256 = EXCLUDED.clinvar_sha256, vcf_sha256 = EXCLUDED.vcf_sha256,
    vcf_sample = EXCLUDED.vcf_sample, genome_build = EXCLUDED.genome_build, settings = EXCLUDED.settings,
    software_version = EXCLUDED.software_version, cohort_babies = EXCLUDED.cohort_babies,
    engine_seconds = EXCLUDED.engine_seconds, screened_at = now()
  RETURNING r.id, (r.xmax = 0) INTO v_run_id, v_new_run;
  IF NOT v_new_run THEN  -- a re-screen: the replaced run's rows go (finding_variant cascades)
    DELETE FROM finding f WHERE f.run_id = v_run_id;
    DELETE FROM candidate k WHERE k.run_id = v_run_id;
  END IF;

  -- every candidate (carriers included: stored, never reported), finding and link, one statement each
  INSERT INTO candidate (run_id, ordinal, hgnc_id, symbol, chrom, pos, ref, alt, zygosity, routes, role, gt,
                         gq, dp, ad_ref, ad_alt, allele_balance, phased, phase_set, filter, quality_failures,
                         clinvar_id, clinvar_plp, clinvar_blb, clinvar_stars, consequence, transcript,
                         exclusion_reason, sv_end, hgvsc, hgvsp)
  SELECT v_run_id, d.ordinal, d.hgnc_id, d.symbol, d.chrom, d.pos, d.ref, d.alt, d.zygosity, d.routes, d.role,
         d.gt, d.gq, d.dp, d.ad_ref, d.ad_alt, d.allele_balance, d.phased, d.phase_set, d.filter,
         d.quality_failures, d.clinvar_id, d.clinvar_plp, d.clinvar_blb, d.clinvar_stars, d.consequence,
         d.transcript, d.exclusion_reason, d.sv_end, d.hgvsc, d.hgvsp
  FROM jsonb_populate_recordset(NULL::candidate, p_candidates) d;
  INSERT INTO finding (run_id, ordinal, hgnc_id, symbol, moi, condition, pattern, smn1_copies)
  SELECT v_run_id, d.ordinal, d.hgnc_id, d.symbol, d.moi, d.condition, d.pattern, d.smn1_copies
  FROM jsonb_populate_recordset(NULL::finding, p_findings) d;
  INSERT INTO finding_variant (run_id, finding_ordinal, candidate_ordinal)
  SELECT v_run_id, d.finding_ordinal, d.candidate_ordinal
  FROM jsonb_populate_recordset(NULL::finding_variant, p_links) d;

  -- the run's contribution in (the same alleles the take-out takes out); it counts for the baby now
  INSERT INTO cohort_allele AS a (panel_id, chrom, pos, ref, alt, alt_alleles)
  SELECT v_panel_id, c.chrom, c.pos, c.ref, c.alt, c.copies FROM screening_run_alleles(v_run_id) c
  ORDER BY c.chrom, c.pos, c.ref, c.alt
  ON CONFLICT (panel_id, chrom, pos, ref, alt)
  DO UPDATE SET alt_alleles = a.alt_alleles + EXCLUDED.alt_alleles;
  IF v_counted THEN
    UPDATE cohort_member m SET run_id = v_run_id WHERE m.panel_id = v_panel_id AND m.sample_id = p_sample_id;
  ELSE  -- a baby new to the cohort is counted once
    INSERT INTO cohort_member (panel_id, sample_id, run_id) VALUES (v_panel_id, p_sample_id, v_run_id);
    UPDATE cohort_panel c SET babies = c.babies + 1 WHERE c.panel_id = v_panel_id;
  END IF;
  RETURN v_run_id;
END
$$;

CREATE FUNCTION screening_finish_sample(p_actor text, p_sample_id bigint, p_token uuid, p_state text,
                                        p_reason text, p_reason_template jsonb,
                                        p_panel_version_id bigint DEFAULT NULL, p_run jsonb DEFAULT NULL,
                                        p_candidates jsonb DEFAULT '[]', p_findings jsonb DEFAULT '[]',
                                        p_links jsonb DEFAULT '[]')
RETURNS TABLE (batch_id bigint, samples_pending integer, finalised boolean) LANGUAGE plpgsql AS $$
DECLARE
  v_batch_id bigint;
BEGIN
  PERFORM set_config('screening.actor', p_actor, true);  -- "who" for the event-log triggers
  UPDATE sample s SET state = p_state, reason = p_reason, reason_template = p_reason_template,
                      lease_token = NULL, lease_expires_at = NULL, updated_at = now()
  WHERE s.id = p_sample_id AND s.state = 'running' AND s.lease_token = p_token
  RETURNING s.batch_id INTO v_batch_id;
  IF NOT FOUND THEN  -- the lease was lost: another worker owns the sample; nothing is written
    RETURN;
  END IF;
  -- counted down on its batch; the batch's last pending sample finalises it
  UPDATE batch b SET samples_pending = b.samples_pending - 1,
                     state = CASE WHEN b.state = 'running' AND b.samples_pending = 1 THEN 'finalised'
                                  ELSE b.state END,
                     finalised_at = CASE WHEN b.state = 'running' AND b.samples_pending = 1 THEN now()
                                         ELSE b.finalised_at END
  WHERE b.id = v_batch_id
  RETURNING b.id, b.samples_pending, b.state = 'finalised' AND b.finalised_at = now()
  INTO batch_id, samples_pending, finalised;
  IF p_run IS NOT NULL THEN
    PERFORM screening_write_run(p_sample_id, p_panel_version_id, p_run, p_candidates, p_findings, p_links);
  END IF;
  RETURN NEXT;
END
$$;

-- least privilege (0007): owned by screening_owner; SECURITY INVOKER (the caller's grants apply), and
-- only the worker role may call the two writers (PostgreSQL lets PUBLIC execute a new function)
ALTER FUNCTION screening_run_alleles(bigint) OWNER TO screening_owner;
ALTER FUNCTION screening_write_run(bigint, bigint, jsonb, jsonb, jsonb, jsonb) OWNER TO screening_owner;
ALTER FUNCTION screening_finish_sample(text, bigint, uuid, text, text, jsonb,
                                       bigint, jsonb, jsonb, jsonb, jsonb) OWNER TO screening_owner;
REVOKE EXECUTE ON FUNCTION screening_write_run(bigint, bigint, jsonb, jsonb, jsonb, jsonb),
                           screening_finish_sample(text, bigint, uuid, text, text, jsonb,
                                                   bigint, jsonb, jsonb, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION screening_write_run(bigint, bigint, jsonb, jsonb, jsonb, jsonb),
                          screening_finish_sample(text, bigint, uuid, text, text, jsonb,
                                                  bigint, jsonb, jsonb, jsonb, jsonb) TO screening_worker;
"""

DOWNGRADE = r"""
DROP FUNCTION screening_finish_sample(text, bigint, uuid, text, text, jsonb,
                                      bigint, jsonb, jsonb, jsonb, jsonb);
DROP FUNCTION screening_write_run(bigint, bigint, jsonb, jsonb, jsonb, jsonb);
DROP FUNCTION screening_run_alleles(bigint);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
