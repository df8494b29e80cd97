-- Up Migration

-- A tamper-evident, append-only audit trail. Every audit_log row carries the hash of the row
-- before it (prev_hash) and its own hash over its content and prev_hash, so changing a row breaks
-- its hash and deleting rows breaks the chain; `npm run audit:verify` recomputes it.

ALTER TABLE audit_log ADD COLUMN prev_hash text, ADD COLUMN hash text;

-- The one definition of a row's hash, used by the insert trigger and by the verifier (so JS never
-- has to reproduce Postgres' text formatting). The canonical text is a JSON array of the columns
-- in a fixed order; `at` is rendered in UTC ISO 8601 with microseconds.
CREATE FUNCTION audit_row_hash(r audit_log) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, public
AS $$
  SELECT encode(sha256(convert_to(json_build_array(
    r.id,
    to_char(r.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    r.actor_id,
    r.actor_username,
    r.actor_role,
    r.action,
    r.entity_type,
    r.entity_id,
    r.patient_id,
    r.ip,
    r.user_agent,
    r.details::text,
    r.prev_hash
  )::text, 'UTF8')), 'hex')
$$;

-- Where verification resumes after a retention purge: the id and hash of the last purged row.
CREATE TABLE audit_checkpoints (
  purged_through_id  bigint NOT NULL,
  last_hash          text,
  at                 timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_checkpoints_through_idx ON audit_checkpoints (purged_through_id DESC);

-- Retention: one row.
CREATE TABLE audit_settings (
  singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  retention_days  integer NOT NULL DEFAULT 183 CHECK (retention_days > 0)
);
INSERT INTO audit_settings DEFAULT VALUES;

-- Chains each new row to the one before it. The transaction-scoped advisory lock serialises
-- audit writers until commit, and the id is drawn from the sequence only once the lock is held,
-- so id order = chain order = commit order (the serial default drawn earlier is discarded; ids
-- therefore have gaps, which the verifier ignores — only prev_hash links count).
-- Writers must use READ COMMITTED (the default): the lookup below needs a fresh snapshot.
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, public
AS $$
DECLARE
  prev text;
BEGIN
  PERFORM pg_advisory_xact_lock(7403190001);
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  SELECT a.hash INTO prev FROM audit_log a ORDER BY a.id DESC LIMIT 1;
  IF NOT FOUND THEN
    SELECT c.last_hash INTO prev FROM audit_checkpoints c ORDER BY c.purged_through_id DESC LIMIT 1;
  END IF;
  NEW.prev_hash := prev;
  NEW.hash := audit_row_hash(NEW);
  RETURN NEW;
END
$$;

-- Backfill the rows written before the chain existed, in id order (no writers meanwhile).
LOCK TABLE audit_log IN EXCLUSIVE MODE;
DO $$
DECLARE
  r audit_log;
  prev text := NULL;
  h text;
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    r.prev_hash := prev;
    h := audit_row_hash(r);
    UPDATE audit_log SET prev_hash = prev, hash = h WHERE id = r.id;
    prev := h;
  END LOOP;
END
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Append-only. The only deletion allowed is audit_purge_before(), which marks its transaction.
-- (A session could set the marker itself; such a deletion still shows up in verification as a
-- gap, since no checkpoint covers it.)
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('suifang.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Checkpoints are never changed or removed.
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();

-- Grants. In development the app connects as the database owner, which privileges cannot
-- restrict, so the triggers above are what hold there. Production should run the app as a
-- non-owner role (granted SELECT, INSERT on audit_log and USAGE on its sequence); for it these
-- REVOKEs apply, and it cannot disable the triggers either.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM PUBLIC;

-- Retention purge: the only deletion path. Deletes the oldest rows recorded before `cutoff`,
-- but never rows younger than audit_settings.retention_days, and only a prefix of the chain
-- (up to the first row that must be kept), so verification can resume from the checkpoint.
-- Returns the number of rows deleted.
CREATE FUNCTION audit_purge_before(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
DECLARE
  effective  timestamptz;
  keep_from  bigint;
  through_id bigint;
  last_h     text;
  n          bigint;
BEGIN
  SELECT least(cutoff, now() - make_interval(days => s.retention_days)) INTO effective FROM audit_settings s;
  IF effective IS NULL THEN
    RAISE EXCEPTION 'audit_settings is missing';
  END IF;
  -- No audit row may be chained while the purge runs.
  PERFORM pg_advisory_xact_lock(7403190001);
  SELECT min(a.id) INTO keep_from FROM audit_log a WHERE a.at >= effective;
  IF keep_from IS NULL THEN
    SELECT a.id, a.hash INTO through_id, last_h FROM audit_log a ORDER BY a.id DESC LIMIT 1;
  ELSE
    SELECT a.id, a.hash INTO through_id, last_h FROM audit_log a WHERE a.id < keep_from ORDER BY a.id DESC LIMIT 1;
  END IF;
  IF through_id IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('suifang.audit_purge', 'on', true);
  DELETE FROM audit_log WHERE id <= through_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('suifang.audit_purge', 'off', true);
  INSERT INTO audit_checkpoints (purged_through_id, last_hash) VALUES (through_id, last_h);
  RETURN n;
END
$$;
-- Only the owner (or a role granted EXECUTE, e.g. a retention job) may purge.
REVOKE EXECUTE ON FUNCTION audit_purge_before(timestamptz) FROM PUBLIC;

-- Down Migration
DROP FUNCTION audit_purge_before(timestamptz);
DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints;
DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints;
DROP FUNCTION audit_checkpoints_append_only();
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TRIGGER audit_log_chain ON audit_log;
DROP FUNCTION audit_log_chain();
DROP TABLE audit_settings;
DROP TABLE audit_checkpoints;
DROP FUNCTION audit_row_hash(audit_log);
ALTER TABLE audit_log DROP COLUMN hash, DROP COLUMN prev_hash;
