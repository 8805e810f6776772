-- Named queries of the audit trail (migration 0008). Read with the pipeline's loader.

-- audit_check --
-- Every sealed row recomputed in seq order: its content hash, its link to the previous row, its own hash.
SELECT a.seq, a.id, a.at, a.actor, a.action, a.entity, a.entity_id,
       a.content_sha256 = screening_sha256(screening_audit_canonical(a)) AS content_ok,
       a.prev_sha256 = coalesce(lag(a.row_sha256) OVER w, repeat('0', 64)) AS link_ok,
       a.row_sha256 = screening_sha256(a.prev_sha256 || a.content_sha256) AS row_ok,
       a.seq = row_number() OVER w AS seq_ok,
       a.row_sha256
FROM audit_log a
WHERE a.seq IS NOT NULL
WINDOW w AS (ORDER BY a.seq)
ORDER BY a.seq;

-- audit_unsealed --
SELECT count(*) AS unsealed FROM audit_log WHERE seq IS NULL;

-- audit_recent --
SELECT seq, at, actor, action, entity, entity_id, detail, row_sha256
FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT %(limit)s;

-- all_letters --
SELECT id, sample_pk, run_id, kind, sha256, pdf_sha256, template_version, issued_by, issued_at, issued_on,
       pdf, html
FROM issued_letters ORDER BY id;
