-- Named queries. Each starts with a "-- name --" line, then "-- " description lines, then the SQL.
-- Parameters are psycopg %(name)s placeholders; nothing here is ever built with string formatting.

-- set_actor --
-- Who is acting in this transaction (recorded by the event-log triggers).
SELECT set_config('screening.actor', %(actor)s, true);

-- insert_clinvar_snapshot --
-- A ClinVar snapshot restricted to a panel's genes.
INSERT INTO clinvar_snapshot (source, release_date, sha256, genome_build)
VALUES (%(source)s, %(release_date)s, %(sha256)s, %(genome_build)s)
RETURNING id;

-- copy_clinvar_records --
-- Bulk load of the snapshot's records (COPY FROM STDIN).
COPY clinvar_record (snapshot_id, chrom, pos, ref, alt, clinvar_id, clnsig, plp_count, blb_count, stars, gene)
FROM STDIN;

-- insert_panel_version --
-- An immutable published panel version.
INSERT INTO panel_version (panel_id, major, minor, name, description, genome_build, sha256, settings,
                           clinvar_snapshot_id, published_by, origin)
VALUES (%(panel_id)s, %(major)s, %(minor)s, %(name)s, %(description)s, %(genome_build)s, %(sha256)s,
        %(settings)s, %(clinvar_snapshot_id)s, %(published_by)s, %(origin)s)
RETURNING id;

-- insert_panel_gene --
-- One gene of a published panel version.
INSERT INTO panel_gene (panel_version_id, ordinal, hgnc_id, symbol, moi, condition, lof_mechanism, chrom,
                        start_pos, end_pos, transcript, active, source, urgency)
VALUES (%(panel_version_id)s, %(ordinal)s, %(hgnc_id)s, %(symbol)s, %(moi)s, %(condition)s,
        %(lof_mechanism)s, %(chrom)s, %(start)s, %(end)s, %(transcript)s, %(active)s, %(source)s, %(urgency)s);

-- insert_panel_include --
-- One curated inclusion-list variant of a published panel version.
INSERT INTO panel_include (panel_version_id, ordinal, chrom, pos, ref, alt, hgnc_id, source)
VALUES (%(panel_version_id)s, %(ordinal)s, %(chrom)s, %(pos)s, %(ref)s, %(alt)s, %(hgnc_id)s, %(source)s);

-- insert_panel_exclude --
-- One exclusion-list variant of a published panel version.
INSERT INTO panel_exclude (panel_version_id, ordinal, chrom, pos, ref, alt, reason)
VALUES (%(panel_version_id)s, %(ordinal)s, %(chrom)s, %(pos)s, %(ref)s, %(alt)s, %(reason)s);

-- get_panel_version --
-- A published panel version by its id.
SELECT pv.*, cs.source AS clinvar_source, cs.release_date AS clinvar_release_date,
       cs.sha256 AS clinvar_sha256
FROM panel_version pv LEFT JOIN clinvar_snapshot cs ON cs.id = pv.clinvar_snapshot_id
WHERE pv.id = %(id)s;

-- find_panel_version --
-- A published panel version by panel id and integer version.
SELECT pv.*, cs.source AS clinvar_source, cs.release_date AS clinvar_release_date,
       cs.sha256 AS clinvar_sha256
FROM panel_version pv LEFT JOIN clinvar_snapshot cs ON cs.id = pv.clinvar_snapshot_id
WHERE pv.panel_id = %(panel_id)s AND pv.major = %(major)s AND pv.minor = %(minor)s;

-- list_panel_genes --
-- Genes of a panel version, in published order.
SELECT * FROM panel_gene WHERE panel_version_id = %(panel_version_id)s ORDER BY ordinal;

-- list_panel_include --
-- Inclusion list of a panel version.
SELECT * FROM panel_include WHERE panel_version_id = %(panel_version_id)s ORDER BY ordinal;

-- list_panel_exclude --
-- Exclusion list of a panel version.
SELECT * FROM panel_exclude WHERE panel_version_id = %(panel_version_id)s ORDER BY ordinal;

-- list_clinvar_records --
-- Records of a ClinVar snapshot.
SELECT chrom, pos, ref, alt, clinvar_id, clnsig, plp_count, blb_count, stars, gene
FROM clinvar_record WHERE snapshot_id = %(snapshot_id)s
ORDER BY chrom, pos, ref, alt, clinvar_id;

