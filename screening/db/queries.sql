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
-- batch and finalise the batch when that was its last pending sample; for a screened sample, write its
-- run and its place in the cohort counts (write_run's parameters; else NULL). One statement, run on its
-- own: its transaction, whose commit waits for the WAL flush. No row when the lease was lost (nothing
-- written); else the batch's pending count and whether this statement finalised it. (Migration 0026.)
SELECT * FROM screening_finish_sample(%(actor)s, %(id)s, %(token)s, %(state)s, %(reason)s, %(reason_template)s,
                                      %(panel_version_id)s, %(run)s, %(candidates)s, %(findings)s, %(links)s);

-- write_run --
-- The screening run of a sample under a panel version (caller's transaction): created once, replaced on
-- re-screening with its candidates, findings and links, and the baby's contribution to the panel's cohort
-- counts replaced (taken out, put in, counted once). Returns the run's id. (Migration 0026.)
SELECT screening_write_run(%(sample_id)s, %(panel_version_id)s, %(run)s, %(candidates)s, %(findings)s,
                           %(links)s) AS run_id;

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
