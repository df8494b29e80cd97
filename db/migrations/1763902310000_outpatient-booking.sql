-- Up Migration
-- Outpatient booking by the patient (/book, REST): a number is held while the patient pays
-- (pending_payment until paid, released when the hold ends unpaid), payments and refunds through
-- the payment adapter (WeChat Pay v3), and SMS codes that verify the patient's mobile.

ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check
  CHECK (status IN ('pending_payment', 'booked', 'cancelled', 'checked_in', 'seen', 'no_show'));
ALTER TABLE appointments
  ADD COLUMN hold_expires_at timestamptz,
  ADD COLUMN paid_at timestamptz,
  ADD COLUMN refunded_at timestamptz;

-- The prepayment of one session's appointment (yuan × 100).
ALTER TABLE clinic_sessions ADD COLUMN prepay_fen int NOT NULL DEFAULT 5000 CHECK (prepay_fen >= 0);

CREATE TABLE payment_orders (
  out_trade_no     text PRIMARY KEY,
  appointment_id   uuid NOT NULL REFERENCES appointments(id),
  provider         text NOT NULL,
  amount_fen       int NOT NULL CHECK (amount_fen >= 0),
  status           text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'paid', 'refunded')),
  pay_url          text,
  transaction_id   text,
  notification_id  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  paid_at          timestamptz,
  out_refund_no    text UNIQUE,
  refund_id        text,
  refunded_at      timestamptz
);
CREATE INDEX payment_orders_appointment_idx ON payment_orders (appointment_id);

-- One-time codes sent to a mobile (only a hash is kept).
CREATE TABLE sms_codes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  phone       text NOT NULL,
  code_hash   text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  attempts    int NOT NULL DEFAULT 0,
  used_at     timestamptz
);
CREATE INDEX sms_codes_phone_idx ON sms_codes (phone, created_at DESC);
CREATE INDEX patients_id_number_idx ON patients (id_number);

-- Down Migration
DROP INDEX patients_id_number_idx;
DROP TABLE sms_codes;
DROP TABLE payment_orders;
ALTER TABLE clinic_sessions DROP COLUMN prepay_fen;
ALTER TABLE appointments DROP COLUMN refunded_at, DROP COLUMN paid_at, DROP COLUMN hold_expires_at;
ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments ADD CONSTRAINT appointments_status_check CHECK (status IN ('booked', 'cancelled', 'checked_in', 'seen', 'no_show'));
