import { describe, it, expect } from 'vitest';
import { openingLine, type OpeningFacts } from './opening-line.js';

const base: OpeningFacts = {
  patientName: '王秀英',
  sex: 'F',
  age: 67,
  departmentName: '骨科',
  agentName: '周敏',
  daysSinceDischarge: 3,
};
const line = (over: Partial<OpeningFacts>) => openingLine({ ...base, ...over });

describe('openingLine', () => {
  it('matches the reference example', () => {
    expect(openingLine(base)).toBe('王阿姨，您好！我是骨科的客服小周，您出院3天了，今天打电话想了解一下您的恢复情况。');
  });

  it('uses full-width punctuation', () => {
    const text = openingLine(base);
    expect(text).not.toMatch(/[,!]/);
    expect(text).toContain('，');
    expect(text).toContain('！');
  });

  it('says 叔叔 to a man aged 60 or over', () => {
    expect(line({ patientName: '李建国', sex: 'M', age: 60 })).toMatch(/^李叔叔，您好！/);
    expect(line({ patientName: '李建国', sex: 'M', age: 82 })).toMatch(/^李叔叔，您好！/);
  });

  it('says 阿姨 to a woman aged 60 or over', () => {
    expect(line({ sex: 'F', age: 60 })).toMatch(/^王阿姨，您好！/);
  });

  it('says 女士 / 先生 under 60', () => {
    expect(line({ sex: 'F', age: 59 })).toMatch(/^王女士，您好！/);
    expect(line({ patientName: '张伟', sex: 'M', age: 35 })).toMatch(/^张先生，您好！/);
  });

  it('says 女士 / 先生 when the age is unknown', () => {
    expect(line({ sex: 'F', age: null })).toMatch(/^王女士，您好！/);
    expect(line({ patientName: '张伟', sex: 'M', age: null })).toMatch(/^张先生，您好！/);
  });

  it('uses the full name when the sex is unknown', () => {
    for (const sex of ['O', 'U', null] as const) {
      expect(line({ sex, age: 70 }), String(sex)).toMatch(/^王秀英，您好！我是骨科/);
    }
  });

  it('handles compound surnames', () => {
    expect(line({ patientName: '欧阳娜娜', sex: 'F', age: 30 })).toMatch(/^欧阳女士，您好！/);
    expect(line({ patientName: '诸葛明', sex: 'M', age: 75 })).toMatch(/^诸葛叔叔，您好！/);
    expect(line({ patientName: '司马光', sex: 'M', age: 40 })).toMatch(/^司马先生，您好！/);
    for (const s of ['上官', '东方', '皇甫', '令狐', '慕容', '尉迟', '长孙']) {
      expect(line({ patientName: `${s}明`, sex: 'M', age: 40 }), s).toMatch(new RegExp(`^${s}先生，`));
    }
    // A one-character surname that merely starts like a compound one is not a compound surname.
    expect(line({ patientName: '上', sex: 'M', age: 40 })).toMatch(/^上先生，/);
  });

  it('ignores whitespace in the patient name', () => {
    expect(line({ patientName: ' 王 秀英 ' })).toMatch(/^王阿姨，您好！/);
    expect(line({ patientName: ' 王 秀英 ', sex: null })).toMatch(/^王秀英，您好！/);
  });

  it('uses the full name for names not written in Chinese characters', () => {
    expect(line({ patientName: 'Anna Smith', sex: 'F', age: 30 })).toMatch(/^AnnaSmith，您好！/);
  });

  it('greets without a name when there is none', () => {
    expect(line({ patientName: '' })).toMatch(/^您好！我是骨科的客服小周，/);
  });

  it('calls the agent 小 + surname', () => {
    expect(line({ agentName: '周敏' })).toContain('我是骨科的客服小周，');
    expect(line({ agentName: '欧阳晓' })).toContain('我是骨科的客服小欧阳，');
    expect(line({ agentName: '小周' })).toContain('我是骨科的客服小周，');
    expect(line({ agentName: '陈' })).toContain('我是骨科的客服小陈，');
  });

  it('names the department', () => {
    expect(line({ departmentName: '心血管内科' })).toContain('我是心血管内科的客服小周，');
    expect(line({ departmentName: '  ' })).toContain('我是医院的客服小周，');
  });

  it('says 您今天出院 on day 0', () => {
    expect(line({ daysSinceDischarge: 0 })).toBe('王阿姨，您好！我是骨科的客服小周，您今天出院，打电话想了解一下您的恢复情况。');
  });

  it('counts the days since discharge', () => {
    expect(line({ daysSinceDischarge: 1 })).toContain('您出院1天了，今天打电话');
    expect(line({ daysSinceDischarge: 30 })).toContain('您出院30天了，今天打电话');
  });

  it('treats negative or non-finite days as day 0 and rounds fractions down', () => {
    expect(line({ daysSinceDischarge: -1 })).toContain('您今天出院，');
    expect(line({ daysSinceDischarge: Number.NaN })).toContain('您今天出院，');
    expect(line({ daysSinceDischarge: 2.9 })).toContain('您出院2天了，');
  });
});
