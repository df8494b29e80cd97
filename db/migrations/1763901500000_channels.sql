-- Up Migration

-- Reaching the patient: what the outbox dispatcher needs to send each queued message once,
-- the contact rules it obeys, the patient's own replies and the survey links.

ALTER TABLE outbound_messages DROP CONSTRAINT outbound_messages_status_check;
ALTER TABLE outbound_messages ADD CONSTRAINT outbound_messages_status_check
  CHECK (status IN ('queued', 'sent', 'delivered', 'failed', 'cancelled', 'skipped'));
ALTER TABLE outbound_messages ADD COLUMN sent_channel text;
ALTER TABLE outbound_messages ADD COLUMN sent_at timestamptz;
ALTER TABLE outbound_messages ADD COLUMN finished_reason text;
-- Caps count what was sent to a patient in the last day / week.
CREATE INDEX outbound_messages_patient_sent_idx ON outbound_messages (patient_id, sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbound_messages_patient_queued_idx ON outbound_messages (patient_id) WHERE status = 'queued';

-- One row per hand-over to a provider. The key (message + try number) is written before the
-- provider is called, so a retried activity finds it and never sends the same try twice.
CREATE TABLE message_deliveries (
  delivery_key         text PRIMARY KEY,
  message_id           uuid REFERENCES outbound_messages(id),
  notification_id      bigint,
  channel              text NOT NULL CHECK (channel IN ('sms', 'wechat')),
  provider             text NOT NULL,
  to_address           text NOT NULL,
  provider_message_id  text,
  status               text NOT NULL DEFAULT 'sending'
                       CHECK (status IN ('sending', 'sent', 'delivered', 'failed', 'unknown')),
  error                text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX message_deliveries_provider_id_key ON message_deliveries (provider, provider_message_id);
CREATE INDEX message_deliveries_message_idx ON message_deliveries (message_id);

-- Opt-out belongs to the patient (every encounter, every channel) until they opt in again.
ALTER TABLE patients ADD COLUMN opted_out_at timestamptz;
ALTER TABLE patients ADD COLUMN opted_out_via text;
ALTER TABLE patients ADD COLUMN wechat_openid text UNIQUE;
ALTER TABLE patients ADD COLUMN wechat_bound_at timestamptz;

-- Parametrised QR codes: the scene in a code shown at discharge binds the scanner's openid.
CREATE TABLE wechat_bind_scenes (
  scene       text PRIMARY KEY,
  patient_id  uuid NOT NULL REFERENCES patients(id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  bound_at    timestamptz
);

-- What patients sent us (SMS replies, WeChat text), kept whatever it was taken for.
CREATE TABLE patient_inbound_messages (
  id                   bigserial PRIMARY KEY,
  provider             text NOT NULL,
  provider_message_id  text NOT NULL,
  patient_id           uuid REFERENCES patients(id),
  from_address         text NOT NULL,
  body                 text NOT NULL,
  handled_as           text NOT NULL CHECK (handled_as IN ('answer', 'rating', 'opt_out', 'opt_in', 'message', 'unknown_sender')),
  task_id              uuid REFERENCES follow_up_tasks(id),
  ticket_id            uuid REFERENCES tickets(id),
  received_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_message_id)
);
CREATE INDEX patient_inbound_messages_patient_idx ON patient_inbound_messages (patient_id, received_at DESC);

-- Provider callbacks already taken (providers retry): one effect per provider event.
CREATE TABLE webhook_receipts (
  provider     text NOT NULL,
  event_id     text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Survey and rating links: only a hash of the token is stored.
CREATE TABLE survey_links (
  token_hash  text PRIMARY KEY,
  message_id  uuid NOT NULL UNIQUE REFERENCES outbound_messages(id),
  task_id     uuid REFERENCES follow_up_tasks(id),
  ticket_id   uuid REFERENCES tickets(id),
  expires_at  timestamptz NOT NULL,
  opened_at   timestamptz,
  used_at     timestamptz,
  CHECK ((task_id IS NULL) <> (ticket_id IS NULL))
);
CREATE INDEX survey_links_task_idx ON survey_links (task_id);

-- Contact rules as data: one hospital-wide row (department_code NULL) and optional department rows.
CREATE TABLE contact_rules (
  id                        serial PRIMARY KEY,
  department_code           text UNIQUE REFERENCES departments(code),
  quiet_start               time NOT NULL DEFAULT '21:00',
  quiet_end                 time NOT NULL DEFAULT '08:00',
  max_per_day               integer NOT NULL DEFAULT 1 CHECK (max_per_day > 0),
  max_per_week              integer NOT NULL DEFAULT 3 CHECK (max_per_week > 0),
  -- Patients this old or older get a call instead of an SMS link.
  sms_max_age               integer NOT NULL DEFAULT 60,
  link_unanswered_seconds   integer NOT NULL DEFAULT 172800 CHECK (link_unanswered_seconds > 0),
  -- How long a sent message may stay without a final delivery report before it counts as delivered.
  delivery_wait_seconds     integer NOT NULL DEFAULT 600 CHECK (delivery_wait_seconds > 0),
  survey_link_ttl_seconds   integer NOT NULL DEFAULT 604800 CHECK (survey_link_ttl_seconds > 0),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contact_rules_default_key ON contact_rules ((department_code IS NULL)) WHERE department_code IS NULL;
INSERT INTO contact_rules (department_code) VALUES (NULL);

-- Staff reached by WeChat where configured (their phone comes with user administration, 1763901600000);
-- red-flag alerts are acknowledged in the portal.
ALTER TABLE users ADD COLUMN wechat_openid text;
ALTER TABLE staff_notifications ADD COLUMN dispatched_at timestamptz;

-- Down Migration
ALTER TABLE staff_notifications DROP COLUMN dispatched_at;
ALTER TABLE users DROP COLUMN wechat_openid;
DROP TABLE contact_rules;
DROP TABLE survey_links;
DROP TABLE webhook_receipts;
DROP TABLE patient_inbound_messages;
DROP TABLE wechat_bind_scenes;
ALTER TABLE patients DROP COLUMN wechat_bound_at, DROP COLUMN wechat_openid, DROP COLUMN opted_out_via, DROP COLUMN opted_out_at;
DROP TABLE message_deliveries;
DROP INDEX outbound_messages_patient_queued_idx;
DROP INDEX outbound_messages_patient_sent_idx;
ALTER TABLE outbound_messages DROP COLUMN finished_reason, DROP COLUMN sent_at, DROP COLUMN sent_channel;
ALTER TABLE outbound_messages DROP CONSTRAINT outbound_messages_status_check;
ALTER TABLE outbound_messages ADD CONSTRAINT outbound_messages_status_check CHECK (status IN ('queued', 'sent', 'failed'));
