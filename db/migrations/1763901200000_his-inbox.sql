-- Up Migration
-- The HIS inbox keeps what came in exactly (raw_bytes: the bytes as received, when they were not
-- UTF-8 text; charset: how they were decoded), what it meant (summary: the mapped events, no
-- names or phones), and how processing went (attempts, processed_at, note). A message still
-- 'received' has not been processed: the inbox reconciler takes it up again.
ALTER TABLE inbound_messages
  ADD COLUMN raw_bytes bytea,
  ADD COLUMN charset text,
  ADD COLUMN summary jsonb,
  ADD COLUMN note text,
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN processed_at timestamptz;
ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_outcome_check;
-- 'ignored': understood, acknowledged, and of no use here (e.g. ADT^A17 bed swap).
ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_outcome_check
  CHECK (outcome IN ('received', 'accepted', 'duplicate', 'rejected', 'ignored'));
CREATE INDEX inbound_messages_pending_idx ON inbound_messages (received_at) WHERE outcome = 'received';
CREATE INDEX inbound_messages_outcome_idx ON inbound_messages (outcome, source, received_at DESC);

-- Why nobody is contacted about this discharge (e.g. it ended before its plan's last touchpoint
-- plus the late-follow-up window): the encounter is stored and shown, no follow-up starts.
ALTER TABLE encounters ADD COLUMN follow_up_skipped text;

-- Down Migration
ALTER TABLE encounters DROP COLUMN follow_up_skipped;
DROP INDEX inbound_messages_outcome_idx;
DROP INDEX inbound_messages_pending_idx;
ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_outcome_check;
ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_outcome_check
  CHECK (outcome IN ('received', 'accepted', 'duplicate', 'rejected'));
ALTER TABLE inbound_messages
  DROP COLUMN processed_at, DROP COLUMN attempts, DROP COLUMN note, DROP COLUMN summary,
  DROP COLUMN charset, DROP COLUMN raw_bytes;
