/**
 * What a ticket's workflow is and what it waits for now, in Chinese, for the Temporal UI's
 * "current details" (supervisors read it there). Pure: the workflow calls it on every change.
 */
import { shanghaiDateTime } from '../../domain/schedule.js';
import { escalationLabel, TICKET_STATUS_LABELS, ticketCategoryLabel, type TicketStatus } from './labels.js';

export interface TicketDetailsFacts {
  number: string;
  category: string;
  status: TicketStatus;
  escalationLevel: number;
  reopenCount: number;
  nextDeadline?: string;
  rating?: number;
  closedReason?: string;
}

const at = (iso: string) => shanghaiDateTime(new Date(iso));

export function ticketDetails(t: TicketDetailsFacts): string {
  const head = [`**工单 ${t.number}**`, ticketCategoryLabel(t.category), TICKET_STATUS_LABELS[t.status]];
  if (t.escalationLevel > 0) head.push(`已超时（${escalationLabel(t.escalationLevel)}）`);
  if (t.reopenCount > 0) head.push(`重新打开 ${t.reopenCount} 次`);
  return `${head.join(' · ')}\n\n${waitingFor(t)}`;
}

export function waitingFor(t: TicketDetailsFacts): string {
  switch (t.status) {
    case 'open':
    case 'in_progress':
      if (!t.nextDeadline) return '等待科室处理（已升级至管理层）';
      return t.escalationLevel === 0 ? `等待科室处理：SLA 截止 ${at(t.nextDeadline)}` : `等待科室处理：${at(t.nextDeadline)} 仍未处理将上报管理层`;
    case 'resolved':
      return t.nextDeadline ? `等待患者评价：截止 ${at(t.nextDeadline)}，过时按未评价关闭` : '等待患者评价';
    case 'closed':
      return t.rating !== undefined ? `已关闭：患者评分 ${t.rating} 分` : '已关闭：患者未评价';
  }
}
