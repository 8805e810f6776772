"""Least privilege: an owner role for the schema, and login roles for the web app, the workers and the
curation commands that own nothing and hold only the grants they need.

- ``screening_owner`` (NOLOGIN) owns every table, sequence and function; migrations act as it (env.py
  ``SET ROLE`` when the migrating user is a member). Only an owner (or a superuser) can disable or drop
  a trigger; ``session_replication_role`` needs a superuser. The login roles are neither.
- ``screening_web`` (web app, ``screening batch …``, ``user add``, ``identity import``): reads
  everything; adds batches and samples (and re-queues them), users, identities, identity views,
  decisions and letters. It cannot change panels or ClinVar, update or delete a decision, letter, view
  or event, or write screening results.
- ``screening_worker``: claims and finishes samples, writes screening results; reads panels, ClinVar,
  batches and samples. It cannot read identities, users, decisions or letters.
- ``screening_curation`` (``screening panel …``): publishes and retires panel versions and ClinVar
  snapshots, moves samples to a new version for re-screening; cannot read identities or users.
- No role can DELETE anything: results are replaced by the worker only (findings and candidates of a
  re-run sample), which is the one DELETE granted.
- The event-log triggers run as the owner (SECURITY DEFINER), so no login role can write ``event``
  rows directly: it is written only by the state changes it records.

Passwords: the users check accepts argon2id hashes too (new hashes are argon2id; scrypt ones verify).

Roles are cluster-wide and created once (idempotently); grants are per database. Creating them needs
a superuser or CREATEROLE; a DBA can create them beforehand, then this needs neither. The downgrade
revokes this database's grants and gives ownership back but keeps the roles (other databases of the
cluster may use them).

Revision ID: 0007
Revises: 0005 (the merger re-chains it after 0006)
Create Date: 2026-12-01
"""

from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None


def _t(names: str) -> tuple[str, ...]:
    return tuple(names.split())


LOGIN_ROLES = ("screening_web", "screening_worker", "screening_curation")
ALL_TABLES = _t(
    "clinvar_snapshot clinvar_record panel_version panel_gene panel_include panel_exclude batch sample "
    "screening_run candidate finding finding_variant event users identities identity_views "
    "finding_decisions case_decisions issued_letters"
)
GRANTS = {
    "screening_web": {
        "SELECT": ALL_TABLES,
        "INSERT": _t(
            "batch sample users identities identity_views finding_decisions case_decisions issued_letters"
        ),
        "UPDATE": _t("batch sample users identities"),
    },
    "screening_worker": {
        "SELECT": _t(
            "clinvar_snapshot clinvar_record panel_version panel_gene panel_include panel_exclude "
            "batch sample screening_run candidate finding finding_variant"
        ),
        "INSERT": _t("screening_run candidate finding finding_variant"),
        "UPDATE": _t("batch sample screening_run"),
        "DELETE": _t("candidate finding"),
    },
    "screening_curation": {
        "SELECT": tuple(t for t in ALL_TABLES if t not in {"identities", "users"}),
        "INSERT": _t("clinvar_snapshot clinvar_record panel_version panel_gene panel_include panel_exclude"),
        "UPDATE": _t("panel_version batch sample"),
    },
}
SEQUENCES = {  # bigserial sequences of the tables each role inserts into
    "screening_web": "batch sample users identity_views finding_decisions case_decisions issued_letters",
    "screening_worker": "screening_run",
    "screening_curation": "clinvar_snapshot panel_version",
}
DEFINER_FUNCTIONS = ("screening_log_state()", "screening_log_publish()")

CREATE_ROLES = r"""
DO $$
DECLARE
  role_name text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'screening_owner') THEN
    BEGIN
      CREATE ROLE screening_owner NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently
    END;
  END IF;
  FOREACH role_name IN ARRAY ARRAY['screening_web', 'screening_worker', 'screening_curation'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION '
                       'NOBYPASSRLS NOINHERIT', role_name);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END;
    END IF;
  END LOOP;
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    GRANT screening_owner TO CURRENT_USER;  -- so a non-superuser migrating role can act as the owner
  END IF;
  BEGIN  -- PostgreSQL < 15 lets every role create tables in public
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'could not revoke CREATE on schema public from PUBLIC: ask the schema owner';
  END;
END $$;
"""

TRANSFER_OWNERSHIP = r"""
DO $$
DECLARE
  item record;
BEGIN
  FOR item IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                AND pg_get_userbyid(c.relowner) = %(source)s LOOP
    EXECUTE format('ALTER TABLE public.%I OWNER TO %I', item.relname, %(target)s);
  END LOOP;
  FOR item IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind = 'S'
                AND pg_get_userbyid(c.relowner) = %(source)s LOOP
    EXECUTE format('ALTER SEQUENCE public.%I OWNER TO %I', item.relname, %(target)s);
  END LOOP;
  FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
              JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) = %(source)s LOOP
    EXECUTE format('ALTER FUNCTION %s OWNER TO %I', item.signature, %(target)s);
  END LOOP;
END $$;
"""


def _transfer(source: str, target: str) -> str:
    return TRANSFER_OWNERSHIP.replace("%(source)s", source).replace("%(target)s", target)


def _grant_statements() -> list[str]:
    statements = []
    for role, grants in GRANTS.items():
        statements.append(f"GRANT USAGE ON SCHEMA public TO {role}")
        for privilege, tables in grants.items():
            statements.append(f"GRANT {privilege} ON {', '.join(tables)} TO {role}")
        sequences = ", ".join(f"{t}_id_seq" for t in SEQUENCES[role].split())
        statements.append(f"GRANT USAGE ON SEQUENCE {sequences} TO {role}")
    return statements


PASSWORD_CHECK_NEW = (  # argon2id (argon2-cffi) from now on; scrypt hashes stored before still verify
    "ALTER TABLE users DROP CONSTRAINT users_password_hash_check, ADD CONSTRAINT users_password_hash_check "
    "CHECK (password_hash LIKE 'scrypt$%' OR password_hash LIKE '$argon2id$%')"
)
PASSWORD_CHECK_OLD = (
    "ALTER TABLE users DROP CONSTRAINT users_password_hash_check, ADD CONSTRAINT users_password_hash_check "
    "CHECK (password_hash LIKE 'scrypt$%') NOT VALID"
)


def upgrade() -> None:
    op.execute(PASSWORD_CHECK_NEW)
    op.execute(CREATE_ROLES)
    op.execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC")
    op.execute("GRANT USAGE, CREATE ON SCHEMA public TO screening_owner")
    op.execute(_transfer("current_user::text", "'screening_owner'"))
    for function in DEFINER_FUNCTIONS:  # event rows are written as the owner, by the triggers only
        op.execute(f"ALTER FUNCTION {function} SECURITY DEFINER SET search_path = public, pg_temp")
    for statement in _grant_statements():
        op.execute(statement)


def downgrade() -> None:
    op.execute("RESET ROLE")  # env.py acts as screening_owner; give ownership back as the session user
    op.execute(PASSWORD_CHECK_OLD)
    roles = ", ".join(LOGIN_ROLES)
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {roles}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {roles}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {roles}, screening_owner")
    op.execute("REVOKE CREATE ON SCHEMA public FROM screening_owner")
    for function in DEFINER_FUNCTIONS:
        op.execute(f"ALTER FUNCTION {function} SECURITY INVOKER RESET search_path")
    op.execute(_transfer("'screening_owner'", "session_user::text"))