-- find_batch --
-- A batch by the lab's batch identifier.
SELECT * FROM batch WHERE lab_batch_id = %(lab_batch_id)s;

-- insert_batch --
-- A new batch; every sample is pending.
INSERT INTO batch (lab_batch_id, panel_version_id, manifest_name, manifest_sha256, samples_total,
                   samples_pending, submitted_by, programme)
VALUES (%(lab_batch_id)s, %(panel_version_id)s, %(manifest_name)s, %(manifest_sha256)s, %(samples_total)s,
        %(samples_total)s, %(submitted_by)s, %(programme)s)
RETURNING id;

-- insert_sample --
-- One sample of a batch, queued.
INSERT INTO sample (batch_id, sample_id, panel_version_id, vcf_path, vcf_sample, vcf_sha256, sex,
                    pct_autosomal_15x, q30_gb, contamination_pct, smn1_copies)
VALUES (%(batch_id)s, %(sample_id)s, %(panel_version_id)s, %(vcf_path)s, %(vcf_sample)s, %(vcf_sha256)s,
        %(sex)s, %(pct_autosomal_15x)s, %(q30_gb)s, %(contamination_pct)s, %(smn1_copies)s)
RETURNING id;

-- mark_enqueued --
-- Record when messages for these samples were sent.
UPDATE sample SET enqueued_at = now() WHERE id = ANY(%(ids)s);

-- list_batches_page --
-- A page of batches, newest first, filtered by state, panel id and submission time (each NULL: any),
-- with their sample counts per state (counted for the batches shown only, from the
-- sample_batch_state index: not a scan of every sample).
SELECT b.*, pv.panel_id, pv.major, pv.minor, c.*
FROM (SELECT b.* FROM batch b JOIN panel_version p ON p.id = b.panel_version_id
      WHERE (%(state)s::text IS NULL OR b.state = %(state)s::text)
        AND (%(panel_id)s::text IS NULL OR p.panel_id = %(panel_id)s::text)
        AND (%(since)s::timestamptz IS NULL OR b.submitted_at >= %(since)s::timestamptz)
      ORDER BY b.id DESC LIMIT %(limit)s OFFSET %(offset)s) b
JOIN panel_version pv ON pv.id = b.panel_version_id
CROSS JOIN LATERAL (
  SELECT count(*) FILTER (WHERE s.state = 'queued') AS queued,
         count(*) FILTER (WHERE s.state = 'running') AS running,
         count(*) FILTER (WHERE s.state = 'screened') AS screened,
         count(*) FILTER (WHERE s.state = 'failed') AS failed,
         count(*) FILTER (WHERE s.state = 'held') AS held
  FROM sample s WHERE s.batch_id = b.id
) c
ORDER BY b.id DESC;

-- count_batches --
-- How many batches list_batches_page's filter matches.
SELECT count(*) AS n FROM batch b JOIN panel_version p ON p.id = b.panel_version_id
WHERE (%(state)s::text IS NULL OR b.state = %(state)s::text)
  AND (%(panel_id)s::text IS NULL OR p.panel_id = %(panel_id)s::text)
  AND (%(since)s::timestamptz IS NULL OR b.submitted_at >= %(since)s::timestamptz);

-- list_samples --
-- Samples of a batch with their current screening run (if any), in manifest order.
SELECT s.*, r.id AS run_id, r.outcome
FROM sample s
LEFT JOIN screening_run r ON r.sample_id = s.id AND r.panel_version_id = s.panel_version_id
WHERE s.batch_id = %(batch_id)s
ORDER BY s.id;

-- requeue_samples --
-- Put a batch's failed or held samples (all, or those of sample_ids) back in the queue with a fresh
-- attempt budget.
UPDATE sample SET state = 'queued', attempts = 0, lease_token = NULL, lease_expires_at = NULL,
                  reason = NULL, reason_template = NULL, updated_at = now()
WHERE batch_id = %(batch_id)s AND state = ANY(%(states)s)
  AND (%(sample_ids)s::text[] IS NULL OR sample_id = ANY(%(sample_ids)s::text[]))
RETURNING id;

-- reopen_batch --
-- A batch gets pending samples again.
UPDATE batch SET samples_pending = samples_pending + %(count)s, state = 'running', finalised_at = NULL
WHERE id = %(batch_id)s;

