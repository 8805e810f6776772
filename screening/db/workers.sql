-- Named queries of worker heartbeats (migration 0010). Read with the pipeline's loader.

-- heartbeat --
-- The worker is alive; its pool's live processes, size and tasks held (NULL: not known). free_since
-- is when it last went from no free slot (or another process of that name) to a free one.
INSERT INTO worker_heartbeat (name, pid, pool_pids, slots, busy, free_since)
VALUES (%(name)s, %(pid)s, %(pool_pids)s, %(slots)s, %(busy)s,
        CASE WHEN %(busy)s::integer < %(slots)s::integer THEN now() END)
ON CONFLICT (name) DO UPDATE SET
  last_seen_at = now(), pid = EXCLUDED.pid, pool_pids = EXCLUDED.pool_pids, slots = EXCLUDED.slots,
  busy = EXCLUDED.busy,
  free_since = CASE WHEN EXCLUDED.busy < EXCLUDED.slots
                    THEN CASE WHEN worker_heartbeat.pid = EXCLUDED.pid THEN coalesce(worker_heartbeat.free_since, now())
                              ELSE now() END
               END;

-- expire_orphaned_leases --
-- Running samples whose claiming worker has a heartbeat, but a stale one (the worker is gone), or a
-- fresh one, beaten at least a heartbeat period after the claim, whose live pool processes do not
-- include the process that claimed the sample (that process died; the worker lives on).
UPDATE sample s SET lease_expires_at = now() - interval '1 second'
FROM worker_heartbeat h
WHERE s.state = 'running' AND s.claimed_by = h.name AND s.lease_expires_at > now()
  AND (h.last_seen_at < now() - make_interval(secs => %(timeout_seconds)s)
       OR (h.pool_pids IS NOT NULL AND s.claimed_pid IS NOT NULL
           AND s.claimed_pid <> ALL (h.pool_pids)
           AND s.updated_at < h.last_seen_at - make_interval(secs => %(margin_seconds)s)))
RETURNING s.id, h.name,
  CASE WHEN h.last_seen_at < now() - make_interval(secs => %(timeout_seconds)s) THEN 'silent'
       ELSE 'process_gone' END AS why;

-- last_heartbeat --
-- Seconds since any worker was last seen (NULL: never).
SELECT extract(epoch FROM now() - max(last_seen_at))::float AS seconds FROM worker_heartbeat;
