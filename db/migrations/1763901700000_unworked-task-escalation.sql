-- Up Migration
-- A phone task nobody worked within FOLLOW_UP_ESCALATE_AFTER_SECONDS is escalated to the
-- department's head: a staff notification about the task (the table the ticket SLA escalation
-- uses), and the moment on the task so the queue can show it.
ALTER TABLE staff_notifications ADD COLUMN task_id uuid REFERENCES follow_up_tasks(id);
ALTER TABLE follow_up_tasks ADD COLUMN escalated_at timestamptz;

-- Down Migration
ALTER TABLE follow_up_tasks DROP COLUMN escalated_at;
ALTER TABLE staff_notifications DROP COLUMN task_id;
