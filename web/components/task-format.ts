/** Labels and time formatting for the agent's task pages (client-safe: no server imports). */
import { CHANNEL_LABELS, CONTACT_OUTCOME_LABELS, TASK_STATUSES, TOUCHPOINT_STATUS_LABELS, type TaskStatus } from '../../workflows/follow-up/labels.js';

export const TIME_ZONE = 'Asia/Shanghai';

/** The status tabs of 今日任务, in the order of their `1`–`5` shortcuts. */
export const STATUS_TABS: readonly { status: TaskStatus; label: string }[] = TASK_STATUSES.map((status) => ({ status, label: TOUCHPOINT_STATUS_LABELS[status] }));

/** Labels of codes read back from the database (typed as plain strings there); an unknown code as it is. */
export const outcomeLabel = (outcome: string): string => (CONTACT_OUTCOME_LABELS as Record<string, string>)[outcome] ?? outcome;
export const channelLabel = (channel: string): string => (CHANNEL_LABELS as Record<string, string>)[channel] ?? channel;

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
