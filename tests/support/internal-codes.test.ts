import { describe, expect, it } from 'vitest';
import { internalCodesIn } from './internal-codes.js';

describe('internalCodesIn (the walks\' check for Latin codes on Chinese screens)', () => {
  it('finds codes, enums, role names, question IDs and UUIDs, with where they stood', () => {
    const found = internalCodesIn('科室 GK · 状态 resolved · 角色 agent · 红旗: wound_exudate · 患者 f2e645ca-fa96-4bb8-9e3d-8894dd133e28');
    expect(found.map((f) => f.split(' in ')[0])).toEqual(['UUID f2e645ca-fa96-4bb8-9e3d-8894dd133e28', 'GK', 'resolved', 'agent', 'wound_exudate']);
    expect(found[1]).toContain('«科室 GK · 状态 resolved');
  });

  it('lets through the Latin staff use as it is, and what a page is allowed to show', () => {
    expect(internalCodesIn('HL7 消息 · FHIR · SLA 截止 · 导出 PDF / Excel · HIS · IP')).toEqual([]);
    expect(internalCodesIn('工单 FK20261130-00001 · 用户名 zhangli', { allow: [/FK\d{8}-\d{5}/, 'zhangli'] })).toEqual([]);
    expect(internalCodesIn('工单 FK20261130-00001')).toEqual(['FK20261130-00001 in «工单 FK20261130-00001»']);
  });
});
