/**
 * One interface for every message channel; one adapter per provider (Twilio SMS, Alibaba Cloud
 * SMS, WeChat Official Account). Which adapter carries a message is configuration (settings.ts).
 */
import type { DeliveryChannel, MessageKind } from '../../domain/contact-rules.js';

export interface SendRequest {
  /** E.164 phone number (SMS) or openid (WeChat). */
  to: string;
  /** The whole text, for providers that take free text (Twilio). */
  text: string;
  kind: MessageKind;
  /** The same content as named values, for template providers (Aliyun templates, WeChat template messages). */
  params: Record<string, string>;
  /** The survey or rating page, when the message carries one. */
  link?: string;
  /** Where the provider reports delivery (Twilio StatusCallback). */
  statusCallbackUrl?: string;
}

export interface MessageAdapter {
  readonly provider: 'twilio' | 'aliyun' | 'wechat';
  readonly channel: DeliveryChannel;
  /** Hands the message to the provider; resolves with the provider's message ID. */
  send(request: SendRequest): Promise<{ providerMessageId: string }>;
  /**
   * The provider's ID of a message already sent to `to` with this text since `since`, if the
   * provider can list what it sent: after a crash between the provider's answer and our record,
   * this tells the retry that the message already went out.
   */
  findSent?(to: string, text: string, since: Date): Promise<string | null>;
}

/** A provider refused the message for good (bad number, unsubscribed user): retrying cannot help. */
export class PermanentSendError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'PermanentSendError';
  }
}
