/**
 * What an appointment's workflow is and what it waits for now, in Chinese, for the Temporal UI's
 * "current details". Pure: the workflow calls it on every change.
 */
import { shanghaiDateTime } from '../../domain/schedule.js';
import type { Booking } from './contracts.js';
import { APPOINTMENT_STATUS_LABELS } from './labels.js';

export interface AppointmentDetailsFacts extends Pick<Booking, 'number' | 'status' | 'slotIndex' | 'slotStartsAt' | 'sessionEndsAt' | 'registrationOpensAt'> {
  expertName: string;
  departmentName: string;
  reminderAt?: string;
  reminderSent: boolean;
}

const at = (iso: string) => shanghaiDateTime(new Date(iso));

export function appointmentDetails(a: AppointmentDetailsFacts): string {
  const head = `**预约 ${a.number}** · ${a.departmentName} ${a.expertName} · 第 ${a.slotIndex + 1} 时段（${at(a.slotStartsAt)}）· ${APPOINTMENT_STATUS_LABELS[a.status]}`;
  return `${head}\n\n${waitingFor(a)}`;
}

function waitingFor(a: AppointmentDetailsFacts): string {
  if (a.status !== 'booked') return APPOINTMENT_STATUS_LABELS[a.status];
  const reminder = a.reminderAt && !a.reminderSent ? `；${at(a.reminderAt)} 发就诊提醒` : '';
  return `等待签到：${at(a.registrationOpensAt)} 起不能再取消，${at(a.sessionEndsAt)} 仍未签到记为爽约${reminder}`;
}
