-- Up Migration
-- The batch outbox dispatcher (outboxDispatcherWorkflow, issue 11 speed target): a message queued
-- for it carries the task queue whose dispatcher owns it and when that dispatcher should look at it
-- next.
--   dispatch_stage  NULL              not queued for a dispatcher yet
--                   'legacy'          queued before this migration: its own outboxMessageWorkflow delivers it
--                   'due'             decide by the contact rules and send (or wait, skip, hand to a call)
--                   'awaiting_report' handed to the provider; the report (or the rule's wait) decides
--                   'awaiting_answer' a survey link sent; still unanswered at dispatch_after, an agent calls
--                   'done'            nothing left to do
--   dispatch_after  when it is due (a claim pushes it a lease ahead; NULL when done)
--   dispatch_errors transient provider/database failures in a row (backoff)
ALTER TABLE outbound_messages ADD COLUMN dispatch_queue text;
ALTER TABLE outbound_messages ADD COLUMN dispatch_stage text
  CHECK (dispatch_stage IN ('legacy', 'due', 'awaiting_report', 'awaiting_answer', 'done'));
ALTER TABLE outbound_messages ADD COLUMN dispatch_after timestamptz;
ALTER TABLE outbound_messages ADD COLUMN dispatch_errors int NOT NULL DEFAULT 0;
UPDATE outbound_messages SET dispatch_stage = 'legacy' WHERE status = 'queued';
CREATE INDEX outbound_messages_dispatch_due_idx ON outbound_messages (dispatch_queue, dispatch_after)
  WHERE dispatch_after IS NOT NULL;

-- Down Migration
DROP INDEX outbound_messages_dispatch_due_idx;
ALTER TABLE outbound_messages DROP COLUMN dispatch_errors;
ALTER TABLE outbound_messages DROP COLUMN dispatch_after;
ALTER TABLE outbound_messages DROP COLUMN dispatch_stage;
ALTER TABLE outbound_messages DROP COLUMN dispatch_queue;