-- claim_sample --
-- Take a lease on a queued sample, or on a running one whose lease expired, within the attempt cap; or,
-- when its last allowed attempt died with its lease, fail it (with the reason) and count it down on its
-- batch, as fail_exhausted does. The two conditions exclude each other (attempts below the cap, or at
-- it): one statement, at most one of them acts. Always one row: the claimed sample's columns (all NULL
-- when not claimed) and exhausted_batch_id (the batch counted down, else NULL).
-- Run on its own (autocommit: the statement is its transaction), it also records the actor and lets its
-- commit not wait for the WAL flush (set_config(..., true): this transaction only). Both are set while
-- the one output row is formed, before the statement's event-log triggers fire (AFTER ROW triggers run
-- at the end of the statement; the audit seal at commit).
WITH failed AS (
  UPDATE sample SET state = 'failed', lease_token = NULL, lease_expires_at = NULL, updated_at = now(),
                    reason = replace(%(gave_up)s, %(attempts_field)s, attempts::text),
                    reason_template = jsonb_build_object('template', %(gave_up)s::text,
                                                         'params', jsonb_build_object('attempts', attempts))
  WHERE id = %(id)s AND state IN ('running', 'queued') AND attempts >= %(max_attempts)s
    AND (state = 'queued' OR lease_expires_at < now())
  RETURNING batch_id
), counted AS (
  UPDATE batch b SET samples_pending = b.samples_pending - 1
  FROM failed f
  WHERE b.id = f.batch_id
), claimed AS (
  UPDATE sample s SET state = 'running', attempts = s.attempts + 1, lease_token = %(token)s,
                      lease_expires_at = now() + make_interval(secs => %(lease_seconds)s), updated_at = now(),
                      claimed_pid = %(pid)s
  FROM batch b
  WHERE s.id = %(id)s AND b.id = s.batch_id AND s.attempts < %(max_attempts)s
    AND (s.state = 'queued' OR (s.state = 'running' AND s.lease_expires_at < now()))
  RETURNING s.*, b.submitted_at AS batch_submitted_at
)
SELECT claimed.*, (SELECT batch_id FROM failed) AS exhausted_batch_id,
       set_config('screening.actor', %(actor)s, true) AS actor,
       set_config('synchronous_commit', 'off', true) AS synchronous_commit
FROM (VALUES (1)) AS one (x) LEFT JOIN claimed ON true;

-- finish_sample --
-- End a claimed sample (only while this lease holds it) in screened, failed or held, count it down on its
-- batch, and finalise the batch when that was its last pending sample (one statement: no row when the
-- lease was lost). Returns the batch's pending count and whether this statement finalised it.
WITH finished AS (
  UPDATE sample SET state = %(state)s, reason = %(reason)s, reason_template = %(reason_template)s,
                    lease_token = NULL, lease_expires_at = NULL, updated_at = now()
  WHERE id = %(id)s AND state = 'running' AND lease_token = %(token)s
  RETURNING batch_id
)
UPDATE batch b SET samples_pending = b.samples_pending - 1,
                   state = CASE WHEN b.state = 'running' AND b.samples_pending = 1 THEN 'finalised' ELSE b.state END,
                   finalised_at = CASE WHEN b.state = 'running' AND b.samples_pending = 1 THEN now()
                                       ELSE b.finalised_at END
FROM finished f
WHERE b.id = f.batch_id
RETURNING b.id AS batch_id, b.samples_pending, b.state = 'finalised' AND b.finalised_at = now() AS finalised;

-- fail_exhausted --
-- Samples whose last allowed attempt died with its lease: failed, with the reason, and counted down on
-- their batches (one statement).
WITH failed AS (
  UPDATE sample SET state = 'failed', lease_token = NULL, lease_expires_at = NULL, updated_at = now(),
                    reason = replace(%(gave_up)s, %(attempts_field)s, attempts::text),
                    reason_template = jsonb_build_object('template', %(gave_up)s::text,
                                                         'params', jsonb_build_object('attempts', attempts))
  WHERE state IN ('running', 'queued') AND attempts >= %(max_attempts)s
    AND (state = 'queued' OR lease_expires_at < now())
  RETURNING id, batch_id
), counted AS (
  UPDATE batch b SET samples_pending = b.samples_pending - f.n
  FROM (SELECT batch_id, count(*) AS n FROM failed GROUP BY batch_id) f
  WHERE b.id = f.batch_id
)
SELECT id, batch_id FROM failed ORDER BY id;

