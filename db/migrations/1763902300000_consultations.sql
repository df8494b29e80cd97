-- Up Migration
-- Consultation records (接诊记录) from the clinic page: calling a number starts a consultation, the
-- next call ends it; a called patient who is not there is marked passed (过号). The nightly quota
-- plan reads them: per expert and slot, the mean consultation time and the mean number seen.

CREATE TABLE consultations (
  id          bigserial PRIMARY KEY,
  session_id  uuid NOT NULL REFERENCES clinic_sessions(id) ON DELETE CASCADE,
  number      text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('appointment', 'walk_in')),
  started_at  timestamptz NOT NULL,
  ended_at    timestamptz,
  outcome     text NOT NULL DEFAULT 'in_progress' CHECK (outcome IN ('in_progress', 'seen', 'passed')),
  CHECK (ended_at IS NULL OR ended_at >= started_at),
  CHECK ((outcome = 'in_progress') = (ended_at IS NULL))
);
-- At most one patient in the room per session.
CREATE UNIQUE INDEX consultations_in_progress_key ON consultations (session_id) WHERE outcome = 'in_progress';
CREATE INDEX consultations_session_idx ON consultations (session_id, started_at);

-- A called appointment patient who was not there: back in the queue when they arrive (过号优先).
ALTER TABLE appointments ADD COLUMN passed_at timestamptz;
-- Walk-ins can be passed too.
ALTER TABLE walk_in_registrations DROP CONSTRAINT walk_in_registrations_status_check;
ALTER TABLE walk_in_registrations ADD CONSTRAINT walk_in_registrations_status_check CHECK (status IN ('waiting', 'called', 'seen', 'passed'));

-- The capacity rule of the nightly plan, as data (one row).
CREATE TABLE quota_capacity_settings (
  id                        boolean PRIMARY KEY DEFAULT true CHECK (id),
  -- Mean seen below this share of slot minutes ÷ mean consultation time → the expert starts late:
  -- the observed mean is the slot's capacity.
  late_start_ratio          numeric NOT NULL DEFAULT 0.6 CHECK (late_start_ratio > 0 AND late_start_ratio <= 1),
  -- Minutes per consultation for an expert with no recorded consultations.
  fallback_consult_minutes  numeric NOT NULL DEFAULT 10 CHECK (fallback_consult_minutes > 0),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
INSERT INTO quota_capacity_settings (id) VALUES (true);

-- Down Migration
DROP TABLE quota_capacity_settings;
ALTER TABLE walk_in_registrations DROP CONSTRAINT walk_in_registrations_status_check;
ALTER TABLE walk_in_registrations ADD CONSTRAINT walk_in_registrations_status_check CHECK (status IN ('waiting', 'called', 'seen'));
ALTER TABLE appointments DROP COLUMN passed_at;
DROP TABLE consultations;
