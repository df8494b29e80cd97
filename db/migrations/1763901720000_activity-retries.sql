-- Up Migration
-- Activities that keep failing and retrying (attempt ≥ WORKFLOW_RETRY_ALERT_ATTEMPTS), one row per
-- activity of a workflow run, written by the worker (worker/activity-failures.ts) at each failed
-- attempt and removed when the activity succeeds; the supervisor's page lists the recent ones.
CREATE TABLE activity_retries (
  workflow_id    text NOT NULL,
  run_id         text NOT NULL,
  activity_id    text NOT NULL,
  workflow_type  text NOT NULL,
  activity_type  text NOT NULL,
  attempt        integer NOT NULL,
  last_failure   text NOT NULL,
  first_failed_at timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workflow_id, run_id, activity_id)
);
CREATE INDEX activity_retries_updated_idx ON activity_retries (updated_at DESC);

-- Down Migration
DROP TABLE activity_retries;
