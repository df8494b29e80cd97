/**
 * A provider's final delivery report can reach the webhook before the send call has returned the
 * provider's message ID (the webhook then keeps it in webhook_receipts only). Patient and staff
 * deliveries both take such a report when they store the ID.
 */
import type { Sql } from '../../db/client.js';

export interface SentDelivery {
  outcome: 'sent';
  deliveryKey: string;
  /** The provider's final report, when it already came. */
  report?: 'delivered' | 'failed';
}

export async function takeEarlyReport(sql: Sql, deliveryKey: string, provider: string, providerMessageId: string): Promise<SentDelivery> {
  const [early] = await sql<{ event_id: string }[]>`
    SELECT event_id FROM webhook_receipts
    WHERE provider = ${provider} AND event_id IN (${`${providerMessageId}:delivered`}, ${`${providerMessageId}:failed`})
    ORDER BY event_id DESC LIMIT 1`;
  if (!early) return { outcome: 'sent', deliveryKey };
  const report = early.event_id.endsWith(':failed') ? 'failed' : 'delivered';
  await sql`UPDATE message_deliveries SET status = ${report}, updated_at = now() WHERE delivery_key = ${deliveryKey} AND status = 'sent'`;
  return { outcome: 'sent', deliveryKey, report };
}
