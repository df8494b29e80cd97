/**
 * paymentRefundWorkflow: refunds one payment order through the payment adapter, retrying (backing
 * off up to 5 minutes between tries, without a limit) while the provider is unreachable or refuses
 * for now. The activity is idempotent on the order: a refunded order is not refunded twice.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import type { RefundInput, RefundResult } from './contracts.js';

const payments = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.provider);

export async function paymentRefundWorkflow(input: RefundInput): Promise<RefundResult> {
  return payments.refundPayment(input);
}
