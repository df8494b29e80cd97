/**
 * WeChat Pay's refund result notification (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED),
 * posted to the `notify_url` of the refund request (…/api/outpatient/payments/wechat/refund-notify).
 * Verified exactly as payment notifications are (a forged or stale one is refused with 401 and
 * changes nothing), then written through the same `recordRefundStatus` as the refund workflow's
 * own answers and status queries: SUCCESS marks the order refunded (已退款), ABNORMAL/CLOSED raise
 * the department's alert (退款异常,需人工处理), a resent notification changes nothing.
 */
import type { Sql } from '../db/client.js';
import { recordRefundStatus } from '../activities/payments/refunds.js';
import { PaymentNotificationError, type PaymentAdapter } from '../activities/payments/types.js';
import { notFound, ServiceError } from './errors.js';

/** Runs a provider's verification; a notification that is not the provider's becomes a 401 `bad_signature`. */
export function verifiedOr401<T>(verify: () => T): T {
  try {
    return verify();
  } catch (err) {
    if (err instanceof PaymentNotificationError) throw new ServiceError(401, 'bad_signature', err.message);
    throw err;
  }
}

export function createRefundNotificationHandler({ sql, payments }: { sql: Sql; payments: PaymentAdapter }) {
  return async function refundNotification(
    headers: Headers | Record<string, string | undefined>,
    rawBody: string,
  ): Promise<{ outTradeNo: string; refundStatus: string | null; changed: boolean }> {
    const n = verifiedOr401(() => payments.verifyRefundNotification(headers, rawBody));
    const recorded = await recordRefundStatus(sql, {
      outTradeNo: n.outTradeNo,
      outRefundNo: n.outRefundNo,
      status: n.refundStatus,
      refundId: n.refundId,
      successTime: n.successTime,
      notificationId: n.notificationId,
    });
    if (!recorded) throw notFound('退款单不存在');
    return { outTradeNo: n.outTradeNo, ...recorded };
  };
}
