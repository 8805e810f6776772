"""Machine tokens of the JSON API are audited and a revocation is final.

- Creating a token (``screening token create``) and revoking it (``screening token revoke``) each
  write an ``audit_log`` row in the same transaction, from a trigger running as the owner (as 0008's
  ``screening_audit_record``): who, the token's name and role; never the token nor its sha256.
- A revoked token stays revoked: ``revoked_at``/``revoked_by`` cannot be cleared or changed once set
  (the web role may update them, 0014), so a leaked token cannot be brought back to life.
  ``last_used_at`` (recorded by the web app, at most once a minute per token) is not audited.

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-02
"""

from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE FUNCTION screening_audit_api_token() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_log (actor, action, entity, entity_id, detail)
  VALUES (screening_actor(),
          CASE WHEN TG_OP = 'INSERT' THEN 'api_token_created' ELSE 'api_token_revoked' END,
          'api_token', NEW.id::text,
          jsonb_strip_nulls(jsonb_build_object('name', NEW.name, 'role', NEW.role,
                                               'created_by', NEW.created_by,
                                               'revoked_by', NEW.revoked_by)));
  RETURN NULL;
END $$;

CREATE FUNCTION screening_api_token_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.name IS DISTINCT FROM OLD.name OR NEW.token_sha256 IS DISTINCT FROM OLD.token_sha256
     OR NEW.role IS DISTINCT FROM OLD.role OR NEW.created_by IS DISTINCT FROM OLD.created_by
     OR NEW.created_at IS DISTINCT FROM OLD.created_at
     OR (OLD.revoked_at IS NOT NULL AND (NEW.revoked_at IS DISTINCT FROM OLD.revoked_at
                                         OR NEW.revoked_by IS DISTINCT FROM OLD.revoked_by)) THEN
    RAISE EXCEPTION 'api token %: only its last use and a first revocation may be recorded', OLD.name
      USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER api_token_created_audit AFTER INSERT ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION screening_audit_api_token();
CREATE TRIGGER api_token_revoked_audit AFTER UPDATE OF revoked_at ON api_tokens
  FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION screening_audit_api_token();
CREATE TRIGGER api_token_guard BEFORE UPDATE ON api_tokens
  FOR EACH ROW EXECUTE FUNCTION screening_api_token_guard();

ALTER FUNCTION screening_audit_api_token() OWNER TO screening_owner;
ALTER FUNCTION screening_api_token_guard() OWNER TO screening_owner;
"""

DOWNGRADE = r"""
DROP TRIGGER api_token_guard ON api_tokens;
DROP TRIGGER api_token_revoked_audit ON api_tokens;
DROP TRIGGER api_token_created_audit ON api_tokens;
DROP FUNCTION screening_api_token_guard();
DROP FUNCTION screening_audit_api_token();
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
