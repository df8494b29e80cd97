-- Up Migration

-- Clinical departments own patients and question templates; functional ones (护理部, 医务科 …) own tickets.
CREATE TABLE departments (
  code        text PRIMARY KEY,
  name        text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('clinical', 'functional')),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username         text NOT NULL,
  display_name     text NOT NULL,
  role             text NOT NULL CHECK (role IN ('agent', 'dept_head', 'dept_staff', 'manager', 'admin')),
  department_code  text REFERENCES departments(code),
  password_hash    text NOT NULL,
  failed_logins    integer NOT NULL DEFAULT 0,
  locked_until     timestamptz,
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  -- Agents and department staff always belong to a department.
  CHECK (role IN ('manager', 'admin') OR department_code IS NOT NULL)
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Only a hash of the session token is stored, so a database read does not yield usable cookies.
CREATE TABLE sessions (
  token_hash  text PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  ip          text,
  user_agent  text
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE patients (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  his_patient_id  text NOT NULL UNIQUE,
  name            text NOT NULL,
  sex             text CHECK (sex IN ('M', 'F', 'O', 'U')),
  birth_date      date,
  phone           text,
  address         text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per HIS encounter (discharge). department_code is the HIS code as sent: an unknown
-- code is kept, not rejected, so no discharge is ever dropped.
CREATE TABLE encounters (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  his_encounter_id  text NOT NULL UNIQUE,
  patient_id        uuid NOT NULL REFERENCES patients(id),
  department_code   text NOT NULL,
  diagnosis_code    text,
  diagnosis_name    text,
  procedure_name    text,
  attending_doctor  text,
  discharged_at     timestamptz NOT NULL,
  workflow_id       text NOT NULL UNIQUE,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX encounters_department_idx ON encounters (department_code, discharged_at DESC);
CREATE INDEX encounters_patient_idx ON encounters (patient_id);

-- Every inbound HIS message, whatever its route, lands here first and is never deleted.
CREATE TABLE inbound_messages (
  id                bigserial PRIMARY KEY,
  source            text NOT NULL CHECK (source IN ('json', 'hl7', 'fhir')),
  received_at       timestamptz NOT NULL DEFAULT now(),
  raw               text NOT NULL,
  outcome           text NOT NULL DEFAULT 'received' CHECK (outcome IN ('received', 'accepted', 'duplicate', 'rejected')),
  error             text,
  his_encounter_id  text
);
CREATE INDEX inbound_messages_received_idx ON inbound_messages (received_at DESC);

-- Projection of what follow-up workflows did, written by idempotent activities (workflow ID + step).
CREATE TABLE follow_up_events (
  id           bigserial PRIMARY KEY,
  workflow_id  text NOT NULL,
  step         text NOT NULL,
  kind         text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  details      jsonb NOT NULL DEFAULT '{}'::jsonb,
  UNIQUE (workflow_id, step)
);

-- Who looked at or changed what, from where. Append-only by convention now; enforced by grants later.
CREATE TABLE audit_log (
  id              bigserial PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  actor_id        uuid,
  actor_username  text,
  actor_role      text,
  action          text NOT NULL,
  entity_type     text,
  entity_id       text,
  patient_id      uuid,
  ip              text,
  user_agent      text,
  details         jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, at DESC);
CREATE INDEX audit_log_patient_idx ON audit_log (patient_id, at DESC);

-- Down Migration
DROP TABLE audit_log;
DROP TABLE follow_up_events;
DROP TABLE inbound_messages;
DROP TABLE encounters;
DROP TABLE patients;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE departments;
