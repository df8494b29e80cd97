import { describe, expect, it } from 'vitest';
import { REFUND_STATE_LABELS, refundStateOf } from './payment-refund.js';

describe('refundStateOf', () => {
  it('is null without a paid order, or while the paid booking stands', () => {
    expect(refundStateOf(null, 'cancelled')).toBeNull();
    expect(refundStateOf({ status: 'created', outRefundNo: null }, 'cancelled')).toBeNull();
    expect(refundStateOf({ status: 'paid', outRefundNo: null }, 'booked')).toBeNull();
  });

  it('is pending once a paid booking is cancelled or the refund was asked for, refunded when the provider accepted', () => {
    expect(refundStateOf({ status: 'paid', outRefundNo: null }, 'cancelled')).toBe('pending');
    expect(refundStateOf({ status: 'paid', outRefundNo: 'ROPD1' }, 'cancelled')).toBe('pending');
    expect(refundStateOf({ status: 'refunded', outRefundNo: 'ROPD1' }, 'cancelled')).toBe('refunded');
  });

  it('has a Chinese label for each state', () => {
    expect(REFUND_STATE_LABELS).toEqual({ pending: '退款处理中', refunded: '已退款' });
  });
});
