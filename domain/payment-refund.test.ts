import { describe, expect, it } from 'vitest';
import { REFUND_ATTENTION_LABEL, REFUND_STATE_LABELS, refundCheckDelaySeconds, refundOutcomeOf, refundStateOf } from './payment-refund.js';

describe('refundStateOf', () => {
  it('is null without a paid order, or while the paid booking stands', () => {
    expect(refundStateOf(null, 'cancelled')).toBeNull();
    expect(refundStateOf({ status: 'created', outRefundNo: null }, 'cancelled')).toBeNull();
    expect(refundStateOf({ status: 'paid', outRefundNo: null }, 'booked')).toBeNull();
  });

  it('is pending once a paid booking is cancelled or the refund was asked for (also while the provider says PROCESSING), refunded on SUCCESS', () => {
    expect(refundStateOf({ status: 'paid', outRefundNo: null }, 'cancelled')).toBe('pending');
    expect(refundStateOf({ status: 'paid', outRefundNo: 'ROPD1' }, 'cancelled')).toBe('pending');
    expect(refundStateOf({ status: 'paid', outRefundNo: 'ROPD1', refundStatus: 'PROCESSING' }, 'cancelled')).toBe('pending');
    expect(refundStateOf({ status: 'refunded', outRefundNo: 'ROPD1', refundStatus: 'SUCCESS' }, 'cancelled')).toBe('refunded');
  });

  it('needs attention when the provider says ABNORMAL or CLOSED', () => {
    expect(refundStateOf({ status: 'paid', outRefundNo: 'ROPD1', refundStatus: 'ABNORMAL' }, 'cancelled')).toBe('attention');
    expect(refundStateOf({ status: 'paid', outRefundNo: 'ROPD1', refundStatus: 'CLOSED' }, 'cancelled')).toBe('attention');
  });

  it('has a Chinese label for each state, and for staff', () => {
    expect(REFUND_STATE_LABELS).toEqual({ pending: '退款处理中', refunded: '已退款', attention: '退款异常,医院正在处理' });
    expect(REFUND_ATTENTION_LABEL).toBe('退款异常,需人工处理');
  });
});

describe('refundOutcomeOf', () => {
  it('maps WeChat Pay refund statuses', () => {
    expect(refundOutcomeOf('SUCCESS')).toBe('refunded');
    expect(refundOutcomeOf('PROCESSING')).toBe('processing');
    expect(refundOutcomeOf('ABNORMAL')).toBe('attention');
    expect(refundOutcomeOf('CLOSED')).toBe('attention');
  });
});

describe('refundCheckDelaySeconds', () => {
  it('doubles from the base, capped at an hour', () => {
    expect([0, 1, 2, 3].map((n) => refundCheckDelaySeconds(n, 60))).toEqual([60, 120, 240, 480]);
    expect(refundCheckDelaySeconds(10, 60)).toBe(3600);
    expect(refundCheckDelaySeconds(500, 2)).toBe(3600);
  });
});