-- requeue_expired --
-- Running samples whose lease expired (worker lost) go back to the queue.
UPDATE sample SET state = 'queued', lease_token = NULL, lease_expires_at = NULL, enqueued_at = now(),
                  reason = %(lease_expired)s,
                  reason_template = jsonb_build_object('template', %(lease_expired)s::text, 'params', '{}'::jsonb),
                  updated_at = now()
WHERE state = 'running' AND lease_expires_at < now() AND attempts < %(max_attempts)s
RETURNING id;

-- resend_stale_queued --
-- Queued samples whose message may have been lost (sent long ago, or never): send again.
UPDATE sample SET enqueued_at = now()
WHERE state = 'queued'
  AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => %(stale_seconds)s))
RETURNING id;

-- resend_lost_queued --
-- Queued samples whose message is lost: queued for longer than the heartbeat timeout while a live
-- worker has had a free pool slot all that time (it would have taken the message). Send again.
UPDATE sample SET enqueued_at = now()
WHERE state = 'queued' AND enqueued_at < now() - make_interval(secs => %(lost_seconds)s)
  AND EXISTS (SELECT 1 FROM worker_heartbeat h
              WHERE h.last_seen_at > now() - make_interval(secs => %(lost_seconds)s)
                AND h.free_since < now() - make_interval(secs => %(lost_seconds)s))
RETURNING id;

-- finalise_batch --
-- Mark a batch finalised once nothing is pending.
UPDATE batch SET state = 'finalised', finalised_at = now()
WHERE id = %(batch_id)s AND state = 'running' AND samples_pending = 0
RETURNING id;

-- heal_batch_counters --
-- Recompute pending counters from sample states where they disagree.
UPDATE batch b SET samples_pending = c.pending
FROM (SELECT batch_id, count(*) FILTER (WHERE state IN ('queued', 'running')) AS pending
      FROM sample GROUP BY batch_id) c
WHERE c.batch_id = b.id AND b.samples_pending <> c.pending
RETURNING b.id;

-- finalise_stuck_batches --
-- Running batches with nothing pending.
UPDATE batch SET state = 'finalised', finalised_at = now()
WHERE state = 'running' AND samples_pending = 0
RETURNING id;

-- upsert_run --
-- The screening run of a sample under a panel version: created once, replaced on re-screening, when its
-- findings and candidates are deleted in the same statement (finding_variant cascades) before they are
-- written again by the statements that follow.
WITH run AS (
INSERT INTO screening_run (sample_id, panel_version_id, outcome, karyotype, reasons, not_evaluated,
                           reason_templates, not_evaluated_templates, panel_sha256, clinvar_source, clinvar_release_date, clinvar_sha256, vcf_sha256,
                           vcf_sample, genome_build, settings, software_version, cohort_babies,
                           engine_seconds)
VALUES (%(sample_id)s, %(panel_version_id)s, %(outcome)s, %(karyotype)s, %(reasons)s, %(not_evaluated)s,
        %(reason_templates)s, %(not_evaluated_templates)s, %(panel_sha256)s, %(clinvar_source)s, %(clinvar_release_date)s, %(clinvar_sha256)s, %(vcf_sha256)s,
        %(vcf_sample)s, %(genome_build)s, %(settings)s, %(software_version)s, %(cohort_babies)s,
        %(engine_seconds)s)
ON CONFLICT (sample_id, panel_version_id) DO UPDATE SET
  outcome = EXCLUDED.outcome, karyotype = EXCLUDED.karyotype, reasons = EXCLUDED.reasons,
  not_evaluated = EXCLUDED.not_evaluated, reason_templates = EXCLUDED.reason_templates,
  not_evaluated_templates = EXCLUDED.not_evaluated_templates, panel_sha256 = EXCLUDED.panel_sha256,
  clinvar_source = EXCLUDED.clinvar_source, clinvar_release_date = EXCLUDED.clinvar_release_date,
  clinvar_sha256 = EXCLUDED.clinvar_sha256, vcf_sha256 = EXCLUDED.vcf_sha256,
  vcf_sample = EXCLUDED.vcf_sample, genome_build = EXCLUDED.genome_build, settings = EXCLUDED.settings,
  software_version = EXCLUDED.software_version, cohort_babies = EXCLUDED.cohort_babies,
  engine_seconds = EXCLUDED.engine_seconds, screened_at = now()
RETURNING id
), findings AS (
  DELETE FROM finding f USING run WHERE f.run_id = run.id
), candidates AS (
  DELETE FROM candidate c USING run WHERE c.run_id = run.id
)
SELECT id FROM run;

