import type { Bundle, Encounter, Patient } from 'fhir/r4';
import { describe, expect, it } from 'vitest';
import { caught } from './caught.test-support.js';
import { fhirEvent, fhirEvents, fhirDateTimeToIso, FhirMappingError, toShanghaiIso } from './fhir.js';

const RECEIVED = new Date('2026-11-20T03:00:00Z');

const patient = (overrides: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient',
  id: 'p1',
  identifier: [
    { use: 'secondary', system: 'urn:oid:2.16.156.10011.1.3', value: '110105195803021234' },
    { use: 'official', system: 'urn:his:patient', value: 'P0012345' },
  ],
  name: [{ use: 'official', text: '王秀英' }],
  gender: 'female',
  birthDate: '1958-03-02',
  telecom: [
    { system: 'phone', use: 'home', value: '010-1234 5678' },
    { system: 'phone', use: 'mobile', value: '138 1234 1234' },
    { system: 'email', value: 'wang@example.cn' },
  ],
  address: [{ use: 'home', state: '北京市', city: '北京市', district: '朝阳区', line: ['望京街道花家地南里5号楼', '3单元402室'] }],
  ...overrides,
});

const encounter = (overrides: Partial<Encounter> = {}): Encounter => ({
  resourceType: 'Encounter',
  id: 'enc-1',
  identifier: [
    { use: 'usual', value: 'OTHER-1' },
    { use: 'official', system: 'urn:his:visit', value: 'ZY20261120001' },
  ],
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
  serviceProvider: { identifier: { value: 'GK01' }, reference: 'Organization/GK' },
  location: [{ location: { reference: 'Location/W5', display: '骨科五病区' } }],
  serviceType: { coding: [{ code: 'ORTHO' }] },
  subject: { reference: '#p1' },
  contained: [patient()],
  period: { start: '2026-11-10T08:30:00+08:00', end: '2026-11-20T10:30:00+08:00' },
  participant: [
    { type: [{ coding: [{ code: 'ADM' }] }], individual: { display: '赵医生' } },
    { type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND' }] }], individual: { display: '李明' } },
  ],
  diagnosis: [{ condition: { display: '股骨颈骨折' } }],
  reasonCode: [{ coding: [{ code: 'S72.001', display: '股骨颈骨折(入院原因)' }] }],
  ...overrides,
});

function expectError(run: () => unknown, expression: string | undefined, code?: string): FhirMappingError {
  const e = caught(run, FhirMappingError);
  expect(e.expression).toBe(expression);
  if (code) expect(e.code).toBe(code);
  return e;
}

describe('fhirEvent', () => {
  it('maps a finished Encounter with a contained Patient to a discharge', () => {
    expect(fhirEvent(encounter(), RECEIVED)).toEqual({
      kind: 'discharge',
      encounter: {
        encounterId: 'ZY20261120001',
        patient: {
          id: 'P0012345',
          idNumber: '110105195803021234',
          name: '王秀英',
          sex: 'F',
          birthDate: '1958-03-02',
          phone: '13812341234',
          address: '北京市朝阳区望京街道花家地南里5号楼3单元402室',
        },
        departmentCodes: ['GK01', 'GK', 'W5', 'ORTHO'],
        diagnosis: { name: '股骨颈骨折' },
        attendingDoctor: '李明',
        departmentNames: ['骨科五病区'],
        ward: '骨科五病区',
        admittedAt: '2026-11-10T08:30:00+08:00',
        dischargedAt: '2026-11-20T10:30:00+08:00',
      },
    });
  });

  it('resolves the Patient, Organization, Condition and Practitioner in a transaction Bundle by urn:uuid and Type/id', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:8f3c0b5e-1111-4a6b-9c55-000000000001',
          resource: encounter({
            contained: undefined,
            subject: { reference: 'urn:uuid:8f3c0b5e-1111-4a6b-9c55-000000000002' },
            serviceProvider: { reference: 'Organization/org-gk' },
            location: undefined,
            serviceType: undefined,
            diagnosis: [{ condition: { reference: 'Condition/c1' } }],
            participant: [{ type: [{ coding: [{ code: 'ATND' }] }], individual: { reference: 'Practitioner/d1' } }],
          }),
          request: { method: 'PUT', url: 'Encounter?identifier=ZY20261120001' },
        },
        {
          fullUrl: 'urn:uuid:8f3c0b5e-1111-4a6b-9c55-000000000002',
          resource: patient({ id: undefined, name: [{ family: '王', given: ['秀', '英'] }], telecom: [{ system: 'phone', value: '13912345678' }] }),
        },
        { resource: { resourceType: 'Organization', id: 'org-gk', identifier: [{ value: 'GK' }], name: '骨科' } },
        {
          resource: {
            resourceType: 'Condition',
            id: 'c1',
            subject: { reference: 'Patient/p1' },
            code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'S72.001', display: '股骨颈骨折' }] },
          },
        },
        { resource: { resourceType: 'Practitioner', id: 'd1', name: [{ family: '李', given: ['明'] }] } },
      ],
    };
    const action = fhirEvent(bundle, RECEIVED);
    expect(action).toMatchObject({
      kind: 'discharge',
      encounter: {
        encounterId: 'ZY20261120001',
        patient: { id: 'P0012345', name: '王秀英', phone: '13912345678' },
        departmentCodes: ['GK', 'org-gk'],
        diagnosis: { code: 'S72.001', name: '股骨颈骨折' },
        attendingDoctor: '李明',
      },
    });
  });

  it('accepts collection and message Bundles, a Patient/<id> subject and a Latin name', () => {
    for (const type of ['collection', 'message'] as const) {
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type,
        entry: [
          ...(type === 'message' ? [{ resource: { resourceType: 'MessageHeader' as const, eventUri: 'urn:his:discharge', source: { endpoint: 'his' } } }] : []),
          { resource: encounter({ contained: undefined, subject: { reference: 'Patient/p9' } }) },
          { fullUrl: 'http://his.example.cn/fhir/Patient/p9', resource: patient({ id: 'p9', name: [{ family: 'Wang', given: ['Xiu', 'Ying'] }] }) },
        ],
      };
      expect(fhirEvent(bundle, RECEIVED)).toMatchObject({ encounter: { patient: { name: 'Wang Xiu Ying' } } });
    }
  });

  it('uses the only Patient when the Encounter has no subject', () => {
    const action = fhirEvent(encounter({ subject: undefined }), RECEIVED);
    expect(action).toMatchObject({ encounter: { patient: { id: 'P0012345' } } });
  });

  it('discharge disposition without period.end: discharged at the time of receipt (+08:00)', () => {
    const action = fhirEvent(
      encounter({ period: { start: '2026-11-10' }, hospitalization: { dischargeDisposition: { coding: [{ code: 'home' }] } } }),
      RECEIVED,
    );
    expect(action).toMatchObject({ encounter: { dischargedAt: '2026-11-20T11:00:00.000+08:00', admittedAt: '2026-11-10T00:00:00+08:00' } });
  });

  it('in-progress / arrived admit; cancelled / entered-in-error cancel the discharge', () => {
    expect(fhirEvent(encounter({ status: 'in-progress', period: { start: '2026-11-10T08:30:00+08:00' } }), RECEIVED).kind).toBe('admit');
    expect(fhirEvent(encounter({ status: 'arrived', period: undefined }), RECEIVED).kind).toBe('admit');
    for (const status of ['cancelled', 'entered-in-error'] as const) {
      expect(fhirEvent(encounter({ status, contained: undefined, subject: undefined }), RECEIVED)).toEqual({
        kind: 'cancel',
        encounterId: 'ZY20261120001',
        what: 'discharge',
      });
    }
  });

  it('encounter ID: official identifier, else the first with a value, else the id', () => {
    const id = (e: Encounter) => (fhirEvent(e, RECEIVED) as { encounter: { encounterId: string } }).encounter.encounterId;
    expect(id(encounter({ identifier: [{ value: '' }, { value: 'V-2' }, { value: 'V-3' }] }))).toBe('V-2');
    expect(id(encounter({ identifier: undefined }))).toBe('enc-1');
  });

  it('patient key: an identifier typed MR wins over official; the resident ID system is an ID number', () => {
    const typed = patient({
      identifier: [
        { use: 'official', system: 'urn:oid:2.16.156.10011.1.3', value: '110105195803021234' },
        { use: 'usual', system: 'urn:his:visit-card', value: 'K-88' },
        { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:his:mr', value: 'BA-2026-001' },
      ],
    });
    expect(fhirEvent(encounter({ contained: [typed] }), RECEIVED)).toMatchObject({
      encounter: { patient: { id: 'BA-2026-001', idNumber: '110105195803021234' } },
    });
  });

  it('reasonCode when there is no diagnosis', () => {
    expect(fhirEvent(encounter({ diagnosis: undefined }), RECEIVED)).toMatchObject({
      encounter: { diagnosis: { code: 'S72.001', name: '股骨颈骨折(入院原因)' } },
    });
  });
});

