-- Up Migration

-- 常用问题快捷回复: answers to what patients ask most, per department (NULL: hospital-wide), kept by
-- administrators. Never deleted (an agent may be reading one): disabled instead.
CREATE TABLE canned_replies (
  id               serial PRIMARY KEY,
  department_code  text REFERENCES departments(code),
  topic            text NOT NULL CHECK (topic IN ('medication', 'revisit', 'billing', 'report', 'other')),
  title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 40),
  body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
  active           boolean NOT NULL DEFAULT true,
  created_by       uuid REFERENCES users(id),
  updated_by       uuid REFERENCES users(id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX canned_replies_title_idx ON canned_replies (coalesce(department_code, ''), title);

-- Down Migration
DROP TABLE canned_replies;
