import { describe, expect, it } from 'vitest';
import { appointmentActionRefusal, appointmentStart, liftRefusal, noShowLedgerStart, type AppointmentStatus } from './contracts.js';

const at = (iso: string) => Date.parse(iso);
const appointment = (status: AppointmentStatus) => ({
  status,
  registrationOpensAt: '2026-11-23T07:30:00Z',
  sessionEndsAt: '2026-11-23T12:00:00Z',
});

describe('start requests', () => {
  it('one appointment workflow per number, ever; one ledger per patient, restartable if ended by hand', () => {
    expect(appointmentStart({ appointmentId: 'a1', number: 'A001' }).options).toMatchObject({
      workflowId: 'appointment-A001',
      args: [{ appointmentId: 'a1' }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    expect(noShowLedgerStart({ patientId: 'p1' }).options).toMatchObject({ workflowId: 'noshow-p1', workflowIdReusePolicy: 'ALLOW_DUPLICATE' });
  });
});

describe('appointmentActionRefusal', () => {
  it('cancels a booking until registration opens', () => {
    expect(appointmentActionRefusal(appointment('booked'), 'cancel', at('2026-11-23T07:29:59Z'))).toBeNull();
    expect(appointmentActionRefusal(appointment('booked'), 'cancel', at('2026-11-23T07:30:00Z'))).toBe('已开始取号,不能再取消预约');
    expect(appointmentActionRefusal(appointment('checked_in'), 'cancel', at('2026-11-23T07:00:00Z'))).toBe('预约已签到,不能取消');
  });

  it('checks in a booking until the session ends, once', () => {
    expect(appointmentActionRefusal(appointment('booked'), 'checkIn', at('2026-11-23T11:59:59Z'))).toBeNull();
    expect(appointmentActionRefusal(appointment('booked'), 'checkIn', at('2026-11-23T12:00:00Z'))).toBe('本次门诊已结束,不能签到');
    expect(appointmentActionRefusal(appointment('checked_in'), 'checkIn', at('2026-11-23T09:00:00Z'))).toBe('已签到,请勿重复签到');
    expect(appointmentActionRefusal(appointment('cancelled'), 'checkIn', at('2026-11-23T09:00:00Z'))).toBe('预约已取消,不能签到');
    expect(appointmentActionRefusal(appointment('no_show'), 'checkIn', at('2026-11-23T09:00:00Z'))).toBe('预约爽约,不能签到');
  });
});

describe('liftRefusal', () => {
  const settings = { threshold: 3, windowSeconds: 60, blacklistSeconds: 60 };
  it('needs a reason, and a blacklisted patient once the rule is known', () => {
    expect(liftRefusal({ blacklisted: true, settings }, '  ')).toBe('解除黑名单须填写原因');
    expect(liftRefusal({ blacklisted: false, settings }, '急诊')).toBe('该患者当前未被列入爽约黑名单');
    expect(liftRefusal({ blacklisted: false, settings: undefined }, '急诊')).toBeNull();
    expect(liftRefusal({ blacklisted: true, settings }, '急诊')).toBeNull();
  });
});
