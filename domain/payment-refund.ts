/**
 * Where a booking's prepayment refund stands, from its payment order and the appointment: the
 * patient's "我的预约" and the cancel answer show it in Chinese. A cancelled booking whose order is
 * still `paid` waits for its refund (paymentRefundWorkflow retries until the provider accepts).
 */
export type RefundState = 'pending' | 'refunded';

export const REFUND_STATE_LABELS: Record<RefundState, string> = {
  pending: '退款处理中',
  refunded: '已退款',
};

/** The order's refund state, or null when no refund is (or was) due. */
export function refundStateOf(order: { status: string; outRefundNo: string | null } | null | undefined, appointmentStatus: string): RefundState | null {
  if (!order) return null;
  if (order.status === 'refunded') return 'refunded';
  if (order.status === 'paid' && (order.outRefundNo !== null || appointmentStatus === 'cancelled')) return 'pending';
  return null;
}
