import { describe, expect, it } from 'vitest';
import { isIdentityDocument, pickPatientIdentifiers } from './person.js';

// 110105199001011232 has a valid GB 11643 check digit; 110105199001011234 does not.
describe('pickPatientIdentifiers: 病案号 vs ID number', () => {
  it('takes the MR-typed identifier as 病案号 wherever it stands, and the NI one as ID number', () => {
    expect(pickPatientIdentifiers([{ value: '110105199001011232', type: 'NI' }, { value: 'ZY0012345', type: 'MR' }])).toEqual({
      patientId: { value: 'ZY0012345', type: 'MR' },
      idNumber: '110105199001011232',
    });
  });

  it('recognises an untyped 18-digit resident ID by its check digit and skips it for the key', () => {
    expect(pickPatientIdentifiers([{ value: '110105199001011232' }, { value: 'A12345' }])).toEqual({
      patientId: { value: 'A12345' },
      idNumber: '110105199001011232',
    });
  });

  it('an 18-digit number with a wrong check digit is an ordinary patient number', () => {
    expect(pickPatientIdentifiers([{ value: '110105199001011234' }])).toEqual({ patientId: { value: '110105199001011234' }, idNumber: undefined });
  });

  it('only an ID number: it is the key (pages mask it) and the ID number', () => {
    expect(pickPatientIdentifiers([{ value: '110105199001011232', type: 'NNCHN' }])).toEqual({
      patientId: { value: '110105199001011232', type: 'NNCHN' },
      idNumber: '110105199001011232',
    });
  });

  it('passports, social security and national IDs of other countries are identity documents', () => {
    for (const type of ['PPN', 'SS', 'NI', 'NNUSA', 'DL']) expect(isIdentityDocument({ value: 'X1', type })).toBe(true);
    for (const type of ['MR', 'PI', 'PT', undefined]) expect(isIdentityDocument({ value: 'X1', type })).toBe(false);
  });

  it('nothing usable', () => {
    expect(pickPatientIdentifiers([{ value: '' }])).toEqual({ patientId: undefined, idNumber: undefined });
  });
});
