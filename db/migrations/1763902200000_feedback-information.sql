-- Up Migration

-- Feedback is not always a complaint. 表扬 (praise) and 建议 (suggestion) are kept on the same
-- feedback record as complaints (one place for "what the patient said"), with the department it
-- was routed to as information and when someone there read it. Only complaints become tickets;
-- information has no SLA, no escalation and no rating request, so it needs no workflow of its own.
ALTER TABLE feedback_records
  ADD COLUMN kind text NOT NULL DEFAULT 'complaint' CHECK (kind IN ('complaint', 'praise', 'suggestion')),
  ADD COLUMN department_code text REFERENCES departments(code),
  ADD COLUMN read_at timestamptz,
  ADD COLUMN read_by uuid REFERENCES users(id);
CREATE INDEX feedback_information_idx ON feedback_records (department_code, created_at DESC) WHERE kind <> 'complaint';
CREATE INDEX feedback_created_idx ON feedback_records (created_at);

-- Notifications about information point at the feedback record, not a ticket.
ALTER TABLE staff_notifications ADD COLUMN feedback_id uuid REFERENCES feedback_records(id);

-- Praise and suggestions per responsible department and month, for the reports.
ALTER TABLE report_department_month
  ADD COLUMN praise integer NOT NULL DEFAULT 0,
  ADD COLUMN suggestions integer NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE report_department_month DROP COLUMN suggestions, DROP COLUMN praise;
ALTER TABLE staff_notifications DROP COLUMN feedback_id;
DROP INDEX feedback_created_idx;
DROP INDEX feedback_information_idx;
ALTER TABLE feedback_records DROP COLUMN read_by, DROP COLUMN read_at, DROP COLUMN department_code, DROP COLUMN kind;
