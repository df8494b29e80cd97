import { describe, expect, it } from 'vitest';
import type { TouchpointState } from './contracts.js';
import { followUpDetails, phoneTaskWatchSummary, spanLabel, surveyReplyWaitSummary, touchpointWaitSummary } from './details.js';

const tp = (index: number, status: TouchpointState['status'], dueAt: string, channel = 'phone', retryAt?: string): TouchpointState => ({
  index,
  dueAt,
  templateCode: 't',
  channel,
  status,
  attempts: 0,
  maxAttempts: 3,
  retryAfterSeconds: 3600,
  urgent: false,
  ...(retryAt ? { retryAt } : {}),
});

describe('followUpDetails (what the Temporal UI shows)', () => {
  it('waiting for the agent on one touchpoint, the next one planned; every touchpoint with its state', () => {
    const details = followUpDetails({
      encounterId: 'ZY2026112001',
      status: 'awaiting_contact',
      urgent: true,
      touchpoints: [tp(0, 'open', '2026-11-23T01:00:00Z', 'phone', '2026-11-23T03:00:00Z'), tp(1, 'scheduled', '2026-11-27T01:00:00Z', 'sms')],
    });
    expect(details).toBe(
      '**出院随访 ZY2026112001** · 待联系 · 红旗预警\n\n' +
        '第 1 次随访等待客服致电（11月23日 11:00 再次联系）；第 2 次随访（短信）11月27日 09:00 生成任务\n\n' +
        '第 1 次（电话，11月23日 09:00）：待随访\n第 2 次（短信，11月27日 09:00）：未到期',
    );
  });

  it('cancelled and finished follow-ups say how they ended', () => {
    expect(followUpDetails({ encounterId: 'Z1', status: 'cancelled', urgent: false, touchpoints: [], cancelReason: 'death' })).toBe('**出院随访 Z1** · 已取消\n\n已取消：患者死亡');
    expect(followUpDetails({ encounterId: 'Z1', status: 'completed', urgent: false, touchpoints: [] })).toMatch(/随访完成|已完成/);
  });

  it('the timer before a touchpoint says which one, when and how', () => {
    expect(touchpointWaitSummary(tp(1, 'scheduled', '2026-11-27T01:00:00Z'))).toBe('等待第 2 次随访（11月27日 09:00，电话）');
  });
});

describe('timer summaries beside the touchpoints (what the Temporal UI shows instead of "1 (1d)")', () => {
  it('name the touchpoint, what is awaited and the span in Chinese', () => {
    expect(phoneTaskWatchSummary(tp(0, 'open', '2026-11-23T01:00:00Z'), 86_400)).toBe('第 1 次随访待客服致电（1 天内未处理则通知科主任）');
    expect(surveyReplyWaitSummary(tp(1, 'open', '2026-11-23T01:00:00Z', 'sms'))).toBe('第 2 次随访问卷等待患者回复（1 小时后再次联系）');
    expect([spanLabel(90), spanLabel(1_800), spanLabel(5_400), spanLabel(30)]).toEqual(['2 分钟', '30 分钟', '90 分钟', '30 秒']);
  });
});
