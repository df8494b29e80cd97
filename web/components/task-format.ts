/** Labels and time formatting for the agent's task pages (client-safe: no server imports). */
import { CONTACT_OUTCOME_LABELS, TOUCHPOINT_STATUS_LABELS } from '../../domain/follow-up-labels.js';
import type { TaskStatus } from '../../services/tasks.js';

export const TIME_ZONE = 'Asia/Shanghai';

/** The status tabs of 今日任务, in the order of their `1`–`5` shortcuts. */
export const STATUS_TABS: readonly { status: TaskStatus; label: string }[] = [
  { status: 'open', label: '待随访' },
  { status: 'completed', label: '已完成' },
  { status: 'unreachable', label: '无法联系' },
  { status: 'refused', label: '拒访' },
  { status: 'cancelled', label: '已取消' },
];

export const TASK_STATUS_LABELS: Record<TaskStatus, string> = TOUCHPOINT_STATUS_LABELS;

export function isTaskStatus(value: string | null | undefined): value is TaskStatus {
  return STATUS_TABS.some((t) => t.status === value);
}

export const OUTCOME_LABELS = CONTACT_OUTCOME_LABELS;

export const CHANNEL_LABELS: Record<string, string> = { phone: '电话', sms: '短信', wechat: '微信' };

export const SEX_LABELS: Record<string, string> = { M: '男', F: '女', O: '其他', U: '未知' };

/** 2026/11/23 09:00 in hospital time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('zh-CN', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

/** 11/23 09:00 — for dense tables. */
export function formatShortTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString('zh-CN', {
    timeZone: TIME_ZONE,
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString('zh-CN', { timeZone: TIME_ZONE });
}

/** 男 / 68 岁, with dashes for what is unknown. */
export function sexAge(sex: string | null, age: number | null): string {
  return `${SEX_LABELS[sex ?? ''] ?? '—'} / ${age === null ? '—' : `${age} 岁`}`;
}
