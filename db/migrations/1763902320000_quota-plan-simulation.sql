-- Up Migration
-- The nightly plan's simulation of the current and the proposed quotas over the expert's recorded
-- sessions (domain/plan-comparison.ts), shown side by side on the quota page.
ALTER TABLE quota_plans ADD COLUMN simulation jsonb;

-- Down Migration
ALTER TABLE quota_plans DROP COLUMN simulation;
