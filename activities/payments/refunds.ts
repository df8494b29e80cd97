/**
 * The refund activities of paymentRefundWorkflow (workflows/refund), and the one place that writes
 * what the provider says about a refund (`recordRefundStatus`, also used by the refund result
 * notification in services/payment-refunds.ts).
 *
 * `refundPayment` asks the payment adapter to refund a paid order in full, with the order's one
 * refund number (`R<outTradeNo>`), so a retry after a timeout or a crash asks for the same refund
 * and the provider dedupes it (WeChat Pay does on `out_refund_no`). The order is marked before the
 * call (`out_refund_no` set: refund pending). WeChat Pay usually answers `PROCESSING`: the order
 * stays pending (退款处理中) and only `SUCCESS` marks it refunded (已退款, at the provider's
 * success_time); `ABNORMAL`/`CLOSED` raise an alert for the department (退款异常,需人工处理).
 * `checkRefund` asks where a refund stands (the workflow polls it on a durable timer, so a lost
 * notification does not leave the order pending). Provider errors are thrown and retried.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';
import { REFUND_ALERT_KIND, REFUND_ATTENTION_LABEL, refundCheckDelaySeconds, refundOutcomeOf } from '../../domain/payment-refund.js';
import { outRefundNoFor, paymentRefundWorkflowId, type RefundCheckInput, type RefundInput, type RefundResult } from '../../workflows/refund/contracts.js';
import type { PaymentAdapter } from './types.js';

/**
 * Writes the provider's word on an order's refund, idempotently: SUCCESS marks the order and the
 * appointment refunded (once; the first success_time stays), ABNORMAL/CLOSED keep the order paid
 * and raise one alert for the session's department, PROCESSING only records itself. A refunded
 * order is never taken back. Returns the order's refund status after the write.
 */
export async function recordRefundStatus(
  sql: Sql,
  input: { outTradeNo: string; outRefundNo: string; status: string; refundId: string | null; successTime: string | null; notificationId?: string },
): Promise<{ refundStatus: string | null; changed: boolean } | null> {
  return sql.begin(async (tx) => {
    const [order] = await tx<{ status: string; refund_status: string | null; appointment_id: string }[]>`
      SELECT status, refund_status, appointment_id FROM payment_orders WHERE out_trade_no = ${input.outTradeNo} AND coalesce(out_refund_no, ${input.outRefundNo}) = ${input.outRefundNo} FOR UPDATE`;
    if (!order) return null;
    // Refunded is final; a status already recorded is not recorded again (a resent notification changes nothing).
    if (order.status === 'refunded' || order.refund_status === input.status) return { refundStatus: order.refund_status, changed: false };
    const outcome = refundOutcomeOf(input.status);
    const successAt = input.successTime ? new Date(input.successTime) : null;
    await tx`
      UPDATE payment_orders SET refund_status = ${input.status}, out_refund_no = coalesce(out_refund_no, ${input.outRefundNo}),
             refund_id = coalesce(${input.refundId}, refund_id), refund_notification_id = coalesce(${input.notificationId ?? null}, refund_notification_id)
      WHERE out_trade_no = ${input.outTradeNo}`;
    if (outcome === 'refunded') {
      await tx`UPDATE payment_orders SET status = 'refunded', refunded_at = coalesce(refunded_at, ${successAt}, now()) WHERE out_trade_no = ${input.outTradeNo}`;
      await tx`UPDATE appointments SET refunded_at = coalesce(refunded_at, ${successAt}, now()) WHERE id = ${order.appointment_id}`;
    } else if (outcome === 'attention') {
      const [a] = await tx<{ number: string; department_code: string }[]>`
        SELECT a.number, s.department_code FROM appointments a JOIN clinic_sessions s ON s.id = a.session_id WHERE a.id = ${order.appointment_id}`;
      const details = { message: REFUND_ATTENTION_LABEL, appointmentNumber: a?.number ?? null, outTradeNo: input.outTradeNo, outRefundNo: input.outRefundNo, refundStatus: input.status };
      await tx`
        INSERT INTO alerts (workflow_id, step, department_code, kind, details)
        VALUES (${paymentRefundWorkflowId(input.outTradeNo)}, ${`refund-${input.status.toLowerCase()}`}, ${a?.department_code ?? null}, ${REFUND_ALERT_KIND}, ${tx.json(details)})
        ON CONFLICT (workflow_id, step) DO NOTHING`;
    }
    return { refundStatus: input.status, changed: true };
  });
}

