-- Up Migration
-- Set when the HIS reports the patient deceased (discharge disposition "expired"): no follow-up is started after that.
ALTER TABLE patients ADD COLUMN deceased_at timestamptz;

-- Down Migration
ALTER TABLE patients DROP COLUMN deceased_at;
