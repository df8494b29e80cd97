-- Up Migration

-- The HIS department code as sent is kept in his_department_code; department_code is what it
-- maps to (NULL = 未分配科室 until an admin maps the code).
ALTER TABLE encounters RENAME COLUMN department_code TO his_department_code;
ALTER TABLE encounters ADD COLUMN department_code text REFERENCES departments(code);
UPDATE encounters e SET department_code = d.code FROM departments d WHERE d.code = e.his_department_code;
CREATE INDEX encounters_resolved_department_idx ON encounters (department_code, discharged_at DESC);
ALTER TABLE encounters ADD COLUMN status text NOT NULL DEFAULT 'discharged'
  CHECK (status IN ('admitted', 'discharged', 'discharge_cancelled', 'admission_cancelled'));
ALTER TABLE encounters ALTER COLUMN discharged_at DROP NOT NULL;
ALTER TABLE encounters ADD COLUMN admitted_at timestamptz;
ALTER TABLE encounters ADD COLUMN nurse text;
ALTER TABLE encounters ADD COLUMN ward text;

-- HIS codes (PV1-3 point of care, PV1-10 hospital service, FHIR serviceProvider …) → department.
CREATE TABLE department_mappings (
  his_code         text PRIMARY KEY,
  department_code  text NOT NULL REFERENCES departments(code),
  note             text,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Question templates are versioned: a follow-up keeps the version it was planned with.
CREATE TABLE question_templates (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code             text NOT NULL,
  version          integer NOT NULL,
  department_code  text REFERENCES departments(code),
  name             text NOT NULL,
  -- [{id, text, type: rating|yes_no|choice|text, options?, redFlag?: {op, value}}], at most 5
  questions        jsonb NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  created_by       uuid REFERENCES users(id),
  UNIQUE (code, version)
);

-- Department (+ optional scenario) → touchpoints. Data, edited in the admin portal.
-- department_code NULL is the hospital-wide default, used where a department has no rule of its
-- own and for discharges whose HIS department is not mapped yet.
CREATE TABLE follow_up_rules (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  department_code  text REFERENCES departments(code),
  name             text NOT NULL,
  scenario_kind    text CHECK (scenario_kind IN ('diagnosis_prefix', 'procedure_keyword')),
  scenario_value   text,
  -- Greeting with care instructions sent on discharge day (next morning after an evening discharge).
  greeting_text    text NOT NULL,
  -- [{offsetDays | offsetSeconds, templateCode, channel, maxAttempts, retryAfterSeconds}]
  touchpoints      jsonb NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((scenario_kind IS NULL) = (scenario_value IS NULL))
);
CREATE INDEX follow_up_rules_department_idx ON follow_up_rules (department_code) WHERE active;

-- One task per touchpoint of a follow-up workflow (workflow ID + touchpoint index = idempotency key).
CREATE TABLE follow_up_tasks (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id        text NOT NULL,
  touchpoint_index   integer NOT NULL,
  encounter_id       uuid NOT NULL REFERENCES encounters(id),
  patient_id         uuid NOT NULL REFERENCES patients(id),
  department_code    text REFERENCES departments(code),
  assigned_agent_id  uuid REFERENCES users(id),
  template_id        uuid NOT NULL REFERENCES question_templates(id),
  channel            text NOT NULL,
  due_at             timestamptz NOT NULL,
  status             text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'completed', 'unreachable', 'refused', 'cancelled')),
  attempts           integer NOT NULL DEFAULT 0,
  max_attempts       integer NOT NULL,
  urgent             boolean NOT NULL DEFAULT false,
  last_outcome       text,
  completed_at       timestamptz,
  completed_by       uuid REFERENCES users(id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, touchpoint_index)
);
CREATE INDEX follow_up_tasks_agent_queue_idx ON follow_up_tasks (assigned_agent_id, urgent DESC, due_at) WHERE status = 'open';
CREATE INDEX follow_up_tasks_department_queue_idx ON follow_up_tasks (department_code, urgent DESC, due_at) WHERE status = 'open';
CREATE INDEX follow_up_tasks_encounter_idx ON follow_up_tasks (encounter_id);

-- Each contact attempt (call outcome or survey reply), keyed by task + attempt number.
CREATE TABLE task_attempts (
  task_id     uuid NOT NULL REFERENCES follow_up_tasks(id),
  attempt     integer NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('completed', 'no_answer', 'wrong_number', 'refused')),
  by_user     uuid REFERENCES users(id),
  by_patient  boolean NOT NULL DEFAULT false,
  note        text,
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, attempt)
);

CREATE TABLE task_answers (
  task_id      uuid NOT NULL REFERENCES follow_up_tasks(id),
  question_id  text NOT NULL,
  value        jsonb NOT NULL,
  red_flag     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (task_id, question_id)
);

-- Complaints and suggestions recorded during a follow-up, ready for the ticket workflow.
CREATE TABLE feedback_records (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  task_id                 uuid REFERENCES follow_up_tasks(id),
  encounter_id            uuid REFERENCES encounters(id),
  patient_id              uuid NOT NULL REFERENCES patients(id),
  category                text NOT NULL CHECK (category IN ('service_attitude', 'medical_quality', 'environment', 'process')),
  description             text NOT NULL,
  created_by              uuid REFERENCES users(id),
  created_at              timestamptz NOT NULL DEFAULT now(),
  -- Idempotency key of the step that wrote it (task id + attempt), so a retry adds nothing.
  source_key              text UNIQUE
);

-- Red-flag alerts raised to a department the moment an answer is recorded.
CREATE TABLE alerts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id      text NOT NULL,
  step             text NOT NULL,
  task_id          uuid REFERENCES follow_up_tasks(id),
  department_code  text REFERENCES departments(code),
  kind             text NOT NULL,
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  acknowledged_at  timestamptz,
  acknowledged_by  uuid REFERENCES users(id),
  UNIQUE (workflow_id, step)
);
CREATE INDEX alerts_department_idx ON alerts (department_code, created_at DESC);

-- Messages to patients (greetings, survey links), queued here for the channel adapters.
CREATE TABLE outbound_messages (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workflow_id  text NOT NULL,
  step         text NOT NULL,
  patient_id   uuid NOT NULL REFERENCES patients(id),
  channel      text NOT NULL,
  body         text NOT NULL,
  status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workflow_id, step)
);

-- Down Migration
DROP TABLE outbound_messages;
DROP TABLE alerts;
DROP TABLE feedback_records;
DROP TABLE task_answers;
DROP TABLE task_attempts;
DROP TABLE follow_up_tasks;
DROP TABLE follow_up_rules;
DROP TABLE question_templates;
DROP TABLE department_mappings;
ALTER TABLE encounters DROP COLUMN ward, DROP COLUMN nurse, DROP COLUMN admitted_at, DROP COLUMN status, DROP COLUMN department_code;
ALTER TABLE encounters ALTER COLUMN discharged_at SET NOT NULL;
ALTER TABLE encounters RENAME COLUMN his_department_code TO department_code;
