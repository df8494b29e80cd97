-- Up Migration

-- Go-live administration: what an administrator sets about staff and departments, and what the
-- sign-in rules need (等保 2.0: password change on first use, history, expiry, idle sessions).
ALTER TABLE users
  ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
  ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
  -- The agent's own line for click-to-call: a phone number or a PBX extension.
  ADD COLUMN phone text,
  ADD COLUMN extension text,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Hashes of earlier passwords, so a new one cannot be one of the last few.
CREATE TABLE password_history (
  id             bigserial PRIMARY KEY,
  user_id        uuid NOT NULL REFERENCES users(id),
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user_idx ON password_history (user_id, id DESC);

-- Idle timeout: a session not used for the configured minutes ends, whatever its absolute expiry.
ALTER TABLE sessions ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- A pilot starts with a few departments: discharges of a disabled one are stored, not followed up.
ALTER TABLE departments
  ADD COLUMN head_user_id uuid REFERENCES users(id),
  ADD COLUMN follow_up_enabled boolean NOT NULL DEFAULT true,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Down Migration
ALTER TABLE departments DROP COLUMN updated_at, DROP COLUMN follow_up_enabled, DROP COLUMN head_user_id;
DROP INDEX sessions_expires_idx;
ALTER TABLE sessions DROP COLUMN last_seen_at;
DROP TABLE password_history;
ALTER TABLE users DROP COLUMN updated_at, DROP COLUMN extension, DROP COLUMN phone,
  DROP COLUMN password_changed_at, DROP COLUMN must_change_password;
