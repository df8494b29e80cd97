/**
 * The refund activity of paymentRefundWorkflow (workflows/refund): asks the payment adapter to
 * refund a paid order in full, with the order's one refund number (`R<outTradeNo>`), so a retry
 * after a timeout or a crash asks for the same refund and the provider dedupes it (WeChat Pay does
 * on `out_refund_no`). The order is marked before the call (`out_refund_no` set: refund pending)
 * and after it (`refunded`); a refunded order is answered from the database without a call.
 * Provider errors are thrown and retried by the workflow's policy.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../db/client.js';
import { outRefundNoFor, type RefundInput, type RefundResult } from '../../workflows/refund/contracts.js';
import type { PaymentAdapter } from './types.js';

export function createPaymentActivities(deps: { sql: Sql; payments?: PaymentAdapter }) {
  const { sql } = deps;
  return {
    async refundPayment({ outTradeNo, reason }: RefundInput): Promise<RefundResult> {
      const [order] = await sql<{ amount_fen: number; status: string; appointment_id: string; out_refund_no: string | null; refund_id: string | null }[]>`
        SELECT amount_fen, status, appointment_id, out_refund_no, refund_id FROM payment_orders WHERE out_trade_no = ${outTradeNo}`;
      if (!order) throw ApplicationFailure.nonRetryable(`Payment order ${outTradeNo} does not exist`, 'UnknownPaymentOrder');
      if (order.status === 'created') return { outcome: 'not_paid' };
      const outRefundNo = order.out_refund_no ?? outRefundNoFor(outTradeNo);
      if (order.status === 'refunded') return { outcome: 'refunded', outRefundNo, refundId: order.refund_id, providerStatus: null };
      // A worker without the adapter cannot refund yet: retried until it is configured (the supervisor sees the failing activity).
      if (!deps.payments) throw ApplicationFailure.retryable('This worker has no payment adapter configured (WECHAT_PAY_*)', 'PaymentsNotConfigured');
      await sql`UPDATE payment_orders SET out_refund_no = ${outRefundNo} WHERE out_trade_no = ${outTradeNo} AND out_refund_no IS NULL`;
      const refund = await deps.payments.refund({ outTradeNo, outRefundNo, amountFen: order.amount_fen, totalFen: order.amount_fen, reason });
      await sql.begin(async (tx) => {
        await tx`UPDATE payment_orders SET status = 'refunded', refund_id = ${refund.refundId}, refunded_at = coalesce(refunded_at, now()) WHERE out_trade_no = ${outTradeNo}`;
        await tx`UPDATE appointments SET refunded_at = coalesce(refunded_at, now()) WHERE id = ${order.appointment_id}`;
      });
      return { outcome: 'refunded', outRefundNo, refundId: refund.refundId, providerStatus: refund.status };
    },
  };
}
