import { describe, expect, it } from 'vitest';
import type { Principal } from './access.js';
import { notificationScope, type StaffAudience } from './notification-audience.js';
import { audienceRecipients, decideStaffContact, decideStaffContactOn, type StaffRole } from './staff-contact.js';

const rules = { quietStart: '21:00', quietEnd: '08:00' };
// 23:30 and 10:00 in Asia/Shanghai.
const night = new Date('2026-11-30T15:30:00Z');
const day = new Date('2026-11-30T02:00:00Z');

describe('staff notifications by phone', () => {
  it('prefers WeChat, then SMS, and falls to the other when one failed', () => {
    expect(decideStaffContact({ urgent: false, sms: true, wechat: true, failedChannels: [] }, rules, day)).toEqual({ action: 'send', channel: 'wechat' });
    expect(decideStaffContact({ urgent: false, sms: true, wechat: true, failedChannels: ['wechat'] }, rules, day)).toEqual({ action: 'send', channel: 'sms' });
    expect(decideStaffContact({ urgent: false, sms: true, wechat: false, failedChannels: ['sms'] }, rules, day)).toEqual({ action: 'skip', reason: 'all_failed' });
    expect(decideStaffContact({ urgent: true, sms: false, wechat: false, failedChannels: [] }, rules, day)).toEqual({ action: 'skip', reason: 'no_channel' });
  });

  it('holds ordinary notices through the quiet hours until 08:00 but sends red-flag alerts at once', () => {
    expect(decideStaffContact({ urgent: false, sms: true, wechat: false, failedChannels: [] }, rules, night)).toEqual({
      action: 'wait',
      until: new Date('2026-12-01T00:00:00Z'),
      reason: 'quiet_hours',
    });
    expect(decideStaffContact({ urgent: true, sms: true, wechat: false, failedChannels: [] }, rules, night)).toEqual({ action: 'send', channel: 'sms' });
  });

  it('holds notices through the quiet hours of a compressed contact day', () => {
    // One day = 24 real seconds from `day` (10:00 local), which is local 00:00 on that clock.
    const clock = { daySeconds: 24, originMs: day.getTime() };
    const at = (s: number) => new Date(day.getTime() + s * 1000);
    const notice = { urgent: false, sms: true, wechat: false, failedChannels: [] };
    expect(decideStaffContactOn(clock, notice, rules, at(21.5))).toEqual({ action: 'wait', until: at(32), reason: 'quiet_hours' });
    expect(decideStaffContactOn(clock, notice, rules, at(12))).toEqual({ action: 'send', channel: 'sms' });
    expect(decideStaffContactOn(clock, { ...notice, urgent: true }, rules, at(21.5))).toEqual({ action: 'send', channel: 'sms' });
  });

  it('reaches by phone exactly the roles that read the audience in the portal', () => {
    const roles: StaffRole[] = ['agent', 'dept_head', 'dept_staff', 'manager', 'admin'];
    for (const audience of ['department', 'dept_head', 'supervisors', 'management'] as StaffAudience[]) {
      const { roles: reached, sameDepartment } = audienceRecipients(audience);
      for (const role of roles) {
        const user = { id: 'u', role, departmentCode: role === 'manager' || role === 'admin' ? null : 'GK' } as unknown as Principal;
        const scope = notificationScope(user);
        const reads = scope !== null && scope.audiences.includes(audience);
        expect(reached.includes(role), `${role} / ${audience}`).toBe(reads);
        if (reads) expect(sameDepartment).toBe(scope.departmentCode !== null);
      }
    }
  });
});
