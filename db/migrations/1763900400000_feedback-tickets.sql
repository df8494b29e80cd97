-- Up Migration

-- Category → responsible department and its SLA: the routing table, data edited by admins.
CREATE TABLE feedback_routes (
  category                 text PRIMARY KEY CHECK (category IN ('service_attitude', 'medical_quality', 'environment', 'process', 'red_flag')),
  department_code          text REFERENCES departments(code),
  -- First escalation (department head + supervisors) after sla_seconds, second (management) after escalate_seconds more.
  sla_seconds              integer NOT NULL CHECK (sla_seconds > 0),
  escalate_seconds         integer NOT NULL CHECK (escalate_seconds > 0),
  -- How long the patient has to rate the handling before the ticket closes as 未评价.
  rating_wait_seconds      integer NOT NULL CHECK (rating_wait_seconds > 0),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
-- Defaults from the hospital's practice. department_code NULL for red_flag: the follow-up's own department.
INSERT INTO feedback_routes (category, department_code, sla_seconds, escalate_seconds, rating_wait_seconds) VALUES
  ('service_attitude', NULL, 86400, 172800, 259200),
  ('medical_quality',  NULL, 86400, 172800, 259200),
  ('environment',      NULL, 86400, 172800, 259200),
  ('process',          NULL, 86400, 172800, 259200),
  ('red_flag',         NULL,  7200,  14400, 259200);

-- The problem taxonomy that reports rank (用药指导不清晰, 空调/设施损坏 …).
CREATE TABLE feedback_subtags (
  id        serial PRIMARY KEY,
  category  text NOT NULL,
  label     text NOT NULL,
  active    boolean NOT NULL DEFAULT true,
  UNIQUE (category, label)
);
INSERT INTO feedback_subtags (category, label) VALUES
  ('service_attitude', '态度冷淡'), ('service_attitude', '解释不耐心'),
  ('medical_quality', '用药指导不清晰'), ('medical_quality', '伤口护理讲解不够'), ('medical_quality', '病情告知不充分'),
  ('environment', '空调/设施损坏'), ('environment', '卫生不整洁'), ('environment', '噪音大'),
  ('process', '排队时间长'), ('process', '出院手续繁琐'), ('process', '缴费不便');

CREATE SEQUENCE ticket_number_seq;

CREATE TABLE tickets (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Human-facing number; the workflow ID is ticket-<number>.
  number             text NOT NULL UNIQUE,
  -- The step that opened it (feedback record, red-flag task …): a retry finds the same ticket.
  source_key         text NOT NULL UNIQUE,
  feedback_id        uuid REFERENCES feedback_records(id),
  source_task_id     uuid REFERENCES follow_up_tasks(id),
  patient_id         uuid NOT NULL REFERENCES patients(id),
  category           text NOT NULL,
  subtag             text,
  description        text NOT NULL,
  urgent             boolean NOT NULL DEFAULT false,
  department_code    text REFERENCES departments(code),
  status             text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'in_progress', 'resolved', 'closed')),
  received_at        timestamptz NOT NULL DEFAULT now(),
  -- The route's timings when the ticket was opened: a later change of the routing table
  -- applies to new tickets only.
  sla_seconds        integer NOT NULL,
  escalate_seconds   integer NOT NULL,
  rating_wait_seconds integer NOT NULL,
  sla_due_at         timestamptz NOT NULL,
  sla_breached       boolean NOT NULL DEFAULT false,
  escalation_level   integer NOT NULL DEFAULT 0,
  resolution         text,
  resolved_at        timestamptz,
  rating             integer CHECK (rating BETWEEN 1 AND 5),
  closed_at          timestamptz,
  closed_reason      text CHECK (closed_reason IN ('rated', 'no_rating')),
  reopen_count       integer NOT NULL DEFAULT 0,
  created_by         uuid REFERENCES users(id),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_department_idx ON tickets (department_code, status, sla_due_at);
CREATE INDEX tickets_created_by_idx ON tickets (created_by, received_at DESC);

-- Every step of a ticket (who, when, what): the timeline and the processing-rate reports.
CREATE TABLE ticket_events (
  id          bigserial PRIMARY KEY,
  ticket_id   uuid NOT NULL REFERENCES tickets(id),
  step        text NOT NULL,
  kind        text NOT NULL,
  actor_id    uuid REFERENCES users(id),
  at          timestamptz NOT NULL DEFAULT now(),
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (ticket_id, step)
);
CREATE INDEX ticket_events_ticket_idx ON ticket_events (ticket_id, at);

-- Messages to staff (department inbox, heads, supervisors, management), written by the workflows.
CREATE TABLE staff_notifications (
  id               bigserial PRIMARY KEY,
  dedupe_key       text NOT NULL UNIQUE,
  department_code  text REFERENCES departments(code),
  audience         text NOT NULL CHECK (audience IN ('department', 'dept_head', 'supervisors', 'management')),
  ticket_id        uuid REFERENCES tickets(id),
  body             text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  read_at          timestamptz
);

ALTER TABLE feedback_records ADD COLUMN subtag text;
ALTER TABLE feedback_records ADD COLUMN target_department_code text REFERENCES departments(code);
ALTER TABLE feedback_records ADD COLUMN target_reason text;

-- Down Migration
ALTER TABLE feedback_records DROP COLUMN target_reason, DROP COLUMN target_department_code, DROP COLUMN subtag;
DROP TABLE staff_notifications;
DROP TABLE ticket_events;
DROP TABLE tickets;
DROP SEQUENCE ticket_number_seq;
DROP TABLE feedback_subtags;
DROP TABLE feedback_routes;