-- insert_candidates --
-- Every candidate variant of a run (carriers included: stored, never reported), one statement: a JSON
-- array of rows with the table's column names.
INSERT INTO candidate (run_id, ordinal, hgnc_id, symbol, chrom, pos, ref, alt, zygosity, routes, role, gt,
                       gq, dp, ad_ref, ad_alt, allele_balance, phased, phase_set, filter, quality_failures,
                       clinvar_id, clinvar_plp, clinvar_blb, clinvar_stars, consequence, transcript,
                       exclusion_reason, sv_end, hgvsc, hgvsp)
SELECT run_id, ordinal, hgnc_id, symbol, chrom, pos, ref, alt, zygosity, routes, role, gt,
       gq, dp, ad_ref, ad_alt, allele_balance, phased, phase_set, filter, quality_failures,
       clinvar_id, clinvar_plp, clinvar_blb, clinvar_stars, consequence, transcript,
       exclusion_reason, sv_end, hgvsc, hgvsp
FROM jsonb_populate_recordset(NULL::candidate, %(rows)s);

-- insert_findings --
-- Every finding (a gene whose inheritance rule is met) of a run, one statement (JSON array of rows).
INSERT INTO finding (run_id, ordinal, hgnc_id, symbol, moi, condition, pattern, smn1_copies)
SELECT run_id, ordinal, hgnc_id, symbol, moi, condition, pattern, smn1_copies
FROM jsonb_populate_recordset(NULL::finding, %(rows)s);

-- insert_finding_variants --
-- Link each finding of a run to its candidate variants, one statement (JSON array of rows).
INSERT INTO finding_variant (run_id, finding_ordinal, candidate_ordinal)
SELECT run_id, finding_ordinal, candidate_ordinal
FROM jsonb_populate_recordset(NULL::finding_variant, %(rows)s);

-- list_runs --
-- Screening runs with their sample id and panel label.
SELECT r.*, s.sample_id AS lab_sample_id, pv.panel_id, pv.major, pv.minor
FROM screening_run r JOIN sample s ON s.id = r.sample_id JOIN panel_version pv ON pv.id = r.panel_version_id
WHERE r.id = ANY(%(run_ids)s)
ORDER BY r.id;

-- list_run_candidates --
-- Candidates of runs.
SELECT * FROM candidate WHERE run_id = ANY(%(run_ids)s) ORDER BY run_id, ordinal;

-- list_run_findings --
-- Findings of runs with the ordinals of their candidates.
SELECT f.*, coalesce(array_agg(fv.candidate_ordinal ORDER BY fv.candidate_ordinal)
                     FILTER (WHERE fv.candidate_ordinal IS NOT NULL), '{}') AS candidate_ordinals
FROM finding f
LEFT JOIN finding_variant fv ON fv.run_id = f.run_id AND fv.finding_ordinal = f.ordinal
WHERE f.run_id = ANY(%(run_ids)s)
GROUP BY f.run_id, f.ordinal
ORDER BY f.run_id, f.ordinal;

-- cohort_take_out --
-- Take the panel's cohort row (created on first use): writers of one panel's cohort go one at a time, so
-- allele rows are never updated in conflicting orders and a frozen read sees whole contributions. Then
-- take the baby's current contribution out of the cohort counts (its counted run's candidates other than
-- failed-quality ones, each variant once: 2 alleles when homozygous, else 1); nothing before its first
-- run. One statement: the update reads the panel id from the lock, so the lock is taken first.
WITH lock AS (
  INSERT INTO cohort_panel (panel_id)
  SELECT panel_id FROM panel_version WHERE id = %(panel_version_id)s
  ON CONFLICT (panel_id) DO UPDATE SET updated_at = now()
  RETURNING panel_id
), counted AS (
  SELECT m.panel_id, m.run_id FROM cohort_member m JOIN lock USING (panel_id) WHERE m.sample_id = %(sample_id)s
), c AS (
  SELECT counted.panel_id, chrom, pos, ref, alt, max(CASE zygosity WHEN 'hom' THEN 2 ELSE 1 END) AS copies
  FROM counted JOIN candidate ON candidate.run_id = counted.run_id
  WHERE role <> 'failed_quality'
  GROUP BY counted.panel_id, chrom, pos, ref, alt
)
UPDATE cohort_allele a SET alt_alleles = a.alt_alleles - c.copies
FROM c
WHERE a.panel_id = c.panel_id AND a.chrom = c.chrom AND a.pos = c.pos AND a.ref = c.ref AND a.alt = c.alt;

