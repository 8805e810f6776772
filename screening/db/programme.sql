-- Named queries of the programme figures (``screening report programme|share``, the lead's dashboard).
-- Same format as queries.sql. No identity and no lab sample id is selected here: the figures are
-- aggregates, and the rows read are a sample's state, outcome, reasons, genes and review only.

-- programme_samples --
-- One row per sample of the programme (every programme when NULL) received since the given time: its
-- batch, when it was received, its state, the outcome and (testing not possible) reasons of its current
-- run (the run under the sample's own panel version), the reason a held sample was held, the case
-- outcome in force (the latest recorded since the run's results were last written, as the review queue
-- reads it) and whether a second account confirmed it, and the run's findings with the latest
-- decision recorded on that gene and mode for any run of the baby.
WITH picked AS (
  SELECT s.id, s.state, s.reason, s.panel_version_id, b.id AS batch_pk, b.lab_batch_id, b.programme,
         b.submitted_at,
         coalesce((SELECT min(t.at) FROM turnaround_event t WHERE t.sample_pk = s.id AND t.kind = 'received'),
                  b.submitted_at) AS received_at
  FROM sample s JOIN batch b ON b.id = s.batch_id
  WHERE (%(programme)s::text IS NULL OR b.programme = %(programme)s::text)
)
SELECT p.programme, p.batch_pk, p.lab_batch_id, p.submitted_at, p.received_at, p.state,
       CASE WHEN p.state = 'held' THEN p.reason END AS held_reason,
       r.outcome AS screen_outcome,
       CASE WHEN r.outcome = 'testing_not_possible' THEN r.reasons ELSE '[]'::jsonb END AS reasons,
       c.outcome AS case_outcome,
       (c.id IS NOT NULL AND EXISTS (
          SELECT 1 FROM case_confirmations k WHERE k.case_decision_id = c.id AND k.confirmed_by <> c.decided_by
       )) AS case_confirmed,
       coalesce((
         SELECT jsonb_agg(jsonb_build_object(
                  'hgnc_id', f.hgnc_id, 'symbol', f.symbol, 'moi', f.moi, 'condition', f.condition,
                  'decision', (SELECT d.decision FROM finding_decisions d JOIN screening_run dr ON dr.id = d.run_id
                               WHERE dr.sample_id = r.sample_id AND d.hgnc_id = f.hgnc_id AND d.moi = f.moi
                               ORDER BY d.id DESC LIMIT 1))
                  ORDER BY f.ordinal)
         FROM finding f WHERE f.run_id = r.id), '[]'::jsonb) AS findings
FROM picked p
LEFT JOIN screening_run r ON r.sample_id = p.id AND r.panel_version_id = p.panel_version_id
LEFT JOIN LATERAL (
  SELECT c.id, c.outcome, c.decided_by FROM case_decisions c
  WHERE c.run_id = r.id AND c.decided_at >= r.screened_at ORDER BY c.id DESC LIMIT 1
) c ON true
WHERE p.received_at >= coalesce(%(since)s::timestamptz, '-infinity')
ORDER BY p.received_at, p.id;

-- programme_names --
-- The programmes that have at least one batch (for the dashboard's filter).
SELECT DISTINCT programme FROM batch ORDER BY programme;

-- insert_shared_figures --
-- A figures file written for a partner programme (the audit trigger records it in the same transaction).
INSERT INTO shared_figures (sha256, schema, programme, granularity, since, min_count, babies, document)
VALUES (%(sha256)s, %(schema)s, %(programme)s, %(granularity)s, %(since)s, %(min_count)s, %(babies)s,
        %(document)s)
RETURNING id;
