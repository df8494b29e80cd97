-- Up Migration
-- Appointment quota planning (分时段预约号源测算): the nightly computed plan per upcoming clinic
-- session, and an administrator's override of it. `clinic_slots.appointment_quota` stays the
-- effective quota that booking reads; this table records where it came from.

CREATE TABLE quota_plans (
  session_id          uuid PRIMARY KEY REFERENCES clinic_sessions(id) ON DELETE CASCADE,
  -- Per slot, in slot order: {slotIndex, walkIns, capacity, quota, basis}; null until first computed
  -- (an override may be stored before any computation).
  computed            jsonb,
  computed_at         timestamptz,
  weeks_of_history    int CHECK (weeks_of_history > 0),
  -- The session's appointment numbers the plan distributes (fixed at the first computation so that
  -- raising a quota to the booked count never makes the total creep up night after night).
  total_appointments  int CHECK (total_appointments >= 0),
  -- Per-slot quotas set by an administrator (array of ints, slot order); null = the computed plan applies.
  override            jsonb,
  overridden_by       uuid,
  override_reason     text,
  overridden_at       timestamptz,
  CHECK (override IS NULL OR (overridden_by IS NOT NULL AND override_reason IS NOT NULL AND overridden_at IS NOT NULL))
);

-- Down Migration
DROP TABLE quota_plans;
