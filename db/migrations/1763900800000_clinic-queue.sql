-- Up Migration
-- Live queue of a clinic session (叫号): walk-in registrations, call/seen marks on appointments,
-- and the calls made (the latest is the number being seen).

-- Short code (4–6 characters) that, with the number, opens the patient's queue page without sign-in.
-- Generated for every row (existing and new) so the booking path need not know about it.
ALTER TABLE appointments
  ADD COLUMN IF NOT EXISTS short_code text NOT NULL DEFAULT upper(substr(md5(gen_random_uuid()::text), 1, 6))
    CHECK (short_code ~ '^[A-Z0-9]{4,6}$'),
  ADD COLUMN IF NOT EXISTS called_at timestamptz,
  ADD COLUMN IF NOT EXISTS seen_at timestamptz;

CREATE TABLE walk_in_registrations (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  session_id     uuid NOT NULL REFERENCES clinic_sessions(id) ON DELETE CASCADE,
  number         text NOT NULL UNIQUE,
  short_code     text NOT NULL DEFAULT upper(substr(md5(gen_random_uuid()::text), 1, 6)) CHECK (short_code ~ '^[A-Z0-9]{4,6}$'),
  registered_at  timestamptz NOT NULL DEFAULT now(),
  status         text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'called', 'seen')),
  called_at      timestamptz,
  seen_at        timestamptz
);
CREATE INDEX walk_in_registrations_session_idx ON walk_in_registrations (session_id, registered_at);

CREATE TABLE clinic_calls (
  id             bigserial PRIMARY KEY,
  session_id     uuid NOT NULL REFERENCES clinic_sessions(id) ON DELETE CASCADE,
  called_number  text NOT NULL,
  called_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clinic_calls_session_idx ON clinic_calls (session_id, id DESC);

-- Down Migration
DROP TABLE clinic_calls;
DROP TABLE walk_in_registrations;
ALTER TABLE appointments DROP COLUMN seen_at, DROP COLUMN called_at, DROP COLUMN short_code;
