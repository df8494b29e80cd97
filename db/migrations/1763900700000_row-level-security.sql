-- Up Migration

-- A second line behind the service layer's checks: queries made on behalf of a signed-in user run
-- as `suifang_reader` (SET LOCAL ROLE, see db/scope.ts) with the user's role and department in
-- transaction settings, and these policies hide rows of other departments even if a handler forgot
-- its check. The application's own role (the tables' owner: workers, ingest) is not affected.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'suifang_reader') THEN
    CREATE ROLE suifang_reader NOLOGIN;
  END IF;
END
$$;
GRANT suifang_reader TO CURRENT_USER;
GRANT USAGE ON SCHEMA public TO suifang_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO suifang_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO suifang_reader;

CREATE FUNCTION suifang_sees_all() RETURNS boolean LANGUAGE sql STABLE AS
  $$ SELECT coalesce(current_setting('suifang.role', true), '') IN ('manager', 'admin') $$;
CREATE FUNCTION suifang_department() RETURNS text LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('suifang.department', true), '') $$;
CREATE FUNCTION suifang_user() RETURNS uuid LANGUAGE sql STABLE AS
  $$ SELECT nullif(current_setting('suifang.user_id', true), '')::uuid $$;

ALTER TABLE encounters ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_encounters ON encounters FOR SELECT TO suifang_reader
  USING (suifang_sees_all() OR department_code = suifang_department());

ALTER TABLE patients ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_patients ON patients FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR EXISTS (SELECT 1 FROM encounters e WHERE e.patient_id = patients.id AND e.department_code = suifang_department())
         OR EXISTS (SELECT 1 FROM tickets t WHERE t.patient_id = patients.id
                    AND (t.department_code = suifang_department() OR t.created_by = suifang_user())));

ALTER TABLE follow_up_tasks ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_tasks ON follow_up_tasks FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (department_code = suifang_department()
             AND (current_setting('suifang.role', true) <> 'agent' OR assigned_agent_id IS NULL OR assigned_agent_id = suifang_user())));

ALTER TABLE tickets ENABLE ROW LEVEL SECURITY;
CREATE POLICY reader_tickets ON tickets FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (current_setting('suifang.role', true) IN ('dept_head', 'dept_staff') AND department_code = suifang_department())
         OR (current_setting('suifang.role', true) = 'agent' AND created_by = suifang_user()));

-- Down Migration
DROP POLICY reader_tickets ON tickets;
ALTER TABLE tickets DISABLE ROW LEVEL SECURITY;
DROP POLICY reader_tasks ON follow_up_tasks;
ALTER TABLE follow_up_tasks DISABLE ROW LEVEL SECURITY;
DROP POLICY reader_patients ON patients;
ALTER TABLE patients DISABLE ROW LEVEL SECURITY;
DROP POLICY reader_encounters ON encounters;
ALTER TABLE encounters DISABLE ROW LEVEL SECURITY;
DROP FUNCTION suifang_user();
DROP FUNCTION suifang_department();
DROP FUNCTION suifang_sees_all();
REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM suifang_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM suifang_reader;
REVOKE USAGE ON SCHEMA public FROM suifang_reader;
