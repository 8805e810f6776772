-- Named queries of panel curation: version lists, retirement, change messages, re-screening.
-- Same format as queries.sql ("-- name --" header, "-- " description lines, then the SQL).

-- set_change_message --
-- The change message recorded with a version published in this transaction (column default).
SELECT set_config('screening.change_message', %(message)s, true);

-- list_panel_versions --
-- Published versions (all panels, or one), in integer version order, with usage counts.
SELECT pv.id, pv.panel_id, pv.major, pv.minor, pv.name, pv.genome_build, pv.sha256, pv.published_at,
       pv.published_by, pv.change_message, pv.retired_at, pv.retired_by, pv.retired_reason,
       cs.release_date AS clinvar_release_date, cs.sha256 AS clinvar_sha256,
       (SELECT count(*) FROM panel_gene g WHERE g.panel_version_id = pv.id AND g.active) AS active_genes,
       (SELECT count(*) FROM panel_gene g WHERE g.panel_version_id = pv.id) AS gene_entries,
       (SELECT count(*) FROM batch b WHERE b.panel_version_id = pv.id) AS batches,
       (SELECT count(*) FROM screening_run r WHERE r.panel_version_id = pv.id) AS runs
FROM panel_version pv LEFT JOIN clinvar_snapshot cs ON cs.id = pv.clinvar_snapshot_id
WHERE %(panel_id)s::text IS NULL OR pv.panel_id = %(panel_id)s::text
ORDER BY pv.panel_id, pv.major, pv.minor;

-- retire_panel_version --
-- Record a version's retirement (the only change a published version accepts; once).
UPDATE panel_version
SET retired_at = now(), retired_by = screening_actor(), retired_reason = %(reason)s
WHERE id = %(id)s AND retired_at IS NULL
RETURNING id, retired_at, retired_by;

-- screened_samples --
-- Screened samples whose current run is under a version of this panel (optionally one batch only).
SELECT s.*, r.id AS run_id, b.lab_batch_id, b.submitted_at AS batch_submitted_at
FROM sample s
JOIN batch b ON b.id = s.batch_id
JOIN screening_run r ON r.sample_id = s.id AND r.panel_version_id = s.panel_version_id
JOIN panel_version pv ON pv.id = r.panel_version_id
WHERE pv.panel_id = %(panel_id)s AND s.state = 'screened'
  AND (%(batch_id)s::bigint IS NULL OR s.batch_id = %(batch_id)s::bigint)
ORDER BY s.id;

-- open_samples --
-- Samples of a batch still queued or running.
SELECT count(*) AS open FROM sample WHERE batch_id = %(batch_id)s AND state IN ('queued', 'running');

-- batch_builds --
-- Genome builds of the versions a batch's samples are currently screened under.
SELECT DISTINCT pv.genome_build FROM sample s JOIN panel_version pv ON pv.id = s.panel_version_id
WHERE s.batch_id = %(batch_id)s;

-- move_samples_to_version --
-- Re-screening: a batch's finished samples are queued again under another version (runs are kept).
UPDATE sample SET panel_version_id = %(panel_version_id)s, state = 'queued', attempts = 0,
                  lease_token = NULL, lease_expires_at = NULL, reason = NULL, reason_template = NULL,
                  updated_at = now()
WHERE batch_id = %(batch_id)s AND state IN ('screened', 'failed', 'held')
RETURNING id;

-- batch_runs --
-- Every screening run of a batch's samples under the given versions.
SELECT s.id AS sample_pk, s.sample_id, s.state, r.id AS run_id, r.panel_version_id
FROM sample s LEFT JOIN screening_run r
  ON r.sample_id = s.id AND r.panel_version_id = ANY(%(panel_version_ids)s)
WHERE s.batch_id = %(batch_id)s
ORDER BY s.id, r.panel_version_id;

-- record_panel_import --
-- A draft made from PanelApp (the audit trigger writes its panel_imported row in this transaction).
INSERT INTO panel_imports (source, panel_id, version, genome_build, source_name, source_sha256, genes, draft)
VALUES ('panelapp', %(panel_id)s, %(version)s, %(genome_build)s, %(source_name)s, %(source_sha256)s,
        %(genes)s, %(draft)s)
RETURNING id;