describe('fhirEvent errors name the element', () => {
  it('finished without period.end or dischargeDisposition', () => {
    const e = expectError(() => fhirEvent(encounter({ period: { start: '2026-11-10' } }), RECEIVED), 'Encounter.period.end', 'required');
    expect(e.message).toContain('period.end');
    expectError(() => fhirEvent(encounter({ period: { end: '20 Nov 2026' } }), RECEIVED), 'Encounter.period.end', 'invalid');
  });

  it('no identifier and no id; an identifier of any length or alphabet becomes a stable key', () => {
    expectError(() => fhirEvent(encounter({ identifier: undefined, id: undefined }), RECEIVED), 'Encounter.identifier', 'required');
    const id = (value: string) => {
      const event = fhirEvent(encounter({ identifier: [{ use: 'official', system: 'urn:oid:1.2.156.112604.1.2.9', value }] }), RECEIVED);
      return event.kind === 'discharge' ? event.encounter.encounterId : undefined;
    };
    // FHIR allows both; a workflow ID and a URL need a short plain key, the same for every resend.
    expect(id('住院 1')).toMatch(/^h-[0-9a-f]{40}$/);
    expect(id('住院 1')).toBe(id('住院 1'));
    expect(id(`urn:uuid:${'8f3c0b5e-1111-4a6b-9c55-000000000001'.repeat(3)}`)).toMatch(/^h-[0-9a-f]{40}$/);
    expect(id('6E1B91CC-C25A-4466-94A6-DFDE260C12AB')).toBe('6E1B91CC-C25A-4466-94A6-DFDE260C12AB');
  });

  it('patient problems', () => {
    expectError(() => fhirEvent(encounter({ contained: [patient({ identifier: [] })] }), RECEIVED), 'Patient.identifier', 'required');
    expectError(() => fhirEvent(encounter({ contained: [patient({ name: [] })] }), RECEIVED), 'Patient.name', 'required');
    expectError(() => fhirEvent(encounter({ contained: [patient({ birthDate: '1958-02-30' })] }), RECEIVED), 'Patient.birthDate', 'invalid');
    expectError(() => fhirEvent(encounter({ subject: { reference: '#nobody' } }), RECEIVED), 'Encounter.subject', 'required');
    expectError(() => fhirEvent(encounter({ contained: [patient({ name: [{ text: '王'.repeat(65) }] })] }), RECEIVED), 'Patient.name', 'invalid');
  });

  it('a year-only birth date is dropped, not refused', () => {
    const action = fhirEvent(encounter({ contained: [patient({ birthDate: '1958' })] }), RECEIVED);
    expect(action.kind === 'discharge' && action.encounter.patient).not.toHaveProperty('birthDate');
  });

  it('no department', () => {
    expectError(
      () => fhirEvent(encounter({ serviceProvider: undefined, location: undefined, serviceType: undefined }), RECEIVED),
      'Encounter.serviceProvider',
      'required',
    );
  });

  it('status, resource type, bundle shape', () => {
    expectError(() => fhirEvent(encounter({ status: 'planned' }), RECEIVED), 'Encounter.status', 'not-supported');
    expectError(() => fhirEvent(patient(), RECEIVED), 'resourceType', 'not-supported');
    expectError(() => fhirEvent({ hello: 'world' }, RECEIVED), undefined, 'structure');
    expectError(() => fhirEvent([encounter()], RECEIVED), undefined, 'structure');
    expectError(() => fhirEvent({ resourceType: 'Bundle', type: 'searchset', entry: [] }, RECEIVED), 'Bundle.type', 'invalid');
    expectError(() => fhirEvent({ resourceType: 'Bundle', type: 'batch', entry: [] }, RECEIVED), 'Bundle.entry', 'required');
    // Several stays in one Bundle: one event each.
    const two = fhirEvents({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: encounter() }, { resource: encounter({ identifier: [{ value: 'ZY2' }] }) }] }, { receivedAt: RECEIVED });
    expect(two.map((e) => e.kind === 'discharge' && e.encounter.encounterId)).toEqual(['ZY20261120001', 'ZY2']);
  });
});

describe('time helpers', () => {
  it('fhirDateTimeToIso', () => {
    const cases: [string, string | undefined][] = [
      ['2026-11-20T10:30:00+08:00', '2026-11-20T10:30:00+08:00'],
      ['2026-11-20T02:30:00.123Z', '2026-11-20T02:30:00.123Z'],
      ['2026-11-20T10:30', '2026-11-20T10:30:00+08:00'],
      ['2026-11-20', '2026-11-20T00:00:00+08:00'],
      ['2026-11', undefined],
      ['2026-02-30T10:00:00+08:00', undefined],
    ];
    expect(cases.map(([value]) => fhirDateTimeToIso(value))).toEqual(cases.map(([, iso]) => iso));
  });

  it('toShanghaiIso', () => {
    expect(toShanghaiIso(new Date('2026-11-20T16:30:00Z'))).toBe('2026-11-21T00:30:00.000+08:00');
  });
});
