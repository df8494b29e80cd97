import { describe, expect, it } from 'vitest';
import { appointmentDetails } from './details.js';

const booking = {
  number: 'AP20261201001',
  status: 'booked',
  slotIndex: 1,
  slotStartsAt: '2026-12-01T01:00:00Z',
  registrationOpensAt: '2026-12-01T00:00:00Z',
  sessionEndsAt: '2026-12-01T04:00:00Z',
  expertName: '李主任',
  departmentName: '骨科',
  reminderAt: '2026-11-30T00:00:00Z',
  reminderSent: false,
} as const;

describe('appointmentDetails (what the Temporal UI shows)', () => {
  it('booked: the deadlines it waits for, in Beijing time, and the reminder still to send', () => {
    expect(appointmentDetails(booking)).toBe(
      '**预约 AP20261201001** · 骨科 李主任 · 第 2 时段（12月1日 09:00）· 已预约\n\n' +
        '等待签到：12月1日 08:00 起不能再取消，12月1日 12:00 仍未签到记为爽约；11月30日 08:00 发就诊提醒',
    );
    expect(appointmentDetails({ ...booking, reminderSent: true })).not.toContain('发就诊提醒');
  });

  it('settled: the outcome', () => {
    expect(appointmentDetails({ ...booking, status: 'no_show' })).toMatch(/· 爽约\n\n爽约$/);
    expect(appointmentDetails({ ...booking, status: 'checked_in' })).toMatch(/已签到$/);
  });
});
