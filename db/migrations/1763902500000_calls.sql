-- Up Migration
-- Telephony (issue 16): click-to-call through Twilio Voice (agent's phone first, then the patient)
-- and the automated keypress survey (IVR). One row per call; the patient's number is never stored
-- here (it is read from the patient when the call's TwiML is built).

-- The agent's own phone or extension (E.164 number or sip: URI) that rings first.
ALTER TABLE users ADD COLUMN call_phone text;

CREATE TABLE calls (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind                        text NOT NULL CHECK (kind IN ('agent', 'ivr')),
  task_id                     uuid REFERENCES follow_up_tasks(id),
  ticket_id                   uuid REFERENCES tickets(id),
  patient_id                  uuid NOT NULL REFERENCES patients(id),
  agent_id                    uuid REFERENCES users(id),
  -- The first leg's CallSid (the agent's phone, or the patient for an IVR call) and the patient's leg (<Dial><Number>).
  provider_call_sid           text UNIQUE,
  patient_call_sid            text UNIQUE,
  status                      text NOT NULL DEFAULT 'queued',
  -- answered | no_answer | busy | failed | agent_unreachable: set once, by the first callback that settles it.
  outcome                     text,
  duration_seconds            integer,
  recording_sid               text UNIQUE,
  recording_duration_seconds  integer,
  recording_path              text,
  recording_bytes             integer,
  recorded_at                 timestamptz,
  recording_deleted_at        timestamptz,
  -- IVR: the key pressed, and how often the question was read.
  ivr_digits                  text,
  ivr_prompts                 integer NOT NULL DEFAULT 0,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  CHECK (task_id IS NOT NULL OR ticket_id IS NOT NULL)
);
CREATE INDEX calls_task_idx ON calls (task_id, created_at);
CREATE INDEX calls_ticket_idx ON calls (ticket_id, created_at);
CREATE INDEX calls_recorded_idx ON calls (recorded_at) WHERE recording_path IS NOT NULL AND recording_deleted_at IS NULL;

-- Down Migration
DROP TABLE calls;
ALTER TABLE users DROP COLUMN call_phone;
