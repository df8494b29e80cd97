import { describe, expect, it } from 'vitest';
import { dischargeDateText, fillTemplate, placeholderProblem, unknownPlaceholders } from './message-template.js';

describe('message templates', () => {
  const greeting = '{姓名}您好,您于{出院日期}从{科室}出院,{医生}医生为您做了{手术}:伤口保持干燥。';

  it('fills every placeholder from the encounter', () => {
    expect(
      fillTemplate(greeting, { 姓名: '王秀英', 出院日期: '2026年11月30日', 科室: '骨科', 医生: '李明', 手术: '桡骨骨折切开复位内固定术' }),
    ).toBe('王秀英您好,您于2026年11月30日从骨科出院,李明医生为您做了桡骨骨折切开复位内固定术:伤口保持干燥。');
  });

  it('puts a neutral word where the encounter has no value, so the sentence still reads', () => {
    expect(fillTemplate('您在{科室}做了{手术}({医生}医生主刀)', { 科室: '普外科', 手术: null, 医生: '  ' })).toBe('您在普外科做了手术(主治医生主刀)');
  });

  it('leaves text in braces that is no placeholder as written, and names it', () => {
    expect(fillTemplate('{姓名}:{床号} {}', { 姓名: '张三' })).toBe('张三:{床号} {}');
    expect(unknownPlaceholders('{姓名}{床号}{主任}{床号}')).toEqual(['床号', '主任']);
    expect(unknownPlaceholders(greeting)).toEqual([]);
  });

  it('gives the editor a field error listing the unknown placeholders and the known ones', () => {
    expect(placeholderProblem(greeting)).toBeNull();
    const problem = placeholderProblem('{姓名}您好,请于{复诊日期}复诊');
    expect(problem).toContain('{复诊日期}');
    expect(problem).toContain('{出院日期}');
  });

  it('writes the discharge date in the Asia/Shanghai calendar', () => {
    // 17:30 UTC is already the next day in Shanghai.
    expect(dischargeDateText(new Date('2026-11-29T17:30:00Z'))).toBe('2026年11月30日');
    expect(dischargeDateText(new Date('2026-01-05T03:00:00Z'))).toBe('2026年1月5日');
  });
});
