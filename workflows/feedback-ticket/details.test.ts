import { describe, expect, it } from 'vitest';
import { ticketDetails } from './details.js';

const base = { number: 'FK2026-0001', category: 'environment', escalationLevel: 0, reopenCount: 0 } as const;

describe('ticketDetails (what the Temporal UI shows)', () => {
  it('open: what it is and the SLA deadline in Beijing time', () => {
    expect(ticketDetails({ ...base, status: 'open', nextDeadline: '2026-11-30T02:05:00Z' })).toBe(
      '**工单 FK2026-0001** · 环境设施 · 待处理\n\n等待科室处理：SLA 截止 11月30日 10:05',
    );
  });

  it('escalated once, then past the second level', () => {
    expect(ticketDetails({ ...base, status: 'in_progress', escalationLevel: 1, nextDeadline: '2026-12-01T16:00:00Z' })).toBe(
      '**工单 FK2026-0001** · 环境设施 · 处理中 · 已超时（一级（科主任、督导））\n\n等待科室处理：12月2日 00:00 仍未处理将上报管理层',
    );
    expect(ticketDetails({ ...base, status: 'open', escalationLevel: 2 })).toContain('等待科室处理（已升级至管理层）');
  });

  it('resolved waits for the rating; closed says how it ended; a reopened ticket says so', () => {
    expect(ticketDetails({ ...base, status: 'resolved', nextDeadline: '2026-12-03T01:00:00Z' })).toContain('等待患者评价：截止 12月3日 09:00');
    expect(ticketDetails({ ...base, status: 'closed', rating: 4 })).toContain('已关闭：患者评分 4 分');
    expect(ticketDetails({ ...base, status: 'closed', reopenCount: 1 })).toBe('**工单 FK2026-0001** · 环境设施 · 已关闭 · 重新打开 1 次\n\n已关闭：患者未评价');
  });
});
