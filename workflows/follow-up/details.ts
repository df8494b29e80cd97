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

/** A span as the hospital says it: "1 天", "2 小时", "30 分钟" (the largest whole unit). */
export function spanLabel(seconds: number): string {
  for (const [unit, size] of [['天', 86_400], ['小时', 3_600], ['分钟', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  }
  return seconds >= 3_600 ? `${Math.round(seconds / 3_600)} 小时` : seconds >= 60 ? `${Math.round(seconds / 60)} 分钟` : `${seconds} 秒`;
}

/** The timer beside an open phone task: "第 1 次随访待客服致电（1 天内未处理则通知科主任）". */
export function phoneTaskWatchSummary(tp: TouchpointState, limitSeconds: number): string {
  return `第 ${tp.index + 1} 次随访待客服致电（${spanLabel(limitSeconds)}内未处理则通知科主任）`;
}

/** The timer after a survey link was sent: "第 1 次随访问卷等待患者回复（1 小时后再次联系）". */
export function surveyReplyWaitSummary(tp: TouchpointState): string {
  return `第 ${tp.index + 1} 次随访问卷等待患者回复（${spanLabel(tp.retryAfterSeconds)}后再次联系）`;
}

/** The timer before the discharge greeting, held back to daytime. */
export const GREETING_WAIT_SUMMARY = '等待白天发送出院关怀短信';

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
