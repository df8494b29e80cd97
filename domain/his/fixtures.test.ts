/**
 * The public sample messages in tests/fixtures/his (see SOURCES.md), written by other vendors'
 * and projects' interfaces, through the mappers: each is understood as a hospital would want.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { caught } from './caught.test-support.js';
import { fhirEvents, fhirReferencesToRead } from './fhir.js';
import { Hl7MappingError, hl7EventFromBytes } from './hl7.js';

const read = (path: string) => readFileSync(new URL(`../../tests/fixtures/his/${path}`, import.meta.url));
const json = (path: string) => JSON.parse(read(path).toString('utf8')) as Record<string, unknown>;

describe('HL7 v2 samples from other systems', () => {
  it('UCLH Epic ADT^A03 v2.4: PV1-19 visit, PV1-45 discharge in 2013, phones with spaces, unknown ward code', () => {
    const event = hl7EventFromBytes(read('hl7/emap-uclh-adt-a03.hl7'));
    expect(event).toMatchObject({
      kind: 'discharge',
      encounter: {
        encounterId: '123412341234',
        patient: { id: '40800000', name: 'AGBTESTD Satesta', sex: 'F', birthDate: '1980-01-01', phone: '02000000000' },
        departmentCodes: expect.arrayContaining(['T11E']) as unknown,
        dischargedAt: '2013-02-11T10:00:00+08:00',
      },
    });
  });

  it('UCLH ADT^A08 updates the patient; ADT^A17 is ignored', () => {
    expect(hl7EventFromBytes(read('hl7/emap-uclh-adt-a08.hl7'))).toMatchObject({ kind: 'patient_update', patient: { id: '40800000', name: 'ORANG BLOD' } });
    expect(hl7EventFromBytes(read('hl7/emap-uclh-adt-a17.hl7'))).toEqual({ kind: 'ignored', reason: '随访系统不使用 ADT^A17 消息' });
  });

  it('LinuxForHealth ADT^A01 v2.6 (MSH-18 ASCII) admits; the MR identifier is the 病案号, the SSN an ID number', () => {
    expect(hl7EventFromBytes(read('hl7/linuxforhealth-adt-a01.hl7'))).toMatchObject({
      kind: 'admit',
      // PID-3 PID1234^5^M11^A^MR^HOSP~1234568965^^^USA^SS: the MR is the key, the SSN is kept apart (masked).
      encounter: { encounterId: '48390', patient: { id: 'PID1234', name: 'DOE JOHN', idNumber: '1234568965' } },
    });
  });

  it('SS-MIX2 ADT^A08 in ISO-2022-JP updates the patient with the kanji name and the first phone', () => {
    expect(hl7EventFromBytes(read('hl7/ssmix2-adt-a08.iso2022jp.hl7'))).toMatchObject({
      kind: 'patient_update',
      patient: { id: '9999013', name: '患者太郎', phone: '0540000000' },
    });
  });

  it('SS-MIX2 ADT^A03 without PV1-19 and PID-18 is refused (AR) naming both fields', () => {
    const e = caught(() => hl7EventFromBytes(read('hl7/ssmix2-adt-a03.iso2022jp.hl7')), Hl7MappingError);
    expect(e.ackCode).toBe('AR');
    expect(e.message).toBe('就诊号缺失(PV1-19、PID-18 都没有)');
  });
});

describe('FHIR R4 samples from the German Medical Informatics Initiative', () => {
  const stay = json('fhir/mii-fall-einrichtungskontakt.json');
  const department = json('fhir/mii-fall-abteilungskontakt.json');
  const receivedAt = new Date('2026-11-29T02:00:00Z');
  const patient = { resourceType: 'Patient', id: '2b9d3335-70df-4055-b33d-27a55fe00855', identifier: [{ value: 'P-MII-1' }], name: [{ family: 'Musterfrau', given: ['Erika'] }] };

  it('a stay whose Patient is only a reference asks for that Patient, then maps with it', () => {
    expect(fhirReferencesToRead(stay)).toEqual(['Patient/2b9d3335-70df-4055-b33d-27a55fe00855']);
    const [event] = fhirEvents(stay, { receivedAt, external: [{ reference: 'Patient/2b9d3335-70df-4055-b33d-27a55fe00855', resource: patient }] });
    expect(event).toMatchObject({
      kind: 'discharge',
      encounter: { encounterId: 'F_0000002', patient: { id: 'P-MII-1', name: 'Musterfrau Erika' }, departmentCodes: ['260123451_MusterKrankenhaus'] },
    });
  });

  it('stay + department contact (partOf) in a transaction Bundle: one discharge, the department from the contact', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:0d9e2a5c-0000-4000-8000-000000000001', resource: stay, request: { method: 'PUT', url: 'Encounter/mii-exa-fall-kontakt-gesundheitseinrichtung-1' } },
        {
          fullUrl: 'urn:uuid:0d9e2a5c-0000-4000-8000-000000000002',
          resource: { ...department, subject: stay.subject, partOf: { reference: 'Encounter/mii-exa-fall-kontakt-gesundheitseinrichtung-1' } },
          request: { method: 'PUT', url: 'Encounter/mii-exa-fall-kontakt-gesundheitseinrichtung-2' },
        },
      ],
    };
    const events = fhirEvents(bundle, { receivedAt, external: [{ reference: 'Patient/2b9d3335-70df-4055-b33d-27a55fe00855', resource: patient }] });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      kind: 'discharge',
      encounter: {
        encounterId: 'F_0000002',
        departmentCodes: ['1500_ACHI', 'RHC-06-210b', 'RHC-06-210b-02', 'RHC-06', '0100', '260123451_MusterKrankenhaus'],
        departmentNames: ['RHC-06-210b', 'RHC-06-210b-02', 'RHC-06', 'Innere Medizin'],
        // The contact's locations by their physical type: room (ro) and bed (bd), for a facilities complaint.
        room: 'RHC-06-210b',
        bed: 'RHC-06-210b-02',
        dischargedAt: '2020-01-11T05:00:00+01:00',
      },
    });
  });
});
