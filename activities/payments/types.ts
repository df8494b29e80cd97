/**
 * One interface for prepayment providers (预缴费): WeChat Pay v3 first (wechat-pay.ts), its local
 * simulator for development and tests (scripts/simulators/wechat-pay.ts), and room for another
 * provider (Alipay, the hospital's own cashier) behind the same three calls.
 */

export interface CreatePaymentRequest {
  /** Our order number (WeChat `out_trade_no`), unique per attempt to pay. */
  outTradeNo: string;
  /** Amount in fen (分). */
  amountFen: number;
  description: string;
  /** Where the provider posts the payment notification. */
  notifyUrl: string;
  /** Minutes the provider keeps the order payable (WeChat `time_expire`). */
  expiresAt: Date;
}

export interface CreatedPayment {
  /** Where the patient's phone pays (WeChat H5 `h5_url`; the simulator's pay page). */
  payUrl: string;
}

export interface RefundRequest {
  outTradeNo: string;
  outRefundNo: string;
  amountFen: number;
  totalFen: number;
  reason: string;
  notifyUrl?: string;
}

/** A verified, decrypted payment notification. */
export interface PaymentNotification {
  /** The provider's notification ID (idempotency key). */
  notificationId: string;
  outTradeNo: string;
  transactionId: string;
  /** SUCCESS, or the provider's other trade states (CLOSED, PAYERROR …). */
  tradeState: string;
  amountFen: number;
  successTime: string | null;
}

/** A verified, decrypted refund result notification (REFUND.SUCCESS / ABNORMAL / CLOSED). */
export interface RefundNotification {
  notificationId: string;
  outTradeNo: string;
  transactionId: string;
  outRefundNo: string;
  refundId: string | null;
  /** SUCCESS, ABNORMAL, CLOSED (PROCESSING is never notified). */
  refundStatus: string;
  successTime: string | null;
  /** Where the money went, in the provider's words (e.g. 支付用户零钱, 招商银行信用卡0403). */
  userReceivedAccount: string | null;
  refundFen: number;
  totalFen: number;
}

/** A refund as the provider reports it (the refund request's answer, or a status query). */
export interface ProviderRefund {
  refundId: string;
  /** SUCCESS, PROCESSING, ABNORMAL or CLOSED. */
  status: string;
  successTime: string | null;
}

export interface PaymentAdapter {
  readonly provider: 'wechat_pay';
  createPayment(request: CreatePaymentRequest): Promise<CreatedPayment>;
  refund(request: RefundRequest): Promise<ProviderRefund>;
  /** Where a refund stands (WeChat: GET /v3/refund/domestic/refunds/{out_refund_no}). */
  queryRefund(outRefundNo: string): Promise<ProviderRefund>;
  /** Verifies a notification's signature and decrypts it; throws {@link PaymentNotificationError} when forged. */
  verifyNotification(headers: Headers | Record<string, string | undefined>, rawBody: string, now?: Date): PaymentNotification;
  /** The same for a refund result notification. */
  verifyRefundNotification(headers: Headers | Record<string, string | undefined>, rawBody: string, now?: Date): RefundNotification;
}

/** A notification that is not the provider's (bad or missing signature, stale, undecryptable). */
export class PaymentNotificationError extends Error {
  constructor(
    message: string,
    readonly code: 'missing_headers' | 'bad_signature' | 'stale' | 'unknown_serial' | 'bad_resource',
  ) {
    super(message);
    this.name = 'PaymentNotificationError';
  }
}
