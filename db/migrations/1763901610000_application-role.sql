-- Up Migration

-- The application connects as a login role that is a member of `suifang_app` and owns no table
-- (db/app-role.ts creates it at bring-up; migrations keep running as the owner). So it cannot
-- alter tables, switch row-level security off or disable the audit triggers, and everything it
-- may do is granted here.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'suifang_app') THEN
    CREATE ROLE suifang_app NOLOGIN;
  END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO suifang_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO suifang_app;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO suifang_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO suifang_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO suifang_app;
-- The audit trail is append-only for the application.
REVOKE UPDATE, DELETE ON audit_log, audit_checkpoints FROM suifang_app;
REVOKE UPDATE, DELETE ON pgmigrations FROM suifang_app;
-- Reads on behalf of a user switch to the reader role (db/scope.ts).
GRANT suifang_reader TO suifang_app;

-- The application's own work (workflow activities, HIS ingest, administration) is not on behalf
-- of one user and sees every row; reads for a user run as suifang_reader under the policies below.
CREATE POLICY app_encounters ON encounters TO suifang_app USING (true) WITH CHECK (true);
CREATE POLICY app_patients ON patients TO suifang_app USING (true) WITH CHECK (true);
CREATE POLICY app_tasks ON follow_up_tasks TO suifang_app USING (true) WITH CHECK (true);
CREATE POLICY app_tickets ON tickets TO suifang_app USING (true) WITH CHECK (true);

-- Agents see what they are responsible for: tasks assigned to them or waiting unassigned in their
-- department's queue, and the patients and stays of those tasks (plus tickets they raised), not
-- every patient of the department. Department users see their department; management all.
CREATE FUNCTION suifang_agent_task(t follow_up_tasks) RETURNS boolean LANGUAGE sql STABLE AS
  $$ SELECT t.assigned_agent_id = suifang_user()
            OR (t.assigned_agent_id IS NULL AND t.department_code = suifang_department()) $$;
CREATE FUNCTION suifang_is_agent() RETURNS boolean LANGUAGE sql STABLE AS
  $$ SELECT coalesce(current_setting('suifang.role', true), '') = 'agent' $$;

DROP POLICY reader_encounters ON encounters;
CREATE POLICY reader_encounters ON encounters FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (NOT suifang_is_agent() AND department_code = suifang_department())
         OR (suifang_is_agent() AND EXISTS (SELECT 1 FROM follow_up_tasks t WHERE t.encounter_id = encounters.id AND suifang_agent_task(t))));

DROP POLICY reader_patients ON patients;
CREATE POLICY reader_patients ON patients FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (NOT suifang_is_agent() AND EXISTS (SELECT 1 FROM encounters e WHERE e.patient_id = patients.id AND e.department_code = suifang_department()))
         OR (suifang_is_agent() AND EXISTS (SELECT 1 FROM follow_up_tasks t WHERE t.patient_id = patients.id AND suifang_agent_task(t)))
         OR EXISTS (SELECT 1 FROM tickets t WHERE t.patient_id = patients.id
                    AND ((NOT suifang_is_agent() AND t.department_code = suifang_department()) OR t.created_by = suifang_user())));

DROP POLICY reader_tasks ON follow_up_tasks;
CREATE POLICY reader_tasks ON follow_up_tasks FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (NOT suifang_is_agent() AND department_code = suifang_department())
         OR (suifang_is_agent() AND suifang_agent_task(follow_up_tasks)));

-- Down Migration
DROP POLICY reader_tasks ON follow_up_tasks;
CREATE POLICY reader_tasks ON follow_up_tasks FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (department_code = suifang_department()
             AND (current_setting('suifang.role', true) <> 'agent' OR assigned_agent_id IS NULL OR assigned_agent_id = suifang_user())));
DROP POLICY reader_patients ON patients;
CREATE POLICY reader_patients ON patients FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR EXISTS (SELECT 1 FROM encounters e WHERE e.patient_id = patients.id AND e.department_code = suifang_department())
         OR EXISTS (SELECT 1 FROM tickets t WHERE t.patient_id = patients.id
                    AND (t.department_code = suifang_department() OR t.created_by = suifang_user())));
DROP POLICY reader_encounters ON encounters;
CREATE POLICY reader_encounters ON encounters FOR SELECT TO suifang_reader
  USING (suifang_sees_all() OR department_code = suifang_department());
DROP FUNCTION suifang_is_agent();
DROP FUNCTION suifang_agent_task(follow_up_tasks);
DROP POLICY app_tickets ON tickets;
DROP POLICY app_tasks ON follow_up_tasks;
DROP POLICY app_patients ON patients;
DROP POLICY app_encounters ON encounters;
REVOKE suifang_reader FROM suifang_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM suifang_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM suifang_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM suifang_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM suifang_app;
REVOKE USAGE ON SCHEMA public FROM suifang_app;