-- cohort_put_in --
-- Add the run's contribution (the same alleles cohort_take_out takes out); the run counts for the baby
-- from now on, and a baby new to the cohort is counted once.
-- (panel_version_id: the run's; cohort_take_out took the panel's row in this transaction.)
WITH panel AS (
  SELECT panel_id FROM panel_version WHERE id = %(panel_version_id)s
), added AS (
  INSERT INTO cohort_allele (panel_id, chrom, pos, ref, alt, alt_alleles)
  SELECT (SELECT panel_id FROM panel), chrom, pos, ref, alt, max(CASE zygosity WHEN 'hom' THEN 2 ELSE 1 END)
  FROM candidate WHERE run_id = %(run_id)s AND role <> 'failed_quality'
  GROUP BY chrom, pos, ref, alt
  ORDER BY chrom, pos, ref, alt
  ON CONFLICT (panel_id, chrom, pos, ref, alt)
  DO UPDATE SET alt_alleles = cohort_allele.alt_alleles + EXCLUDED.alt_alleles
), member AS (
  INSERT INTO cohort_member (panel_id, sample_id, run_id)
  SELECT panel_id, %(sample_id)s, %(run_id)s FROM panel
  ON CONFLICT (panel_id, sample_id) DO UPDATE SET run_id = EXCLUDED.run_id
  RETURNING (xmax = 0) AS new_baby
)
UPDATE cohort_panel SET babies = babies + 1
WHERE panel_id = (SELECT panel_id FROM panel) AND (SELECT new_baby FROM member);

-- freeze_batch_cohort --
-- What a batch's samples will read, taken in its submission transaction from one snapshot of the counts:
-- the cohort's size, and the alleles frequent enough for its panel version's ClinVar cap to act on
-- (at or above the lower of that cap and floor_af).
WITH b AS (
  SELECT pv.panel_id, least((pv.settings ->> 'clinvar_max_internal_af')::float8, %(floor_af)s) AS min_af
  FROM batch JOIN panel_version pv ON pv.id = batch.panel_version_id WHERE batch.id = %(batch_id)s
), cp AS (
  SELECT b.panel_id, b.min_af, coalesce((SELECT babies FROM cohort_panel c WHERE c.panel_id = b.panel_id), 0) AS babies
  FROM b
), frozen AS (
  INSERT INTO batch_cohort (batch_id, panel_id, babies, min_af, method)
  SELECT %(batch_id)s, cp.panel_id, cp.babies, cp.min_af, 'counts' FROM cp
  RETURNING babies
)
INSERT INTO batch_cohort_allele (batch_id, chrom, pos, ref, alt, alt_alleles)
SELECT %(batch_id)s, a.chrom, a.pos, a.ref, a.alt, a.alt_alleles
FROM cp CROSS JOIN LATERAL (
  SELECT * FROM cohort_allele c  -- cohort_allele_count: only the frequent alleles are read
  WHERE c.panel_id = cp.panel_id AND c.alt_alleles >= greatest(1, floor(cp.min_af * 2 * cp.babies)::bigint)
) a;

-- batch_cohort --
-- The cohort frozen for a batch (none for a batch submitted before revision 0006 and not read since).
SELECT * FROM batch_cohort WHERE batch_id = %(batch_id)s;

-- batch_cohort_with_alleles --
-- The cohort frozen for a batch and its alleles, in one statement (one snapshot, one round trip): a row
-- per allele (chrom NULL when none was frozen); no row when the batch has no frozen cohort.
SELECT c.babies, c.min_af, c.method, a.chrom, a.pos, a.ref, a.alt, a.alt_alleles
FROM batch_cohort c LEFT JOIN batch_cohort_allele a ON a.batch_id = c.batch_id
WHERE c.batch_id = %(batch_id)s
ORDER BY a.chrom, a.pos, a.ref, a.alt;

-- lock_batch --
-- Serialise the first read of a batch frozen from stored runs.
SELECT b.id, b.submitted_at, pv.panel_id,
       least((pv.settings ->> 'clinvar_max_internal_af')::float8, %(floor_af)s) AS min_af
FROM batch b JOIN panel_version pv ON pv.id = b.panel_version_id
WHERE b.id = %(batch_id)s FOR UPDATE OF b;

