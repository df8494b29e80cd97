import { Hl7Message } from '@medplum/core';
import { describe, expect, it } from 'vitest';
import { caught } from './caught.test-support.js';
import type { HisEvent } from './event.js';
import { hl7Event, hl7Escape, hl7TimeToIso, Hl7MappingError, sexOf } from './hl7.js';
import { joinName, normalizePhone } from './person.js';

const parse = (...segments: string[]) => Hl7Message.parse(segments.join('\r'));

/** A segment from numbered fields, so long PV1s stay readable: seg('PV1', { 19: 'ZY1', 45: '2026…' }). */
function seg(name: string, fields: Record<number, string>): string {
  const out = Array<string>(Math.max(...Object.keys(fields).map(Number)) + 1).fill('');
  out[0] = name;
  for (const [i, v] of Object.entries(fields)) out[Number(i)] = v;
  return out.join('|');
}

/** A v2.5 ADT^A03 as a Chinese HIS (e.g. 东华/卫宁 style) sends it. */
const A03_V25 = [
  'MSH|^~\\&|HIS|BJZYY|SUIFANG|BJZYY|20261120103512||ADT^A03^ADT_A03|MSG000123|P|2.5|||AL|NE||UNICODE UTF-8',
  'EVN|A03|20261120103500|||D0457^李^明|20261120103000',
  'PID|1||P0012345^^^BJZYY^PI~110105195803021234^^^CHN^NNCHN||王秀英^^^^^^L||19580302|F|||望京街道花家地南里5号楼^3单元402室^北京市^北京市^100102^CHN^H||^PRN^PH^^^010^12345678~^PRN^CP^^^^^^^^^13812341234',
  'PV1|1|I|GK01^301^12^BJZYY||||D0457^李^明^^^^主任医师|||GK|||||||D0457^李^明|IP|ZY20261120001|||||||||||||||||||||||||20261110083000|20261120103000',
  'DG1|1|I10|S72.001^股骨颈骨折^I10|股骨颈骨折|20261110|F',
  'PR1|1|ICD9CM|79.3501^股骨颈骨折内固定术^ICD9CM||20261111090000',
];

/** The same discharge in v2.3: no MSH-9.3, PV1-45 with an explicit offset, name split family^given. */
const A03_V23 = [
  'MSH|^~\\&|HIS|HOSP|FU|HOSP|20261120103512||ADT^A03|C7781|P|2.3',
  'EVN|A03|20261120103500',
  'PID|||P-7781||张^伟||19700101|M|||中山路1号^^上海市^上海市||13812341234',
  seg('PV1', { 2: 'I', 3: 'NK^^^^^N', 7: '1234', 10: 'NEI', 19: 'V7781', 45: '20261120020000+0000' }),
];

function expectMappingError(run: () => unknown, location: string, message?: RegExp): Hl7MappingError {
  const e = caught(run, Hl7MappingError);
  expect(e.location).toBe(location);
  if (message) expect(e.message).toMatch(message);
  return e;
}

