-- Up Migration

-- Outpatient set-up (出诊安排): experts, their weekly clinic sessions, and the dates a session does not
-- run. The nightly quota planning creates each upcoming dated session (clinic_sessions) from these
-- and skips the closed dates.
CREATE TABLE experts (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name             text NOT NULL,
  department_code  text NOT NULL REFERENCES departments(code),
  -- 主任医师, 副主任医师 …
  title            text NOT NULL,
  active           boolean NOT NULL DEFAULT true,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (department_code, name)
);

CREATE TABLE clinic_schedules (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  expert_id              uuid NOT NULL REFERENCES experts(id),
  -- ISO weekday: 1 = Monday … 7 = Sunday; am = 上午, pm = 下午.
  weekday                int NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  half_day               text NOT NULL CHECK (half_day IN ('am', 'pm')),
  starts_at              time NOT NULL,
  ends_at                time NOT NULL,
  registration_opens_at  time NOT NULL,
  slot_minutes           int NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
  total_numbers          int NOT NULL CHECK (total_numbers > 0),
  -- Of the total, how many may be booked ahead; the nightly plan spreads them over the slots.
  appointment_numbers    int NOT NULL CHECK (appointment_numbers >= 0),
  active                 boolean NOT NULL DEFAULT true,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (starts_at < ends_at AND registration_opens_at <= starts_at AND appointment_numbers <= total_numbers),
  UNIQUE (expert_id, weekday, half_day)
);

-- Holidays, leave: the session does not run on that date.
CREATE TABLE clinic_closures (
  schedule_id  uuid NOT NULL REFERENCES clinic_schedules(id),
  closed_on    date NOT NULL,
  reason       text NOT NULL,
  created_by   uuid REFERENCES users(id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schedule_id, closed_on)
);

ALTER TABLE clinic_sessions ADD COLUMN schedule_id uuid REFERENCES clinic_schedules(id);
CREATE UNIQUE INDEX clinic_sessions_schedule_date_key ON clinic_sessions (schedule_id, session_date);

-- Down Migration
DROP INDEX clinic_sessions_schedule_date_key;
ALTER TABLE clinic_sessions DROP COLUMN schedule_id;
DROP TABLE clinic_closures;
DROP TABLE clinic_schedules;
DROP TABLE experts;
