/**
 * The refund of a prepayment (预缴费退款), as its own small process: `paymentRefundWorkflow`, one per
 * payment order, ID `refund-<outTradeNo>`. It runs the refund activity (activities/payments/refunds.ts)
 * with retries until the provider accepts it, so a refund survives a crash of the caller and an
 * outage of WeChat Pay. Started by the appointment's workflow when a paid booking is cancelled (a
 * child that outlives it), or by the payment notification when money arrives for a number already
 * released. The refund number (`out_refund_no`) is derived from the order, so every attempt and
 * every duplicate start asks the provider for the same refund (WeChat Pay dedupes on it).
 */
import type { StartRequest } from '../shared/start.js';

export const PAYMENT_REFUND_WORKFLOW_TYPE = 'paymentRefundWorkflow';
export type PaymentRefundWorkflow = (input: RefundInput) => Promise<RefundResult>;

export interface RefundInput {
  /** Our order number (WeChat `out_trade_no`). */
  outTradeNo: string;
  /** Shown to the payer by the provider (WeChat `reason`). */
  reason: string;
}

/**
 * Where a refund stands after an activity: `refunded` (the provider says SUCCESS, now or earlier),
 * `processing` (accepted, not done: ask again in `checkAgainInSeconds`), `attention` (ABNORMAL or
 * CLOSED: a person must act, the department has an alert), or `not_paid` (nothing to refund).
 * Histories recorded before the provider's PROCESSING was told apart carry `refunded` for it.
 */
export type RefundResult =
  | { outcome: 'refunded' | 'attention'; outRefundNo: string; refundId: string | null; providerStatus: string | null }
  | { outcome: 'processing'; outRefundNo: string; refundId: string | null; providerStatus: string | null; checkAgainInSeconds: number }
  | { outcome: 'not_paid' };

/** The status query of the refund workflow: the `check`-th time it asks (the delay after it doubles). */
export interface RefundCheckInput {
  outTradeNo: string;
  check: number;
}

export function paymentRefundWorkflowId(outTradeNo: string): string {
  return `refund-${outTradeNo}`;
}

/** The one refund number of an order: every attempt asks for the same refund. */
export function outRefundNoFor(outTradeNo: string): string {
  return `R${outTradeNo}`;
}

/**
 * One refund per order: a second start while it runs or after it completed finds it (and is
 * harmless); only a run that failed or was terminated may be started again.
 */
export function paymentRefundStart(input: RefundInput): StartRequest<PaymentRefundWorkflow> {
  return {
    workflowType: PAYMENT_REFUND_WORKFLOW_TYPE,
    options: {
      workflowId: paymentRefundWorkflowId(input.outTradeNo),
      args: [input],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: `预缴费退款 ${input.outTradeNo}`,
    },
  };
}
