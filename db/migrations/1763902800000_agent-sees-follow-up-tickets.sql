-- Up Migration

-- An agent reads the tickets that came from a follow-up task they may see (the red flag raised
-- by the workflow from their own call), not only the ones they raised (domain/access.ts
-- canViewTicket). The task's own policy (reader_tasks) applies inside the subquery.
DROP POLICY reader_tickets ON tickets;
CREATE POLICY reader_tickets ON tickets FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (current_setting('suifang.role', true) IN ('dept_head', 'dept_staff') AND department_code = suifang_department())
         OR (current_setting('suifang.role', true) = 'agent'
             AND (created_by = suifang_user()
                  OR (source_task_id IS NOT NULL
                      AND EXISTS (SELECT 1 FROM follow_up_tasks t
                                  WHERE t.id = tickets.source_task_id
                                    AND (t.assigned_agent_id = suifang_user()
                                         OR (t.assigned_agent_id IS NULL AND t.department_code = suifang_department())))))));

-- Down Migration
DROP POLICY reader_tickets ON tickets;
CREATE POLICY reader_tickets ON tickets FOR SELECT TO suifang_reader
  USING (suifang_sees_all()
         OR (current_setting('suifang.role', true) IN ('dept_head', 'dept_staff') AND department_code = suifang_department())
         OR (current_setting('suifang.role', true) = 'agent' AND created_by = suifang_user()));