describe('adtAction: ADT^A03 discharge', () => {
  it('maps a v2.5 message with Chinese UTF-8 text, XTN area code + local number, DG1 and PR1', () => {
    const action = hl7Event(parse(...A03_V25));
    expect(action).toEqual({
      kind: 'discharge',
      encounter: {
        encounterId: 'ZY20261120001',
        patient: {
          id: 'P0012345',
          idNumber: '110105195803021234',
          name: '王秀英',
          sex: 'F',
          birthDate: '1958-03-02',
          phone: '01012345678',
          address: '北京市望京街道花家地南里5号楼3单元402室',
        },
        departmentCodes: ['GK01', '301', '12', 'BJZYY', 'GK'],
        diagnosis: { code: 'S72.001', name: '股骨颈骨折' },
        procedure: '股骨颈骨折内固定术',
        attendingDoctor: '李明',
        ward: 'GK01',
        room: '301',
        bed: '12',
        admittedAt: '2026-11-10T08:30:00+08:00',
        dischargedAt: '2026-11-20T10:30:00+08:00',
      },
    } satisfies HisEvent);
  });

  it('maps a v2.3 message: no MSH-9.3, CJK family^given joined without a space, offset kept, a doctor ID is not a name', () => {
    const action = hl7Event(parse(...A03_V23));
    expect(action.kind).toBe('discharge');
    if (action.kind !== 'discharge') return;
    expect(action.encounter).toMatchObject({
      encounterId: 'V7781',
      patient: { id: 'P-7781', name: '张伟', sex: 'M', birthDate: '1970-01-01', phone: '13812341234', address: '上海市中山路1号' },
      // PL-6 location type `N` is a code, not a place; PV1-10 follows.
      departmentCodes: ['NK', 'NEI'],
      dischargedAt: '2026-11-20T02:00:00+00:00',
    });
    expect(action.encounter.attendingDoctor).toBeUndefined();
    expect(action.encounter.diagnosis).toBeUndefined();
    expect(action.encounter.procedure).toBeUndefined();
  });

  it('marks a patient discharged as expired (PV1-36 = 20) as deceased, and only then', () => {
    const expired = seg('PV1', { 1: '1', 2: 'I', 3: 'GK', 19: 'ZY-9', 36: '20', 45: '20261120103000' });
    const action = hl7Event(parse(A03_V25[0]!, A03_V25[2]!, expired));
    expect(action.kind === 'discharge' && action.encounter.deceased).toBe(true);
    const home = seg('PV1', { 1: '1', 2: 'I', 3: 'GK', 19: 'ZY-9', 36: '01', 45: '20261120103000' });
    const alive = hl7Event(parse(A03_V25[0]!, A03_V25[2]!, home));
    expect(alive.kind === 'discharge' && alive.encounter.deceased).toBeFalsy();
  });

  it('takes the trigger from EVN-1 when MSH-9 has only the message type', () => {
    const msg = parse(A03_V23[0]!.replace('ADT^A03', 'ADT'), ...A03_V23.slice(1));
    expect(hl7Event(msg).kind).toBe('discharge');
  });

  it('reads XTN-12 (unformatted number) and skips fax and e-mail repetitions', () => {
    const phone = (xtn: string) => {
      const pid = `PID|||P1||王秀英||19580302|F|||||${xtn}`;
      const action = hl7Event(parse(A03_V23[0]!, pid, A03_V23[3]!));
      return action.kind === 'discharge' ? action.encounter.patient.phone : undefined;
    };
    const cases: [string, string | undefined][] = [
      ['^^^^^^^^^^^13812341234', '13812341234'],
      ['13812341234', '13812341234'],
      ['^PRN^PH^^^010^12345678', '01012345678'],
      ['138-1234 1234', '13812341234'],
      ['^NET^Internet^wang@example.cn~^WPN^FX^^^010^87654321~^PRN^CP^^^^^^^^^13912345678', '13912345678'],
      ['unknown', undefined],
      ['', undefined],
    ];
    for (const [xtn, want] of cases) expect(phone(xtn), xtn).toBe(want);
  });

  it('uses a location that only comes in a later PV1-3 component (and PV1-10 may be absent)', () => {
    const pv1 = seg('PV1', { 1: '1', 2: 'I', 3: '^^^骨科病区', 19: 'ZY-77', 44: '20261110', 45: '20261120' });
    const action = hl7Event(parse(A03_V23[0]!, A03_V23[2]!, pv1));
    expect(action).toMatchObject({
      kind: 'discharge',
      encounter: { encounterId: 'ZY-77', departmentCodes: ['骨科病区'], dischargedAt: '2026-11-20T00:00:00+08:00' },
    });
    if (action.kind === 'discharge') expect(action.encounter.ward).toBeUndefined();
  });

  it('keeps a Latin name with a space, the legal name repetition, and decodes HL7 escapes', () => {
    const pid = 'PID|||P2||LAO^SHI~WANG^XIUYING^^^^^L||||||Room 1\\F\\2^^Beijing^Beijing';
    const action = hl7Event(parse(A03_V23[0]!, pid, A03_V23[3]!));
    expect(action).toMatchObject({ encounter: { patient: { name: 'WANG XIUYING', address: 'Beijing Room 1|2' } } });
  });

  it('falls back to EVN-6, then EVN-2 for the discharge time', () => {
    const pv1 = seg('PV1', { 1: '1', 2: 'I', 3: 'GK', 19: 'ZY-1' });
    const evn6 = hl7Event(parse(A03_V25[0]!, 'EVN|A03|20261120110000||||20261120103000', A03_V25[2]!, pv1));
    expect(evn6).toMatchObject({ encounter: { dischargedAt: '2026-11-20T10:30:00+08:00' } });
    const evn2 = hl7Event(parse(A03_V25[0]!, 'EVN|A03|20261120110000', A03_V25[2]!, pv1));
    expect(evn2).toMatchObject({ encounter: { dischargedAt: '2026-11-20T11:00:00+08:00' } });
    expectMappingError(() => hl7Event(parse(A03_V25[0]!, 'EVN|A03', A03_V25[2]!, pv1)), 'PV1-45', /出院时间/);
    expectMappingError(() => hl7Event(parse(A03_V25[0]!, A03_V25[2]!, pv1)), 'PV1-45');
  });

  it('falls back to DG1-4 for the diagnosis name', () => {
    const action = hl7Event(parse(...A03_V23, 'DG1|1||E11.9|2型糖尿病'));
    expect(action).toMatchObject({ encounter: { diagnosis: { code: 'E11.9', name: '2型糖尿病' } } });
  });
});

