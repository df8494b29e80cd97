import { describe, expect, it } from 'vitest';
import { insertAtCaret, matchCannedReplies } from './canned-replies.js';

const r = (title: string, body: string, topicLabel: string, departmentCode: string | null, departmentName: string | null) => ({
  title,
  body,
  topicLabel,
  departmentCode,
  departmentName,
});

const replies = [
  r('医保报销流程', '出院结算后携带发票到医保窗口…', '费用/报销', null, null),
  r('术后复诊时间', '术后两周到骨科门诊复诊，带上出院小结。', '复诊', 'ORTHO', '骨科'),
  r('降压药怎么吃', '每天早晨固定时间服用，不要自行停药。', '用药', 'CARD', '心内科'),
  r('复诊预约方式', '可通过公众号或拨打预约电话挂号复诊。', '复诊', null, null),
];

describe('matchCannedReplies', () => {
  it('returns everything for an empty query, department replies before hospital-wide ones', () => {
    expect(matchCannedReplies(replies, '  ').map((x) => x.title)).toEqual(['术后复诊时间', '降压药怎么吃', '医保报销流程', '复诊预约方式']);
  });
  it('matches title, body, topic and department, every term, title matches first', () => {
    expect(matchCannedReplies(replies, '复诊').map((x) => x.title)).toEqual(['术后复诊时间', '复诊预约方式']);
    expect(matchCannedReplies(replies, '停药').map((x) => x.title)).toEqual(['降压药怎么吃']);
    expect(matchCannedReplies(replies, '报销').map((x) => x.title)).toEqual(['医保报销流程']);
    expect(matchCannedReplies(replies, '骨科 复诊').map((x) => x.title)).toEqual(['术后复诊时间']);
    expect(matchCannedReplies(replies, '全院 复诊').map((x) => x.title)).toEqual(['复诊预约方式']);
    expect(matchCannedReplies(replies, '挂号')).toHaveLength(1);
    expect(matchCannedReplies(replies, '不存在的词')).toEqual([]);
  });
});

describe('insertAtCaret', () => {
  it('inserts into an empty field', () => {
    expect(insertAtCaret('', '请按时服药。', 0)).toEqual({ text: '请按时服药。', caret: 6 });
  });
  it('starts on a new line after other words and replaces a selection', () => {
    expect(insertAtCaret('患者问用药', 'A', 5)).toEqual({ text: '患者问用药\nA', caret: 7 });
    expect(insertAtCaret('前 XX 后', 'A', 2, 4)).toEqual({ text: '前 A 后', caret: 3 });
  });
  it('clamps a caret beyond the text', () => {
    expect(insertAtCaret('ab ', 'c', 99).text).toBe('ab c');
  });
});
