-- Machine tokens of the JSON API (migrations 0014, 0018). Named queries, read by tokens.py.

-- insert_token --
INSERT INTO api_tokens (name, token_sha256, role, created_by)
VALUES (%(name)s, %(token_sha256)s, %(role)s, %(created_by)s)
RETURNING id;

-- list_tokens --
SELECT id, name, role, created_by, created_at, last_used_at, revoked_at, revoked_by
FROM api_tokens ORDER BY name;

-- find_live_token --
-- The token of this sha256 if it is not revoked; ``stale``: its last use is worth recording again.
SELECT id, name, role,
       (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
FROM api_tokens WHERE token_sha256 = %(token_sha256)s AND revoked_at IS NULL;

-- touch_token --
UPDATE api_tokens SET last_used_at = now() WHERE id = %(id)s AND revoked_at IS NULL;

-- revoke_token --
UPDATE api_tokens SET revoked_at = now(), revoked_by = %(revoked_by)s
WHERE name = %(name)s AND revoked_at IS NULL
RETURNING id;

-- token_by_name --
SELECT id, revoked_at FROM api_tokens WHERE name = %(name)s;
