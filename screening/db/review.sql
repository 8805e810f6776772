-- Named queries of the review side: web users, identities, decisions, issued letters.
-- Same format as queries.sql ("-- name --" header, "-- " description lines, then the SQL).

-- insert_user --
-- A web user with an argon2id password hash.
INSERT INTO users (username, role, password_hash) VALUES (%(username)s, %(role)s, %(password_hash)s)
RETURNING id;

-- set_user_password --
-- Replace a user's password hash (and role), re-activating the account.
UPDATE users SET password_hash = %(password_hash)s, role = %(role)s, active = true
WHERE username = %(username)s
RETURNING id;

-- rehash_user_password --
-- Replace a user's password hash after a successful sign-in (scrypt → argon2id, or argon2 parameters
-- raised); only while the stored hash is still the one just verified.
UPDATE users SET password_hash = %(new_hash)s WHERE id = %(id)s AND password_hash = %(old_hash)s
RETURNING id;

-- find_user --
-- An active or inactive user by name.
SELECT * FROM users WHERE username = %(username)s;

-- list_users --
-- Every user, by name.
SELECT * FROM users ORDER BY username;

-- samples_by_lab_id --
-- Sample rows carrying a lab sample id, optionally within one batch.
SELECT s.id, s.sample_id, b.lab_batch_id, b.programme
FROM sample s JOIN batch b ON b.id = s.batch_id
WHERE s.sample_id = ANY(%(sample_ids)s)
  AND (%(lab_batch_id)s::text IS NULL OR b.lab_batch_id = %(lab_batch_id)s::text)
ORDER BY s.id;

-- upsert_identity --
-- The identity of one baby; a re-import replaces it.
INSERT INTO identities (sample_pk, sample_id, given_name, family_name, national_id, id_scheme, date_of_birth,
                        address_lines, postcode, gp_name, gp_practice, gp_address_lines, source_sha256,
                        imported_by)
VALUES (%(sample_pk)s, %(sample_id)s, %(given_name)s, %(family_name)s, %(national_id)s, %(id_scheme)s,
        %(date_of_birth)s, %(address_lines)s, %(postcode)s, %(gp_name)s, %(gp_practice)s, %(gp_address_lines)s,
        %(source_sha256)s, %(imported_by)s)
ON CONFLICT (sample_pk) DO UPDATE SET
  sample_id = EXCLUDED.sample_id, given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
  national_id = EXCLUDED.national_id, id_scheme = EXCLUDED.id_scheme, date_of_birth = EXCLUDED.date_of_birth,
  address_lines = EXCLUDED.address_lines, postcode = EXCLUDED.postcode, gp_name = EXCLUDED.gp_name,
  gp_practice = EXCLUDED.gp_practice, gp_address_lines = EXCLUDED.gp_address_lines,
  source_sha256 = EXCLUDED.source_sha256, imported_by = EXCLUDED.imported_by, imported_at = now();

-- get_identity --
-- The identity of one baby (None when not imported).
SELECT * FROM identities WHERE sample_pk = %(sample_pk)s;

-- log_identity_view --
-- Who saw a baby's identity, and on which page or letter.
INSERT INTO identity_views (sample_pk, viewed_by, purpose) VALUES (%(sample_pk)s, %(viewed_by)s, %(purpose)s);

