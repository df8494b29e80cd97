-- Up Migration

-- Staff notifications (SLA escalations, unworked-task escalations, red-flag alerts) reach each
-- recipient by WeChat or SMS where they have an openid / phone and have not turned it off, through
-- the same adapters and delivery records (message_deliveries) as patient messages, one
-- staffMessageWorkflow per recipient (ID staff-message-<id>). The portal list stays the record.
CREATE TABLE staff_messages (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  notification_id  bigint REFERENCES staff_notifications(id),
  alert_id         uuid REFERENCES alerts(id),
  user_id          uuid NOT NULL REFERENCES users(id),
  -- Red-flag alerts: sent through the quiet hours (a patient may be in danger).
  urgent           boolean NOT NULL DEFAULT false,
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'delivered', 'skipped', 'failed')),
  sent_channel     text,
  finished_reason  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  CHECK ((notification_id IS NULL) <> (alert_id IS NULL)),
  UNIQUE (notification_id, user_id),
  UNIQUE (alert_id, user_id)
);
CREATE INDEX staff_messages_user_idx ON staff_messages (user_id, created_at DESC);

ALTER TABLE message_deliveries ADD COLUMN staff_message_id uuid REFERENCES staff_messages(id);
CREATE INDEX message_deliveries_staff_idx ON message_deliveries (staff_message_id) WHERE staff_message_id IS NOT NULL;

-- Each staff member decides whether notifications also come to the phone (portal always).
ALTER TABLE users ADD COLUMN notify_sms boolean NOT NULL DEFAULT true;
ALTER TABLE users ADD COLUMN notify_wechat boolean NOT NULL DEFAULT true;

-- Down Migration
ALTER TABLE users DROP COLUMN notify_wechat, DROP COLUMN notify_sms;
DROP INDEX message_deliveries_staff_idx;
ALTER TABLE message_deliveries DROP COLUMN staff_message_id;
DROP TABLE staff_messages;
