-- Up Migration

-- The room and bed the patient was discharged from (HL7 PV1-3.2 / PV1-3.3, FHIR Encounter.location
-- of physical type ro / bd), so a facilities complaint tells 总务科 where to go.
ALTER TABLE encounters ADD COLUMN room text, ADD COLUMN bed text;

-- Down Migration
ALTER TABLE encounters DROP COLUMN bed, DROP COLUMN room;