/** What the workflow is told about a refund the provider has (accepted or later). */
function resultOf(outRefundNo: string, refund: { refundId: string | null; status: string }, check: number, pollSeconds: number): RefundResult {
  const outcome = refundOutcomeOf(refund.status);
  return outcome === 'processing'
    ? { outcome, outRefundNo, refundId: refund.refundId, providerStatus: refund.status, checkAgainInSeconds: refundCheckDelaySeconds(check, pollSeconds) }
    : { outcome, outRefundNo, refundId: refund.refundId, providerStatus: refund.status };
}

export function createPaymentActivities(deps: { sql: Sql; payments?: PaymentAdapter; refundNotifyUrl?: string; refundPollSeconds?: number }) {
  const { sql } = deps;
  const pollSeconds = deps.refundPollSeconds ?? 60;
  const adapter = (): PaymentAdapter => {
    // A worker without the adapter cannot refund yet: retried until it is configured (the supervisor sees the failing activity).
    if (!deps.payments) throw ApplicationFailure.retryable('This worker has no payment adapter configured (WECHAT_PAY_*)', 'PaymentsNotConfigured');
    return deps.payments;
  };
  const loadOrder = async (outTradeNo: string) => {
    const [order] = await sql<{ amount_fen: number; status: string; out_refund_no: string | null; refund_id: string | null; refund_status: string | null }[]>`
      SELECT amount_fen, status, out_refund_no, refund_id, refund_status FROM payment_orders WHERE out_trade_no = ${outTradeNo}`;
    if (!order) throw ApplicationFailure.nonRetryable(`Payment order ${outTradeNo} does not exist`, 'UnknownPaymentOrder');
    return order;
  };
  return {
    async refundPayment({ outTradeNo, reason }: RefundInput): Promise<RefundResult> {
      const order = await loadOrder(outTradeNo);
      if (order.status === 'created') return { outcome: 'not_paid' };
      const outRefundNo = order.out_refund_no ?? outRefundNoFor(outTradeNo);
      if (order.status === 'refunded') return { outcome: 'refunded', outRefundNo, refundId: order.refund_id, providerStatus: order.refund_status };
      const payments = adapter();
      await sql`UPDATE payment_orders SET out_refund_no = ${outRefundNo} WHERE out_trade_no = ${outTradeNo} AND out_refund_no IS NULL`;
      const refund = await payments.refund({
        outTradeNo,
        outRefundNo,
        amountFen: order.amount_fen,
        totalFen: order.amount_fen,
        reason,
        ...(deps.refundNotifyUrl ? { notifyUrl: deps.refundNotifyUrl } : {}),
      });
      await recordRefundStatus(sql, { outTradeNo, outRefundNo, ...refund });
      return resultOf(outRefundNo, refund, 0, pollSeconds);
    },

    /**
     * Where the order's refund stands: from the database when a notification already settled it,
     * else from the provider (the status query), recorded as the notification would be.
     */
    async checkRefund({ outTradeNo, check }: RefundCheckInput): Promise<RefundResult> {
      const order = await loadOrder(outTradeNo);
      const outRefundNo = order.out_refund_no ?? outRefundNoFor(outTradeNo);
      if (order.status === 'refunded' || (order.refund_status && refundOutcomeOf(order.refund_status) !== 'processing')) {
        return resultOf(outRefundNo, { refundId: order.refund_id, status: order.status === 'refunded' ? 'SUCCESS' : order.refund_status! }, check + 1, pollSeconds);
      }
      const refund = await adapter().queryRefund(outRefundNo);
      await recordRefundStatus(sql, { outTradeNo, outRefundNo, ...refund });
      return resultOf(outRefundNo, refund, check + 1, pollSeconds);
    },
  };
}
