-- Named queries of worker heartbeats (migration 0010). Read with the pipeline's loader.

-- heartbeat --
INSERT INTO worker_heartbeat (name, pid) VALUES (%(name)s, %(pid)s)
ON CONFLICT (name) DO UPDATE SET last_seen_at = now(), pid = EXCLUDED.pid;

-- expire_orphaned_leases --
-- Running samples whose claiming worker has a heartbeat, but a stale one: the worker is gone.
UPDATE sample s SET lease_expires_at = now() - interval '1 second'
FROM worker_heartbeat h
WHERE s.state = 'running' AND s.claimed_by = h.name AND s.lease_expires_at > now()
  AND h.last_seen_at < now() - make_interval(secs => %(timeout_seconds)s)
RETURNING s.id, h.name;

-- last_heartbeat --
-- Seconds since any worker was last seen (NULL: never).
SELECT extract(epoch FROM now() - max(last_seen_at))::float AS seconds FROM worker_heartbeat;