describe('PID-3: 病案号 and ID number', () => {
  const withPid3 = (pid3: string) => A03_V23.map((line) => (line.startsWith('PID') ? line.replace('P-7781', pid3) : line));

  it('the MR repetition is the 病案号 even when a resident ID comes first; the ID is kept apart', () => {
    const event = hl7Event(parse(...withPid3('110105199001011232^^^CHN^NI~ZY0012345^^^HOSP^MR')));
    expect(event).toMatchObject({ kind: 'discharge', encounter: { patient: { id: 'ZY0012345', idNumber: '110105199001011232' } } });
  });

  it('an untyped 18-digit resident ID (valid check digit) is not taken as the 病案号', () => {
    const event = hl7Event(parse(...withPid3('110105199001011232~A7781')));
    expect(event).toMatchObject({ kind: 'discharge', encounter: { patient: { id: 'A7781', idNumber: '110105199001011232' } } });
  });
});

describe('adtAction: other triggers', () => {
  const admit = (trigger: string) => [
    `MSH|^~\\&|HIS|H|FU|H|20261110083000||ADT^${trigger}^ADT_A01|M${trigger}|P|2.4`,
    `EVN|${trigger}|20261110083000`,
    'PID|1||P0012345^^^H^PI||王秀英||19580302|F',
    seg('PV1', { 1: '1', 2: 'I', 3: 'GK01^301^12', 7: 'D0457^李^明', 19: 'ZY20261120001', 44: '20261110083000' }),
  ];

  it('A01 and A04 admit (no discharge time needed)', () => {
    for (const trigger of ['A01', 'A04']) {
      const action = hl7Event(parse(...admit(trigger)));
      expect(action).toEqual({
        kind: 'admit',
        encounter: {
          encounterId: 'ZY20261120001',
          patient: { id: 'P0012345', name: '王秀英', sex: 'F', birthDate: '1958-03-02' },
          departmentCodes: ['GK01', '301', '12'],
          attendingDoctor: '李明',
          ward: 'GK01',
          room: '301',
          bed: '12',
          admittedAt: '2026-11-10T08:30:00+08:00',
        },
      });
    }
  });

  it('A11 cancels the admission and A13 the discharge; only PV1-19 is needed', () => {
    const cancel = (trigger: string) =>
      hl7Event(parse(`MSH|^~\\&|HIS|H|FU|H|20261121||ADT^${trigger}^ADT_A09|X1|P|2.5`, `EVN|${trigger}|20261121`, seg('PV1', { 1: '1', 2: 'I', 19: 'ZY-9' })));
    expect(cancel('A11')).toEqual({ kind: 'cancel', encounterId: 'ZY-9', what: 'admission' });
    expect(cancel('A13')).toEqual({ kind: 'cancel', encounterId: 'ZY-9', what: 'discharge' });
  });
});

