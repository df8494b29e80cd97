/**
 * Staff notifications off the portal: who of the staff receives a notification by SMS or WeChat
 * (the same audiences the portal list shows, see notification-audience.ts) and, for one recipient,
 * what to do now. Pure.
 *
 * Decisions (documented in the issue note):
 * - The portal list always has the notification; SMS/WeChat is extra, for staff with a phone number
 *   or a bound openid who have not turned it off (users.notify_sms / notify_wechat, on by default).
 * - WeChat first when bound, SMS next; a delivery the provider reports failed falls to the other.
 * - Quiet hours (the department's contact rules, 21:00–08:00 by default) hold ordinary notices
 *   (escalations) until morning; red-flag alerts are urgent and go out at once, day or night.
 * - Red-flag alerts go by phone to the department head only (the whole department sees them in
 *   the portal); notices go to everyone of their audience.
 */
import { onContactClock, quietHoursEnd, type ContactClock, type ContactRules, type DeliveryChannel } from './contact-rules.js';
import type { StaffAudience } from './notification-audience.js';

export type StaffRole = 'agent' | 'dept_head' | 'dept_staff' | 'manager' | 'admin';

/** The roles (and whether only those of the notification's department) a notice's audience reaches. */
export function audienceRecipients(audience: StaffAudience): { roles: StaffRole[]; sameDepartment: boolean } {
  switch (audience) {
    case 'department':
      return { roles: ['dept_head', 'dept_staff'], sameDepartment: true };
    case 'dept_head':
      return { roles: ['dept_head'], sameDepartment: true };
    case 'supervisors':
      return { roles: ['manager', 'admin'], sameDepartment: false };
    case 'management':
      return { roles: ['manager'], sameDepartment: false };
  }
}

/** Red-flag alerts reach the head of the alert's department by phone. */
export const RED_FLAG_RECIPIENTS = { roles: ['dept_head'] as StaffRole[], sameDepartment: true };

export interface StaffContactFacts {
  urgent: boolean;
  /** The user is active and wants SMS, and an SMS adapter serves their number. */
  sms: boolean;
  /** The user has an openid, wants WeChat, and WeChat is configured. */
  wechat: boolean;
  failedChannels: DeliveryChannel[];
}

export type StaffContactDecision =
  | { action: 'send'; channel: DeliveryChannel }
  | { action: 'wait'; until: Date; reason: 'quiet_hours' }
  | { action: 'skip'; reason: 'no_channel' | 'all_failed' };

export function decideStaffContact(facts: StaffContactFacts, rules: Pick<ContactRules, 'quietStart' | 'quietEnd'>, now: Date): StaffContactDecision {
  const tried = new Set(facts.failedChannels);
  const channel: DeliveryChannel | null = facts.wechat && !tried.has('wechat') ? 'wechat' : facts.sms && !tried.has('sms') ? 'sms' : null;
  if (!channel) return { action: 'skip', reason: tried.size > 0 ? 'all_failed' : 'no_channel' };
  if (!facts.urgent) {
    const until = quietHoursEnd(now, rules);
    if (until) return { action: 'wait', until, reason: 'quiet_hours' };
  }
  return { action: 'send', channel };
}

/** decideStaffContact with the quiet hours on the contact clock (CONTACT_DAY_SECONDS). */
export function decideStaffContactOn(
  clock: ContactClock,
  facts: StaffContactFacts,
  rules: Pick<ContactRules, 'quietStart' | 'quietEnd'>,
  now: Date,
): StaffContactDecision {
  return onContactClock(clock, now, [], (at) => decideStaffContact(facts, rules, at));
}
