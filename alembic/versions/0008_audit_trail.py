"""Tamper-evident audit trail: an append-only ``audit_log`` with a sha256 hash chain.

Every event row (batch and sample state changes, panel versions published), every identity view
(case pages, letters and exports that showed an identity), every finding and case decision, every
letter issued (with its PDF's and HTML's sha256) and every panel version retired writes one audit row,
from a trigger, in the same transaction. The triggers run as the owner (SECURITY DEFINER): no login
role can insert, update or delete audit rows itself; the web role may read them (admin page).

The chain: at commit (a deferred constraint trigger, after the transaction's own row locks, so it
cannot deadlock with them) each new row is sealed under one advisory lock: it gets the next ``seq``,
``content_sha256`` = sha256 of its canonical text (``screening_audit_canonical``) and ``row_sha256`` =
sha256(previous row's ``row_sha256`` || ``content_sha256``). Sealing is the only update a row
accepts (NULL → set, nothing else changed); DELETE and TRUNCATE are refused. ``screening audit
verify`` recomputes every hash in ``seq`` order and names the first row that does not match.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UPGRADE = r"""
CREATE TABLE audit_log (
  id              bigserial PRIMARY KEY,
  seq             bigint UNIQUE,
  at              timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor           text NOT NULL DEFAULT screening_actor(),
  action          text NOT NULL,
  entity          text NOT NULL,
  entity_id       text NOT NULL,
  detail          jsonb NOT NULL DEFAULT '{}'::jsonb,
  content_sha256  text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  prev_sha256     text CHECK (prev_sha256 ~ '^[0-9a-f]{64}$'),
  row_sha256      text CHECK (row_sha256 ~ '^[0-9a-f]{64}$')
);

-- The text a row's content_sha256 is taken over; independent of the session's TimeZone and DateStyle.
CREATE FUNCTION screening_audit_canonical(a audit_log) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws(E'\x1f', a.seq::text, (extract(epoch FROM a.at) * 1000000)::bigint::text, a.actor,
                   a.action, a.entity, a.entity_id, a.detail::text)
$$;

CREATE FUNCTION screening_sha256(t text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to(t, 'UTF8')), 'hex')
$$;

CREATE FUNCTION screening_audit_seal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  last record;
  sealed audit_log;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('screening.audit_log'));
  SELECT seq, row_sha256 INTO last FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  sealed := NEW;
  sealed.seq := coalesce(last.seq, 0) + 1;
  sealed.prev_sha256 := coalesce(last.row_sha256, repeat('0', 64));
  sealed.content_sha256 := screening_sha256(screening_audit_canonical(sealed));
  sealed.row_sha256 := screening_sha256(sealed.prev_sha256 || sealed.content_sha256);
  PERFORM set_config('screening.audit_sealing', 'on', true);
  UPDATE audit_log SET seq = sealed.seq, prev_sha256 = sealed.prev_sha256,
         content_sha256 = sealed.content_sha256, row_sha256 = sealed.row_sha256
   WHERE id = NEW.id;
  PERFORM set_config('screening.audit_sealing', 'off', true);
  RETURN NULL;
END $$;

CREATE FUNCTION screening_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('screening.audit_sealing', true) = 'on'
     AND OLD.row_sha256 IS NULL
     AND (to_jsonb(NEW) - ARRAY['seq', 'content_sha256', 'prev_sha256', 'row_sha256'])
         = (to_jsonb(OLD) - ARRAY['seq', 'content_sha256', 'prev_sha256', 'row_sha256']) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log rows are append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION screening_audit_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION screening_audit_guard();
CREATE CONSTRAINT TRIGGER audit_log_seal AFTER INSERT ON audit_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION screening_audit_seal();

-- What each audited table contributes (one row per inserted or retired row).
CREATE FUNCTION screening_audit_record() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  row_json jsonb := to_jsonb(NEW);
BEGIN
  IF TG_TABLE_NAME = 'event' THEN
    INSERT INTO audit_log (at, actor, action, entity, entity_id, detail)
    VALUES (NEW.at, NEW.actor, 'state:' || NEW.to_state, NEW.entity, NEW.entity_id::text,
            jsonb_strip_nulls(jsonb_build_object('event', NEW.id, 'from', NEW.from_state,
                                                 'detail', NEW.detail)));
  ELSIF TG_TABLE_NAME = 'issued_letters' THEN
    INSERT INTO audit_log (actor, action, entity, entity_id, detail)
    VALUES (screening_actor(), 'letter_issued', 'issued_letter', NEW.id::text,
            jsonb_build_object('sample_pk', NEW.sample_pk, 'run_id', NEW.run_id, 'kind', NEW.kind,
                               'sha256', NEW.sha256, 'pdf_sha256', NEW.pdf_sha256,
                               'template_version', NEW.template_version, 'issued_by', NEW.issued_by));
  ELSIF TG_TABLE_NAME = 'panel_version' THEN
    INSERT INTO audit_log (actor, action, entity, entity_id, detail)
    VALUES (screening_actor(), 'panel_retired', 'panel_version', NEW.id::text,
            jsonb_build_object('label', NEW.panel_id || '@' || NEW.major || '.' || NEW.minor,
                               'sha256', NEW.sha256, 'reason', NEW.retired_reason));
  ELSE  -- identity_views, finding_decisions, case_decisions: the whole row
    INSERT INTO audit_log (actor, action, entity, entity_id, detail)
    VALUES (screening_actor(), TG_ARGV[0], TG_TABLE_NAME, NEW.id::text, row_json);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER event_audit AFTER INSERT ON event
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record();
CREATE TRIGGER issued_letter_audit AFTER INSERT ON issued_letters
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record();
CREATE TRIGGER panel_version_retired_audit AFTER UPDATE OF retired_at ON panel_version
  FOR EACH ROW WHEN (OLD.retired_at IS NULL AND NEW.retired_at IS NOT NULL)
  EXECUTE FUNCTION screening_audit_record();
CREATE TRIGGER identity_view_audit AFTER INSERT ON identity_views
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record('view');
CREATE TRIGGER finding_decision_audit AFTER INSERT ON finding_decisions
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record('finding_decision');
CREATE TRIGGER case_decision_audit AFTER INSERT ON case_decisions
  FOR EACH ROW EXECUTE FUNCTION screening_audit_record('case_decision');

ALTER TABLE audit_log OWNER TO screening_owner;
ALTER FUNCTION screening_audit_canonical(audit_log) OWNER TO screening_owner;
ALTER FUNCTION screening_sha256(text) OWNER TO screening_owner;
ALTER FUNCTION screening_audit_seal() OWNER TO screening_owner;
ALTER FUNCTION screening_audit_guard() OWNER TO screening_owner;
ALTER FUNCTION screening_audit_record() OWNER TO screening_owner;
GRANT SELECT ON audit_log TO screening_web;
"""

DOWNGRADE = r"""
DROP TRIGGER case_decision_audit ON case_decisions;
DROP TRIGGER finding_decision_audit ON finding_decisions;
DROP TRIGGER identity_view_audit ON identity_views;
DROP TRIGGER panel_version_retired_audit ON panel_version;
DROP TRIGGER issued_letter_audit ON issued_letters;
DROP TRIGGER event_audit ON event;
DROP FUNCTION screening_audit_record();
DROP FUNCTION screening_audit_canonical(audit_log);
DROP TABLE audit_log;
DROP FUNCTION screening_audit_guard();
DROP FUNCTION screening_audit_seal();
DROP FUNCTION screening_sha256(text);
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
