/**
 * 常用问题快捷回复: the topics patients ask about most, their Chinese labels, and the search the
 * agent's shortcut box and the admin page share (pure, browser-safe).
 */

export const CANNED_REPLY_TOPICS = ['medication', 'revisit', 'billing', 'report', 'other'] as const;
export type CannedReplyTopic = (typeof CANNED_REPLY_TOPICS)[number];
export const CANNED_REPLY_TOPIC_LABELS: Record<CannedReplyTopic, string> = {
  medication: '用药',
  revisit: '复诊',
  billing: '费用/报销',
  report: '检查报告',
  other: '其他',
};
export const isCannedReplyTopic = (v: unknown): v is CannedReplyTopic => typeof v === 'string' && Object.hasOwn(CANNED_REPLY_TOPIC_LABELS, v);

export const MAX_CANNED_TITLE = 40;
export const MAX_CANNED_BODY = 1000;

export interface CannedReply {
  id: number;
  /** null: hospital-wide (全院通用). */
  departmentCode: string | null;
  departmentName: string | null;
  topic: CannedReplyTopic;
  topicLabel: string;
  title: string;
  body: string;
  active: boolean;
}

/**
 * The replies matching what was typed: every space-separated term must occur in the title, the
 * body, the topic's label or the department's name (case-insensitive). Title matches first, then
 * the department's own replies before hospital-wide ones, then by title.
 */
export function matchCannedReplies<T extends Pick<CannedReply, 'title' | 'body' | 'topicLabel' | 'departmentName' | 'departmentCode'>>(
  replies: readonly T[],
  query: string,
): T[] {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const hay = (r: T) => `${r.title}\n${r.body}\n${r.topicLabel}\n${r.departmentName ?? '全院通用'}`.toLowerCase();
  const score = (r: T) => (terms.length > 0 && terms.every((t) => r.title.toLowerCase().includes(t)) ? 0 : 1);
  return replies
    .filter((r) => terms.every((t) => hay(r).includes(t)))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => score(a.r) - score(b.r) || Number(a.r.departmentCode === null) - Number(b.r.departmentCode === null) || a.i - b.i)
    .map(({ r }) => r);
}

/** The text after inserting `snippet` into `text` at the caret (selection replaced), and the new caret position. */
export function insertAtCaret(text: string, snippet: string, start: number, end = start): { text: string; caret: number } {
  const s = Math.max(0, Math.min(start, text.length));
  const e = Math.max(s, Math.min(end, text.length));
  const before = text.slice(0, s);
  const after = text.slice(e);
  // A reply inserted after other words starts on its own line.
  const lead = before.length > 0 && !/\s$/.test(before) ? '\n' : '';
  const out = `${before}${lead}${snippet}${after}`;
  return { text: out, caret: before.length + lead.length + snippet.length };
}
