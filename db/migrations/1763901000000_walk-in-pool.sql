-- Up Migration
-- All numbers of a session (appointment + walk-in). Walk-ins get what the appointment quotas leave;
-- once walk-in registration opens, appointment numbers nobody booked (or that were released) join them.
ALTER TABLE clinic_sessions ADD COLUMN total_numbers integer NOT NULL DEFAULT 30 CHECK (total_numbers > 0);

-- Down Migration
ALTER TABLE clinic_sessions DROP COLUMN total_numbers;