-- review_queue --
-- Babies with a suspected condition (current run of their panel version) and no case outcome yet (none
-- recorded since the run's results were last written: a re-screen re-opens the case), in
-- order of their most pressing finding: the most urgent first (panel_gene.urgency of the run's panel
-- version: immediate, high, routine), at equal urgency a definite pattern before a phase-unknown
-- compound heterozygote, then the oldest submission first.
SELECT r.id AS run_id, s.id AS sample_pk, s.sample_id, b.lab_batch_id, b.submitted_at, r.screened_at,
       pv.panel_id, pv.major, pv.minor,
       count(f.ordinal) AS findings,
       count(f.ordinal) FILTER (WHERE f.pattern <> 'possible_compound_heterozygous_phase_unknown') AS definite,
       string_agg(f.symbol, ', ' ORDER BY u.rank, f.ordinal) AS genes,
       (ARRAY['immediate', 'high', 'routine'])[min(u.rank) + 1] AS urgency,
       (SELECT count(DISTINCT (d.hgnc_id, d.moi)) FROM finding_decisions d WHERE d.run_id = r.id) AS decided
FROM screening_run r
JOIN sample s ON s.id = r.sample_id AND s.panel_version_id = r.panel_version_id
JOIN batch b ON b.id = s.batch_id
JOIN panel_version pv ON pv.id = r.panel_version_id
JOIN finding f ON f.run_id = r.id
LEFT JOIN panel_gene g ON g.panel_version_id = r.panel_version_id AND g.hgnc_id = f.hgnc_id AND g.moi = f.moi
CROSS JOIN LATERAL (
  SELECT CASE g.urgency WHEN 'immediate' THEN 0 WHEN 'high' THEN 1 ELSE 2 END AS rank,
         (f.pattern = 'possible_compound_heterozygous_phase_unknown')::int AS phase_unknown
) u
WHERE r.outcome = 'condition_suspected' AND s.state = 'screened'
  AND NOT EXISTS (SELECT 1 FROM case_decisions c WHERE c.run_id = r.id AND c.decided_at >= r.screened_at)
GROUP BY r.id, s.id, b.id, pv.id
ORDER BY min(2 * u.rank + u.phase_unknown), b.submitted_at, r.screened_at, s.id
LIMIT %(limit)s;

-- reviewed_cases --
-- Babies whose case has an outcome, most recent decision first.
SELECT DISTINCT ON (r.id) r.id AS run_id, s.id AS sample_pk, s.sample_id, b.lab_batch_id,
       c.outcome, c.decided_by, c.decided_at
FROM case_decisions c JOIN screening_run r ON r.id = c.run_id
JOIN sample s ON s.id = r.sample_id JOIN batch b ON b.id = s.batch_id
ORDER BY r.id, c.id DESC
LIMIT %(limit)s;

-- case_header --
-- A screening run with its sample, batch and panel version; ``urgency`` maps "<hgnc_id> <moi>" of each
-- finding to its gene's urgency in that panel version.
SELECT r.id AS run_id, r.outcome, r.karyotype, r.reasons, r.not_evaluated, r.screened_at, r.panel_sha256,
       r.clinvar_source, r.clinvar_release_date, r.clinvar_sha256, r.software_version, r.cohort_babies,
       s.id AS sample_pk, s.sample_id, s.sex, s.state AS sample_state, s.pct_autosomal_15x, s.q30_gb,
       s.contamination_pct, s.smn1_copies, b.id AS batch_pk, b.lab_batch_id, b.submitted_at, b.programme,
       pv.id AS panel_version_id, pv.panel_id, pv.major, pv.minor, pv.name AS panel_name,
       (SELECT coalesce(jsonb_object_agg(f.hgnc_id || ' ' || f.moi, coalesce(g.urgency, 'routine')), '{}')
        FROM finding f LEFT JOIN panel_gene g
          ON g.panel_version_id = r.panel_version_id AND g.hgnc_id = f.hgnc_id AND g.moi = f.moi
        WHERE f.run_id = r.id) AS urgency
FROM screening_run r
JOIN sample s ON s.id = r.sample_id
JOIN batch b ON b.id = s.batch_id
JOIN panel_version pv ON pv.id = r.panel_version_id
WHERE r.id = %(run_id)s;

-- current_run_of_sample --
-- The run of a sample under its own panel version.
SELECT r.id FROM screening_run r JOIN sample s ON s.id = r.sample_id AND s.panel_version_id = r.panel_version_id
WHERE s.id = %(sample_pk)s;

-- insert_finding_decision --
-- A reviewer's decision on one finding (append-only; the latest is in force).
INSERT INTO finding_decisions (run_id, hgnc_id, moi, decision, acmg_class, reason, decided_by)
VALUES (%(run_id)s, %(hgnc_id)s, %(moi)s, %(decision)s, %(acmg_class)s, %(reason)s, %(decided_by)s)
RETURNING id;

-- list_finding_decisions --
-- Every decision on a run's findings, oldest first.
SELECT * FROM finding_decisions WHERE run_id = %(run_id)s ORDER BY id;

-- insert_case_decision --
-- The outcome of a reviewed case (append-only; the latest is in force).
INSERT INTO case_decisions (run_id, outcome, reason, decided_by)
VALUES (%(run_id)s, %(outcome)s, %(reason)s, %(decided_by)s)
RETURNING id;

-- list_case_decisions --
-- Every case outcome recorded for a run, oldest first.
SELECT * FROM case_decisions WHERE run_id = %(run_id)s ORDER BY id;

-- insert_issued_letter --
-- An issued letter with its rendered HTML and PDF.
INSERT INTO issued_letters (sample_pk, run_id, kind, sha256, pdf_sha256, template_version, issued_by, issued_on,
                            pdf, html)
VALUES (%(sample_pk)s, %(run_id)s, %(kind)s, %(sha256)s, %(pdf_sha256)s, %(template_version)s, %(issued_by)s,
        %(issued_on)s, %(pdf)s, %(html)s)
RETURNING id;

-- list_issued_letters --
-- Letters issued for a baby, newest first (without their bytes).
SELECT id, sample_pk, run_id, kind, sha256, pdf_sha256, template_version, issued_by, issued_at, issued_on,
       length(pdf) AS pdf_bytes
FROM issued_letters WHERE sample_pk = %(sample_pk)s ORDER BY id DESC;

-- get_issued_letter --
-- One issued letter with its bytes.
SELECT * FROM issued_letters WHERE id = %(id)s;

-- batch_letter_runs --
-- Screened babies of a batch (current run each), with the kinds of letter already issued for the run.
SELECT s.id AS sample_pk, s.sample_id, r.id AS run_id,
       coalesce((SELECT array_agg(DISTINCT l.kind) FROM issued_letters l WHERE l.run_id = r.id), '{}') AS issued
FROM sample s
JOIN screening_run r ON r.sample_id = s.id AND r.panel_version_id = s.panel_version_id
WHERE s.batch_id = %(batch_pk)s AND s.state = 'screened'
ORDER BY s.id;

-- insert_finding_decision_basis --
-- What a finding decision was made on: the finding's signature and the panel version's label.
INSERT INTO finding_decision_basis (decision_id, signature, panel_label)
VALUES (%(decision_id)s, %(signature)s, %(panel_label)s);

-- list_sample_finding_decisions --
-- Every finding decision on any screening run of a sample, oldest first, with its basis (NULL for a
-- decision recorded before bases were kept) and the panel version of the run it was made on.
SELECT d.*, fb.signature, coalesce(fb.panel_label, pv.panel_id || '@' || pv.major || '.' || pv.minor) AS panel_label
FROM finding_decisions d
JOIN screening_run r ON r.id = d.run_id
JOIN panel_version pv ON pv.id = r.panel_version_id
LEFT JOIN finding_decision_basis fb ON fb.decision_id = d.id
WHERE r.sample_id = %(sample_pk)s
ORDER BY d.id;

-- insert_case_confirmation --
-- A second reviewer confirms one condition_suspected case decision (the trigger checks the account).
INSERT INTO case_confirmations (case_decision_id, run_id, reason, confirmed_by)
VALUES (%(case_decision_id)s, %(run_id)s, %(reason)s, %(confirmed_by)s)
RETURNING id;

-- list_case_confirmations --
-- Every confirmation of a run's case decisions, oldest first.
SELECT * FROM case_confirmations WHERE run_id = %(run_id)s ORDER BY id;

-- awaiting_confirmation --
-- Cases whose outcome in force is condition_suspected with no confirmation by a second account yet.
SELECT r.id AS run_id, s.sample_id, b.lab_batch_id, c.decided_by, c.decided_at, c.reason
FROM screening_run r
JOIN sample s ON s.id = r.sample_id AND s.panel_version_id = r.panel_version_id
JOIN batch b ON b.id = s.batch_id
JOIN LATERAL (
  SELECT * FROM case_decisions c WHERE c.run_id = r.id AND c.decided_at >= r.screened_at ORDER BY c.id DESC LIMIT 1
) c ON true
WHERE c.outcome = 'condition_suspected' AND s.state = 'screened'
  AND NOT EXISTS (SELECT 1 FROM case_confirmations k WHERE k.case_decision_id = c.id AND k.confirmed_by <> c.decided_by)
ORDER BY c.decided_at
LIMIT %(limit)s;

-- insert_identity_check --
-- The laboratory's resolution of a possible sample swap.
INSERT INTO identity_checks (sample_pk, run_id, resolution, corrected_sex, note, recorded_by)
VALUES (%(sample_pk)s, %(run_id)s, %(resolution)s, %(corrected_sex)s, %(note)s, %(recorded_by)s)
RETURNING id;

-- list_identity_checks --
-- Every identity-check resolution recorded for a sample, oldest first.
SELECT * FROM identity_checks WHERE sample_pk = %(sample_pk)s ORDER BY id;

-- sample_of_batch --
-- One sample of a batch by its lab id, with its current run (NULL before it is screened).
SELECT s.id AS sample_pk, s.sample_id, s.sex, s.state, s.batch_id,
       (SELECT r.id FROM screening_run r WHERE r.sample_id = s.id AND r.panel_version_id = s.panel_version_id)
         AS run_id
FROM sample s JOIN batch b ON b.id = s.batch_id
WHERE b.lab_batch_id = %(lab_batch_id)s AND s.sample_id = %(sample_id)s;

-- requeue_with_sex --
-- A finished sample goes back to the queue with its corrected recorded sex and a fresh attempt budget.
UPDATE sample SET sex = %(sex)s, state = 'queued', attempts = 0, lease_token = NULL, lease_expires_at = NULL,
                  reason = NULL, reason_template = NULL, updated_at = now()
WHERE id = %(sample_pk)s AND state IN ('screened', 'failed', 'held')
RETURNING id, batch_id;

-- reopen_batch_one --
-- The batch of a re-queued sample has one pending sample more.
UPDATE batch SET samples_pending = samples_pending + 1, state = 'running', finalised_at = NULL
WHERE id = %(batch_id)s;

-- batch_letters --
-- Letters issued for the babies of a batch, newest first (without their bytes).
SELECT l.id, l.sample_pk, l.run_id, l.kind, l.sha256, l.pdf_sha256, l.template_version, l.issued_by,
       l.issued_at, l.issued_on, s.sample_id
FROM issued_letters l JOIN sample s ON s.id = l.sample_pk
WHERE s.batch_id = %(batch_pk)s
ORDER BY l.id DESC;

-- batch_identity_checks --
-- Identity-check resolutions recorded for the samples of a batch, oldest first.
SELECT c.*, s.sample_id
FROM identity_checks c JOIN sample s ON s.id = c.sample_pk JOIN batch b ON b.id = s.batch_id
WHERE b.lab_batch_id = %(lab_batch_id)s
ORDER BY c.id;
-- set_user_active --
-- Disable or enable a user; disabling also revokes the user's open web sessions (next query).
UPDATE users SET active = %(active)s WHERE username = %(username)s RETURNING id;

-- revoke_user_sessions --
UPDATE web_session SET revoked_at = now() WHERE username = %(username)s AND revoked_at IS NULL;

-- unlock_user --
-- Failed sign-ins before now no longer count towards the lockout.
UPDATE users SET unlocked_at = now() WHERE username = %(username)s RETURNING id;

-- insert_session --
INSERT INTO web_session (token_sha256, username, address)
VALUES (%(token_sha256)s, %(username)s, %(address)s);

-- find_session --
-- A session that is not revoked, seen within the idle limit and younger than the absolute limit.
SELECT s.username, s.last_seen_at, (now() - s.last_seen_at) > make_interval(secs => 60) AS stale
FROM web_session s
WHERE s.token_sha256 = %(token_sha256)s AND s.revoked_at IS NULL
  AND s.last_seen_at > now() - make_interval(secs => %(idle_seconds)s)
  AND s.created_at > now() - make_interval(secs => %(absolute_seconds)s);

-- touch_session --
UPDATE web_session SET last_seen_at = now() WHERE token_sha256 = %(token_sha256)s;

-- revoke_session --
UPDATE web_session SET revoked_at = now() WHERE token_sha256 = %(token_sha256)s AND revoked_at IS NULL;

-- record_login_failure --
INSERT INTO login_failure (username, address) VALUES (%(username)s, %(address)s);

-- login_failures --
-- Recent failures for the account (since its last unlock) and from the address.
SELECT
  (SELECT count(*) FROM login_failure f
   WHERE f.username = %(username)s
     AND f.at > greatest(now() - make_interval(secs => %(window_seconds)s),
                         coalesce((SELECT unlocked_at FROM users WHERE username = %(username)s), '-infinity'))
  ) AS account,
  (SELECT count(*) FROM login_failure f
   WHERE f.address = %(address)s AND f.at > now() - make_interval(secs => %(window_seconds)s)) AS address;
