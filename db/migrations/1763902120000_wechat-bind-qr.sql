-- Up Migration

-- A binding QR code printed for a discharge stays valid for its WeChat lifetime (up to 30 days):
-- printing the page again shows the same code instead of asking WeChat for a new one each time.
ALTER TABLE wechat_bind_scenes ADD COLUMN qr_url text;
ALTER TABLE wechat_bind_scenes ADD COLUMN expires_at timestamptz;
CREATE INDEX wechat_bind_scenes_patient_idx ON wechat_bind_scenes (patient_id, expires_at DESC);

-- Down Migration
DROP INDEX wechat_bind_scenes_patient_idx;
ALTER TABLE wechat_bind_scenes DROP COLUMN expires_at, DROP COLUMN qr_url;
