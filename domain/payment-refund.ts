/**
 * Where a booking's prepayment refund stands, from its payment order and the appointment: the
 * patient's "我的预约" and the cancel answer show it in Chinese. A cancelled booking whose order is
 * still `paid` waits for its refund: paymentRefundWorkflow retries until the provider accepts the
 * request, and WeChat Pay then usually answers `PROCESSING`; the money is back (已退款) only when
 * the provider says `SUCCESS` (in its answer, a refund result notification, or a status query).
 * `ABNORMAL` (the payer's card refused the money) and `CLOSED` need a person: staff see an alert.
 */
export type RefundState = 'pending' | 'refunded' | 'attention';

/** What the patient reads. */
export const REFUND_STATE_LABELS: Record<RefundState, string> = {
  pending: '退款处理中',
  refunded: '已退款',
  attention: '退款异常,医院正在处理',
};

/** The alert kind (alerts.kind) of a refund a person must handle (ABNORMAL / CLOSED). */
export const REFUND_ALERT_KIND = 'refund_attention';

/** What staff read on the alert of a refund that needs a person. */
export const REFUND_ATTENTION_LABEL = '退款异常,需人工处理';

/** WeChat Pay's refund statuses (`status` of the refund API, `refund_status` of its notification). */
export type ProviderRefundStatus = 'SUCCESS' | 'PROCESSING' | 'ABNORMAL' | 'CLOSED';

/** What a provider refund status means for the order: done, still waiting, or a person must act. */
export function refundOutcomeOf(providerStatus: string): 'refunded' | 'processing' | 'attention' {
  if (providerStatus === 'SUCCESS') return 'refunded';
  if (providerStatus === 'ABNORMAL' || providerStatus === 'CLOSED') return 'attention';
  return 'processing';
}

/** The order's refund state, or null when no refund is (or was) due. */
export function refundStateOf(order: { status: string; outRefundNo: string | null; refundStatus?: string | null } | null | undefined, appointmentStatus: string): RefundState | null {
  if (!order) return null;
  if (order.status === 'refunded') return 'refunded';
  if (order.status !== 'paid') return null;
  if (order.refundStatus && refundOutcomeOf(order.refundStatus) === 'attention') return 'attention';
  if (order.outRefundNo !== null || appointmentStatus === 'cancelled') return 'pending';
  return null;
}

/**
 * Seconds until the refund workflow asks the provider again about a refund still `PROCESSING`:
 * `base` doubling per check, at most an hour (a lost notification is caught within the hour).
 */
export function refundCheckDelaySeconds(check: number, base: number): number {
  return Math.min(3600, base * 2 ** Math.min(Math.max(check, 0), 20));
}
