-- Up Migration
-- "Row written, workflow not yet told": a row whose workflow the writing request must start or
-- signal is written with a durable marker, cleared once Temporal has taken the start or the
-- signal. The reconciler (workflows/reconcile/) starts or signals again every row still marked.
-- Rows whose workflow is started by another workflow (a follow-up's tickets) are never marked.
ALTER TABLE tickets ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE tickets ADD COLUMN workflow_pending boolean NOT NULL DEFAULT false;
CREATE INDEX tickets_workflow_pending_idx ON tickets (created_at) WHERE workflow_pending;

ALTER TABLE appointments ADD COLUMN workflow_pending boolean NOT NULL DEFAULT false;
CREATE INDEX appointments_workflow_pending_idx ON appointments (booked_at) WHERE workflow_pending;

-- Set with the department when a mapping moves the encounter; cleared once its follow-up has the signal.
ALTER TABLE encounters ADD COLUMN department_signal_pending boolean NOT NULL DEFAULT false;
CREATE INDEX encounters_department_signal_idx ON encounters (id) WHERE department_signal_pending;

-- Down Migration
DROP INDEX encounters_department_signal_idx;
ALTER TABLE encounters DROP COLUMN department_signal_pending;
DROP INDEX appointments_workflow_pending_idx;
ALTER TABLE appointments DROP COLUMN workflow_pending;
DROP INDEX tickets_workflow_pending_idx;
ALTER TABLE tickets DROP COLUMN workflow_pending;
ALTER TABLE tickets DROP COLUMN created_at;
