-- Up Migration
-- The patient's identity-document number (身份证号, passport), kept apart from the 病案号 (his_patient_id):
-- HIS send both in PID-3 / Patient.identifier; pages show it masked only.
ALTER TABLE patients ADD COLUMN id_number text;

-- Down Migration
ALTER TABLE patients DROP COLUMN id_number;