-- freeze_batch_cohort_from_runs --
-- A batch submitted before revision 0006: its cohort as it was computed then, from the latest stored run
-- of each baby screened under the panel before the batch's submission.
WITH size AS (
  SELECT count(*) AS babies FROM cohort_latest_runs(%(panel_id)s, %(as_of)s)
), frozen AS (
  INSERT INTO batch_cohort (batch_id, panel_id, babies, min_af, method)
  SELECT %(batch_id)s, %(panel_id)s, size.babies, %(min_af)s, 'stored_runs' FROM size
  RETURNING babies
)
INSERT INTO batch_cohort_allele (batch_id, chrom, pos, ref, alt, alt_alleles)
SELECT %(batch_id)s, c.chrom, c.pos, c.ref, c.alt, c.alt_alleles
FROM cohort_run_alleles(%(panel_id)s, %(as_of)s) c, size
WHERE c.alt_alleles >= floor(%(min_af)s * 2 * size.babies);

-- cohort_panels --
-- Panels with a cohort (stored runs or counts).
SELECT panel_id FROM panel_version
UNION SELECT panel_id FROM cohort_panel
ORDER BY panel_id;

-- cohort_check_babies --
-- Babies counted against babies with a stored run, for one panel.
SELECT (SELECT coalesce(max(babies), 0) FROM cohort_panel WHERE panel_id = %(panel_id)s) AS counted,
       (SELECT count(*) FROM cohort_latest_runs(%(panel_id)s)) AS rebuilt;

-- cohort_check_members --
-- Babies whose counted run is not their latest stored run (rebuilt from the runs), for one panel.
WITH counted AS (
  SELECT sample_id, run_id FROM cohort_member WHERE panel_id = %(panel_id)s
)
SELECT coalesce(b.sample_id, c.sample_id) AS sample_id, b.run_id AS rebuilt, c.run_id AS counted
FROM cohort_latest_runs(%(panel_id)s) b FULL JOIN counted c ON c.sample_id = b.sample_id
WHERE b.run_id IS DISTINCT FROM c.run_id
ORDER BY 1;

-- cohort_check_alleles --
-- Variants whose counted alleles differ from those rebuilt from the latest stored run of each baby.
WITH counted AS (
  SELECT chrom, pos, ref, alt, alt_alleles FROM cohort_allele WHERE panel_id = %(panel_id)s AND alt_alleles > 0
)
SELECT coalesce(b.chrom, c.chrom) AS chrom, coalesce(b.pos, c.pos) AS pos, coalesce(b.ref, c.ref) AS ref,
       coalesce(b.alt, c.alt) AS alt, coalesce(b.alt_alleles, 0) AS rebuilt, coalesce(c.alt_alleles, 0) AS counted
FROM cohort_run_alleles(%(panel_id)s) b
FULL JOIN counted c ON c.chrom = b.chrom AND c.pos = b.pos AND c.ref = b.ref AND c.alt = b.alt
WHERE b.alt_alleles IS DISTINCT FROM c.alt_alleles
ORDER BY 1, 2, 3, 4;

-- cohort_clear --
-- Remove a panel's counts before rebuilding them (caller holds cohort_lock_panel_id).
WITH m AS (DELETE FROM cohort_member WHERE panel_id = %(panel_id)s)
DELETE FROM cohort_allele WHERE panel_id = %(panel_id)s;

-- cohort_lock_panel_id --
-- Take (or create) a panel's cohort row by panel id.
INSERT INTO cohort_panel (panel_id) VALUES (%(panel_id)s)
ON CONFLICT (panel_id) DO UPDATE SET updated_at = now()
RETURNING panel_id, babies;

-- cohort_rebuild --
-- Counts rebuilt from the stored runs: the latest run per baby, its candidates other than failed-quality
-- ones, each variant once (caller cleared them with cohort_clear in the same transaction).
WITH members AS (
  INSERT INTO cohort_member (panel_id, sample_id, run_id)
  SELECT %(panel_id)s, sample_id, run_id FROM cohort_latest_runs(%(panel_id)s)
  RETURNING 1
), alleles AS (
  INSERT INTO cohort_allele (panel_id, chrom, pos, ref, alt, alt_alleles)
  SELECT %(panel_id)s, chrom, pos, ref, alt, alt_alleles FROM cohort_run_alleles(%(panel_id)s)
)
UPDATE cohort_panel SET babies = (SELECT count(*) FROM members), updated_at = now()
WHERE panel_id = %(panel_id)s;

