/**
 * paymentRefundWorkflow: refunds one payment order through the payment adapter, retrying (backing
 * off up to 5 minutes between tries, without a limit) while the provider is unreachable or refuses
 * for now. The activity is idempotent on the order: a refunded order is not refunded twice.
 *
 * WeChat Pay usually accepts a refund as `PROCESSING`; the workflow then asks where it stands on a
 * durable timer (60 s doubling to an hour by default) until SUCCESS, ABNORMAL or CLOSED, so the
 * order does not stay 退款处理中 when the refund result notification is lost. A notification that
 * arrives first settles the order in the database, and the next check reads it from there.
 */
import { continueAsNew, patched, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { ACTIVITY_TIMEOUTS } from '../../config/temporal.js';
import type { RefundInput, RefundResult } from './contracts.js';

const payments = proxyActivities<Activities>(ACTIVITY_TIMEOUTS.provider);

export async function paymentRefundWorkflow(input: RefundInput): Promise<RefundResult> {
  let result = await payments.refundPayment(input);
  // Runs recorded before the refund's result was awaited ended when the provider accepted it.
  if (!patched('refund-await-provider-result')) return result;
  for (let check = 0; result.outcome === 'processing'; check += 1) {
    await sleep(`${result.checkAgainInSeconds} seconds`);
    // A refund that takes days: a fresh history (asking again for the same refund is harmless).
    if (workflowInfo().continueAsNewSuggested) return continueAsNew<typeof paymentRefundWorkflow>(input);
    result = await payments.checkRefund({ outTradeNo: input.outTradeNo, check });
  }
  return result;
}
