-- Up Migration

-- Issue 17: a refund request accepted by WeChat Pay is usually `PROCESSING`; the order is
-- refunded only when the provider says SUCCESS (its answer, the refund result notification or a
-- status query). The provider's latest refund status is kept on the order, with the ID of the
-- refund notification that last changed it.
ALTER TABLE payment_orders
  ADD COLUMN refund_status text CHECK (refund_status IN ('PROCESSING', 'SUCCESS', 'ABNORMAL', 'CLOSED')),
  ADD COLUMN refund_notification_id text;

-- Orders refunded before this change were marked when the request was accepted.
UPDATE payment_orders SET refund_status = 'SUCCESS' WHERE status = 'refunded';

-- Down Migration
ALTER TABLE payment_orders DROP COLUMN refund_notification_id, DROP COLUMN refund_status;
