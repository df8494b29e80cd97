import { describe, expect, it } from 'vitest';
import { caught } from './caught.test-support.js';
import { HisMappingError } from './event.js';
import { jsonEventFromText } from './json.js';

const body = {
  encounterId: 'ZY2026112301',
  department: 'GK',
  dischargedAt: '2026-11-23T10:30:00+08:00',
  patient: { id: 'P0001', name: '王秀英', sex: 'F', birthDate: '1958-03-02', phone: '13812341234' },
  diagnosis: { code: 'S72.001', name: '股骨颈骨折' },
};

const problemsOf = (text: string) => caught(() => jsonEventFromText(text), HisMappingError).problems.map((p) => p.field);

describe('jsonEventFromText', () => {
  it('maps a discharge: the one department becomes the only department candidate', () => {
    expect(jsonEventFromText(JSON.stringify(body))).toEqual({
      kind: 'discharge',
      encounter: {
        encounterId: 'ZY2026112301',
        departmentCodes: ['GK'],
        dischargedAt: '2026-11-23T10:30:00+08:00',
        patient: body.patient,
        diagnosis: body.diagnosis,
      },
    });
  });

  it('names every field at fault, and (body) for text that is not JSON', () => {
    expect(problemsOf('{not json')).toEqual(['(body)']);
    expect(problemsOf(JSON.stringify({ ...body, dischargedAt: 'yesterday', patient: { id: 'P 1', name: '' } }))).toEqual([
      'patient.id',
      'patient.name',
      'dischargedAt',
    ]);
  });
});