-- batch_progress --
-- A batch's state and sample counts per state (cheap enough to poll).
SELECT b.*, pv.panel_id, pv.major, pv.minor,
       count(*) FILTER (WHERE s.state = 'queued') AS queued,
       count(*) FILTER (WHERE s.state = 'running') AS running,
       count(*) FILTER (WHERE s.state = 'screened') AS screened,
       count(*) FILTER (WHERE s.state = 'failed') AS failed,
       count(*) FILTER (WHERE s.state = 'held') AS held
FROM batch b JOIN panel_version pv ON pv.id = b.panel_version_id
LEFT JOIN sample s ON s.batch_id = b.id
WHERE b.lab_batch_id = %(lab_batch_id)s
GROUP BY b.id, pv.id;

-- batch_engine_seconds --
-- Engine time per sample as measured inside the workers.
SELECT r.engine_seconds FROM screening_run r JOIN sample s ON s.id = r.sample_id
WHERE s.batch_id = %(batch_id)s AND r.panel_version_id = s.panel_version_id
ORDER BY s.id;

-- batch_turnaround --
-- Per sample of a batch: when it was received, first screened, first reviewed (case outcome recorded) and
-- its first letter issued.
SELECT s.id AS sample_pk,
       min(t.at) FILTER (WHERE t.kind = 'received') AS received_at,
       min(t.at) FILTER (WHERE t.kind = 'screened') AS screened_at,
       min(t.at) FILTER (WHERE t.kind = 'reviewed') AS reviewed_at,
       min(t.at) FILTER (WHERE t.kind = 'letter_issued') AS letter_issued_at
FROM sample s LEFT JOIN turnaround_event t ON t.batch_id = s.batch_id AND t.sample_pk = s.id
WHERE s.batch_id = %(batch_id)s
GROUP BY s.id
ORDER BY s.id;

-- turnaround_report --
-- Receipt → screened, screened → reviewed and receipt → letter (seconds: count, median, p90, max) per
-- outcome (the latest case outcome recorded, else the latest screening outcome; 'pending' before any),
-- and for all outcomes together (outcome NULL), for samples received since the given time, of one
-- programme (batch.programme) or of all when NULL.
WITH received AS (
  SELECT t.sample_pk FROM turnaround_event t JOIN batch b ON b.id = t.batch_id
  WHERE t.kind = 'received' AND t.at >= coalesce(%(since)s::timestamptz, '-infinity')
    AND (%(programme)s::text IS NULL OR b.programme = %(programme)s::text)
), per_sample AS (
  SELECT t.sample_pk,
         min(t.at) FILTER (WHERE t.kind = 'received') AS received,
         min(t.at) FILTER (WHERE t.kind = 'screened') AS screened,
         min(t.at) FILTER (WHERE t.kind = 'reviewed') AS reviewed,
         min(t.at) FILTER (WHERE t.kind = 'letter_issued') AS letter,
         coalesce((array_agg(t.outcome ORDER BY t.kind = 'reviewed' DESC, t.at DESC, t.id DESC)
                   FILTER (WHERE t.kind IN ('screened', 'reviewed')))[1], 'pending') AS outcome
  FROM received JOIN turnaround_event t ON t.sample_pk = received.sample_pk
  GROUP BY t.sample_pk
), spans AS (
  SELECT outcome,
         extract(epoch FROM screened - received)::float8 AS to_screened,
         extract(epoch FROM reviewed - screened)::float8 AS to_reviewed,
         extract(epoch FROM letter - received)::float8 AS to_letter
  FROM per_sample
)
SELECT outcome, grouping(outcome) = 1 AS all_outcomes, count(*) AS samples,
       count(to_screened) AS screened_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY to_screened) AS screened_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY to_screened) AS screened_p90,
       max(to_screened) AS screened_max,
       count(to_reviewed) AS reviewed_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY to_reviewed) AS reviewed_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY to_reviewed) AS reviewed_p90,
       max(to_reviewed) AS reviewed_max,
       count(to_letter) AS letter_n,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY to_letter) AS letter_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY to_letter) AS letter_p90,
       max(to_letter) AS letter_max
FROM spans
GROUP BY GROUPING SETS ((outcome), ())
ORDER BY grouping(outcome), outcome;
