-- Up Migration
-- Management reports (满意度趋势, 高频问题, 考核, 覆盖率/完整率): the hospital's report settings as
-- data, monthly rollups the report queries read, and the report archive. The rollups are written
-- only by reportRollupWorkflow (Temporal Schedule `report-rollup`, activities/reports/rollup.ts),
-- never by hand; months are calendar months in Asia/Shanghai.

CREATE TABLE report_settings (
  id                         boolean PRIMARY KEY DEFAULT true CHECK (id),
  hospital_name              text NOT NULL DEFAULT '示例医院',
  -- Goals from the hospital's quality programme (回访覆盖率 ≥ 95 %, 记录完整率 ≥ 98 %).
  coverage_goal              numeric(5, 4) NOT NULL DEFAULT 0.95 CHECK (coverage_goal BETWEEN 0 AND 1),
  completeness_goal          numeric(5, 4) NOT NULL DEFAULT 0.98 CHECK (completeness_goal BETWEEN 0 AND 1),
  -- Rating questions (by question id in the templates) that count as the satisfaction question.
  satisfaction_question_ids  text[] NOT NULL DEFAULT ARRAY['satisfaction'],
  updated_at                 timestamptz NOT NULL DEFAULT now()
);
INSERT INTO report_settings DEFAULT VALUES;

-- Per month and department ('' = 未分配科室). Follow-ups count in the department of the task,
-- tickets in their responsible department.
CREATE TABLE report_department_month (
  month                    date NOT NULL,
  department_code          text NOT NULL,
  satisfaction_answers     integer NOT NULL DEFAULT 0,
  satisfaction_positive    integer NOT NULL DEFAULT 0,
  follow_ups_due           integer NOT NULL DEFAULT 0,
  follow_ups_reached       integer NOT NULL DEFAULT 0,
  follow_ups_completed     integer NOT NULL DEFAULT 0,
  records_complete         integer NOT NULL DEFAULT 0,
  tickets_received         integer NOT NULL DEFAULT 0,
  tickets_resolved         integer NOT NULL DEFAULT 0,
  tickets_resolved_in_sla  integer NOT NULL DEFAULT 0,
  tickets_overdue          integer NOT NULL DEFAULT 0,
  -- Seconds from receipt to resolution of each resolved ticket (for the mean and the p90).
  resolve_seconds          integer[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (month, department_code)
);

CREATE TABLE report_agent_month (
  month                  date NOT NULL,
  agent_id               uuid NOT NULL REFERENCES users(id),
  satisfaction_answers   integer NOT NULL DEFAULT 0,
  satisfaction_positive  integer NOT NULL DEFAULT 0,
  follow_ups_due         integer NOT NULL DEFAULT 0,
  follow_ups_reached     integer NOT NULL DEFAULT 0,
  follow_ups_completed   integer NOT NULL DEFAULT 0,
  records_complete       integer NOT NULL DEFAULT 0,
  calls                  integer NOT NULL DEFAULT 0,
  active_days            integer NOT NULL DEFAULT 0,
  PRIMARY KEY (month, agent_id)
);

-- Problem tags of tickets received in the month (the subtag, else the category).
CREATE TABLE report_tag_month (
  month            date NOT NULL,
  department_code  text NOT NULL,
  tag              text NOT NULL,
  tickets          integer NOT NULL,
  PRIMARY KEY (month, department_code, tag)
);

-- When the rollups were last brought up to date, and up to which change of the source rows.
CREATE TABLE report_rollup_state (
  id            boolean PRIMARY KEY DEFAULT true CHECK (id),
  refreshed_at  timestamptz,
  watermark     timestamptz
);
INSERT INTO report_rollup_state DEFAULT VALUES;

-- Generated report files: exports asked for in the portal (kind 'export', fetched by whoever asked)
-- and the monthly reports of the archive (kind 'monthly', one per month).
CREATE TABLE report_files (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind             text NOT NULL CHECK (kind IN ('export', 'monthly')),
  report           text NOT NULL,
  format           text NOT NULL CHECK (format IN ('xlsx', 'pdf')),
  period_from      text NOT NULL,
  period_to        text NOT NULL,
  department_code  text,
  file_name        text NOT NULL,
  content          bytea NOT NULL,
  created_by       uuid REFERENCES users(id),
  -- The workflow that made it: a retried activity finds its file instead of adding another.
  source_key       text NOT NULL UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX report_files_archive_idx ON report_files (kind, created_at DESC);

-- What the rollup and the drill-down lists read by time.
CREATE INDEX follow_up_tasks_due_idx ON follow_up_tasks (due_at);
CREATE INDEX follow_up_tasks_completed_idx ON follow_up_tasks (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX follow_up_tasks_updated_idx ON follow_up_tasks (updated_at);
CREATE INDEX task_attempts_at_idx ON task_attempts (at) WHERE by_user IS NOT NULL;
CREATE INDEX tickets_received_idx ON tickets (received_at);
CREATE INDEX tickets_updated_idx ON tickets (updated_at);

-- Down Migration
DROP INDEX tickets_updated_idx;
DROP INDEX tickets_received_idx;
DROP INDEX task_attempts_at_idx;
DROP INDEX follow_up_tasks_updated_idx;
DROP INDEX follow_up_tasks_completed_idx;
DROP INDEX follow_up_tasks_due_idx;
DROP TABLE report_files;
DROP TABLE report_rollup_state;
DROP TABLE report_tag_month;
DROP TABLE report_agent_month;
DROP TABLE report_department_month;
DROP TABLE report_settings;
