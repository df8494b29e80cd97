-- Up Migration
-- Outpatient appointments (分时段预约) with automatic no-show control (爽约管理).

CREATE TABLE clinic_sessions (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  expert_name            text NOT NULL,
  department_code        text NOT NULL REFERENCES departments(code),
  session_date           date NOT NULL,
  registration_opens_at  timestamptz NOT NULL,
  starts_at              timestamptz NOT NULL,
  ends_at                timestamptz NOT NULL,
  slot_minutes           int NOT NULL DEFAULT 60 CHECK (slot_minutes > 0),
  -- Minutes after slot start that still count as on time (clinic-queue rules); data, so tests can use 0.
  grace_minutes          int NOT NULL DEFAULT 30 CHECK (grace_minutes >= 0),
  created_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (registration_opens_at <= ends_at AND starts_at < ends_at)
);

CREATE TABLE clinic_slots (
  session_id         uuid NOT NULL REFERENCES clinic_sessions(id) ON DELETE CASCADE,
  slot_index         int NOT NULL CHECK (slot_index >= 0),
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL,
  appointment_quota  int NOT NULL CHECK (appointment_quota >= 0),
  booked             int NOT NULL DEFAULT 0 CHECK (booked >= 0),
  UNIQUE (session_id, slot_index),
  CHECK (booked <= appointment_quota)
);

CREATE TABLE appointments (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number          text NOT NULL UNIQUE,
  session_id      uuid NOT NULL REFERENCES clinic_sessions(id),
  slot_index      int NOT NULL,
  patient_id      uuid NOT NULL REFERENCES patients(id),
  status          text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'checked_in', 'seen', 'no_show')),
  prepaid         boolean NOT NULL DEFAULT false,
  prepayment_ref  text,
  booked_at       timestamptz NOT NULL DEFAULT now(),
  cancelled_at    timestamptz,
  cancel_reason   text,
  checked_in_at   timestamptz,
  -- on_time | late | after_slot_end (clinic-queue rules at check-in)
  arrival         text CHECK (arrival IN ('on_time', 'late', 'after_slot_end')),
  queue_note      text,
  no_show_at      timestamptz,
  workflow_id     text NOT NULL UNIQUE,
  FOREIGN KEY (session_id, slot_index) REFERENCES clinic_slots(session_id, slot_index)
);
CREATE INDEX appointments_patient_idx ON appointments (patient_id, booked_at DESC);
CREATE INDEX appointments_session_idx ON appointments (session_id, slot_index);

-- Projection of each patient's no-show ledger workflow (noshow-<patient>).
CREATE TABLE noshow_ledger (
  patient_id         uuid PRIMARY KEY REFERENCES patients(id),
  no_shows           jsonb NOT NULL DEFAULT '[]',
  blacklisted_until  timestamptz,
  blacklist_count    int NOT NULL DEFAULT 0,
  lifted_at          timestamptz,
  lifted_by          uuid,
  lift_reason        text,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX noshow_ledger_blacklisted_idx ON noshow_ledger (blacklisted_until) WHERE blacklisted_until IS NOT NULL;

-- One row: the no-show rule (threshold no-shows within the window → blacklisted for the period).
CREATE TABLE noshow_settings (
  id                 boolean PRIMARY KEY DEFAULT true CHECK (id),
  threshold          int NOT NULL DEFAULT 3 CHECK (threshold > 0),
  window_seconds     int NOT NULL DEFAULT 7776000 CHECK (window_seconds > 0),
  blacklist_seconds  int NOT NULL DEFAULT 7776000 CHECK (blacklist_seconds > 0),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
INSERT INTO noshow_settings (id) VALUES (true);

-- Down Migration
DROP TABLE noshow_settings;
DROP TABLE noshow_ledger;
DROP TABLE appointments;
DROP TABLE clinic_slots;
DROP TABLE clinic_sessions;