describe('adtAction: errors name the field', () => {
  it('ignores message types and events it has no use for (acknowledged, not refused)', () => {
    expect(hl7Event(parse('MSH|^~\\&|HIS|H|FU|H|20261120||ADT^A17^ADT_A17|1|P|2.4', 'PV1|1|I'))).toEqual({
      kind: 'ignored',
      reason: '随访系统不使用 ADT^A17 消息',
    });
    expect(hl7Event(parse('MSH|^~\\&|HIS|H|FU|H|20261120||ORM^O01|1|P|2.3'))).toMatchObject({ kind: 'ignored' });
  });

  it('A08, A28 and A31 update the patient: only what is given, a name is not required', () => {
    for (const trigger of ['A08', 'A28', 'A31']) {
      const event = hl7Event(parse(`MSH|^~\\&|HIS|H|FU|H|20261120||ADT^${trigger}^ADT_A01|1|P|2.5`, 'PID|1||P0012345||||||||||13912345678', 'PV1|1|I'));
      expect(event).toEqual({ kind: 'patient_update', patient: { id: 'P0012345', phone: '13912345678' } });
    }
  });

  it('garbage that still starts with MSH is refused (AR): no message type', () => {
    const e = expectMappingError(() => hl7Event(parse('MSH|this is not really hl7')), 'MSH-9', /MSH-9 消息类型缺失/);
    expect(e.ackCode).toBe('AR');
  });

  it('takes the visit number from PID-18 when PV1-19 is empty, or only from the configured fields', () => {
    const [msh, evn, , pv1] = A03_V23;
    const pid = 'PID|||P-7781||张^伟||19700101|M||||||||||ACC-1';
    const noVisit = pv1!.replace('V7781', '');
    const event = hl7Event(parse(msh!, evn!, pid, noVisit));
    expect(event.kind === 'discharge' && event.encounter.encounterId).toBe('ACC-1');
    expectMappingError(() => hl7Event(parse(msh!, evn!, pid, noVisit), { visitFields: ['PV1-19'] }), 'PV1-19', /就诊号缺失/);
  });

  it('missing or malformed PV1-19', () => {
    const [msh, evn, pid, pv1] = A03_V23;
    expectMappingError(() => hl7Event(parse(msh!, evn!, pid!)), 'PV1', /PV1/);
    expectMappingError(() => hl7Event(parse(msh!, evn!, pid!, pv1!.replace('V7781', ''))), 'PV1-19', /缺失/);
    expectMappingError(() => hl7Event(parse(msh!, evn!, pid!, pv1!.replace('V7781', 'ZY 7781/1'))), 'PV1-19', /只能包含/);
    expectMappingError(() => hl7Event(parse(msh!, evn!, pid!, pv1!.replace('V7781', '住院号1'))), 'PV1-19');
  });

  it('missing PID, PID-3 or PID-5', () => {
    const [msh, evn, , pv1] = A03_V23;
    expectMappingError(() => hl7Event(parse(msh!, evn!, pv1!)), 'PID');
    expectMappingError(() => hl7Event(parse(msh!, evn!, 'PID|||||王秀英', pv1!)), 'PID-3', /患者 ID 缺失/);
    expectMappingError(() => hl7Event(parse(msh!, evn!, 'PID|||P1||', pv1!)), 'PID-5', /姓名缺失/);
    expectMappingError(() => hl7Event(parse(msh!, evn!, 'PID|||P 1||王秀英', pv1!)), 'PID-3', /只能包含/);
  });

  it('bad dates name their field; partial birth dates are dropped', () => {
    const [msh, evn, , pv1] = A03_V23;
    expectMappingError(() => hl7Event(parse(msh!, evn!, 'PID|||P1||王秀英||19581302', pv1!)), 'PID-7');
    expectMappingError(() => hl7Event(parse(msh!, evn!, 'PID|||P1||王秀英', pv1!.replace('20261120020000+0000', 'yesterday'))), 'PV1-45');
    const partial = hl7Event(parse(msh!, evn!, 'PID|||P1||王秀英||1958', pv1!));
    expect(partial.kind).toBe('discharge');
    if (partial.kind === 'discharge') expect(partial.encounter.patient).not.toHaveProperty('birthDate');
  });

  it('needs a department from PV1-3 or PV1-10', () => {
    const [msh, evn, pid] = A03_V23;
    expectMappingError(() => hl7Event(parse(msh!, evn!, pid!, seg('PV1', { 1: '1', 2: 'I', 19: 'ZY-1', 44: '20261110', 45: '20261120' }))), 'PV1-3');
  });

  it('applies the JSON route’s length rules', () => {
    const [msh, evn, , pv1] = A03_V23;
    expectMappingError(() => hl7Event(parse(msh!, evn!, `PID|||P1||${'王'.repeat(65)}`, pv1!)), 'PID-5', /最长 64/);
  });
});

describe('helpers', () => {
  it('hl7TimeToIso', () => {
    expect(hl7TimeToIso('20261120103000')).toBe('2026-11-20T10:30:00+08:00');
    expect(hl7TimeToIso('202611201030')).toBe('2026-11-20T10:30:00+08:00');
    expect(hl7TimeToIso('20261120103000+0800')).toBe('2026-11-20T10:30:00+08:00');
    expect(hl7TimeToIso('20261120103000.25-0500')).toBe('2026-11-20T10:30:00.250-05:00');
    expect(hl7TimeToIso('2026-11-20 10:30:00')).toBe('2026-11-20T10:30:00+08:00');
    expect(hl7TimeToIso('20260230')).toBeUndefined();
    expect(hl7TimeToIso('20261120250000')).toBeUndefined();
    expect(hl7TimeToIso('2026112')).toBeUndefined();
  });

  it('joinName, sexOf, normalizePhone, hl7Escape', () => {
    expect(joinName('欧阳', '娜娜')).toBe('欧阳娜娜');
    expect(joinName('Smith', 'John')).toBe('Smith John');
    expect(joinName('', '秀英')).toBe('秀英');
    expect(['M', 'F', 'O', 'U', 'A', 'N', '1', '2', '女', 'X'].map(sexOf)).toEqual(['M', 'F', 'O', 'U', 'U', 'U', 'M', 'F', 'F', undefined]);
    expect(normalizePhone('(010) 1234-5678')).toBe('01012345678');
    expect(normalizePhone('+86 138 1234 1234')).toBe('+8613812341234');
    expect(normalizePhone('12345')).toBeUndefined();
    const ctx = Hl7Message.parse('MSH|^~\\&|').context;
    expect(hl7Escape('a|b^c&d~e\\f\rg', ctx)).toBe('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f g');
  });
});
