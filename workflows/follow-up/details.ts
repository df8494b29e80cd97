/**
 * What a follow-up workflow is and what it waits for now, in Chinese, for the Temporal UI's
 * "current details" and its timers' summaries. Pure: the workflow calls it on every change.
 */
import { shanghaiDateTime } from '../../domain/schedule.js';
import type { FollowUpState, TouchpointState } from './contracts.js';
import { CANCEL_REASON_LABELS, CHANNEL_LABELS, FOLLOW_UP_STATUS_LABELS, TOUCHPOINT_STATUS_LABELS } from './labels.js';

const at = (iso: string) => shanghaiDateTime(new Date(iso));
const channel = (tp: TouchpointState) => (CHANNEL_LABELS as Record<string, string>)[tp.channel] ?? tp.channel;

/** The summary of the timer before a touchpoint: "等待第 2 次随访（12月7日 09:00，电话）". */
export function touchpointWaitSummary(tp: TouchpointState): string {
  return `等待第 ${tp.index + 1} 次随访（${at(tp.dueAt)}，${channel(tp)}）`;
}

export function followUpDetails(s: Pick<FollowUpState, 'encounterId' | 'status' | 'urgent' | 'touchpoints' | 'cancelReason'>): string {
  const head = [`**出院随访 ${s.encounterId}**`, FOLLOW_UP_STATUS_LABELS[s.status]];
  if (s.urgent) head.push('红旗预警');
  const lines = [head.join(' · '), waitingFor(s)];
  if (s.touchpoints.length) {
    lines.push(s.touchpoints.map((tp) => `第 ${tp.index + 1} 次（${channel(tp)}，${at(tp.dueAt)}）：${TOUCHPOINT_STATUS_LABELS[tp.status]}`).join('\n'));
  }
  return lines.join('\n\n');
}

function waitingFor(s: Pick<FollowUpState, 'status' | 'touchpoints' | 'cancelReason'>): string {
  if (s.status === 'cancelled') return `已取消：${s.cancelReason ? CANCEL_REASON_LABELS[s.cancelReason] : '—'}`;
  if (s.status === 'completed' || s.status === 'unreachable' || s.status === 'no_plan') return FOLLOW_UP_STATUS_LABELS[s.status];
  const open = s.touchpoints.filter((tp) => tp.status === 'open');
  const next = s.touchpoints.find((tp) => tp.status === 'scheduled');
  const parts = open.map((tp) => {
    const who = tp.channel === 'phone' ? '等待客服致电' : '等待患者回复';
    return `第 ${tp.index + 1} 次随访${who}${tp.retryAt ? `（${at(tp.retryAt)} 再次联系）` : ''}`;
  });
  if (next) parts.push(`第 ${next.index + 1} 次随访（${channel(next)}）${at(next.dueAt)} 生成任务`);
  return parts.length ? parts.join('；') : '正在安排随访计划';
}
