import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { maskRawMessage } from './mask-raw.js';

describe('maskRawMessage', () => {
  it('HL7: person fields masked, structure, patient ID, sex and the other segments kept', () => {
    const raw = readFileSync(new URL('../../tests/fixtures/his/hl7/emap-uclh-adt-a03.hl7', import.meta.url), 'utf8');
    const masked = maskRawMessage('hl7', raw);
    expect(masked).toContain('PID|||40800000^^^MRENTR^MEDREC~*');
    expect(masked).not.toContain('9999999999');
    expect(masked).not.toContain('AGBTESTD');
    expect(masked).not.toContain('07777 000 000');
    expect(masked).toContain('|F|');
    expect(masked).toContain('PV1||I|T11E');
    expect(masked.split('\r')).toHaveLength(raw.split('\n').length);
  });

  it('JSON and FHIR: names, phones, addresses and identifiers of persons', () => {
    const json = maskRawMessage('json', JSON.stringify({ encounterId: 'ZY1', patient: { id: 'P1', name: '王秀英', phone: '13812341234', address: '北京市朝阳区望京街道花家地南里5号楼3单元402室', birthDate: '1958-03-02' } }));
    expect(json).toContain('王**');
    expect(json).toContain('138****1234');
    expect(json).not.toContain('402室');
    expect(json).toContain('1958-**-**');
    expect(json).toContain('"encounterId": "ZY1"');
    const fhir = maskRawMessage(
      'fhir',
      JSON.stringify({ resourceType: 'Bundle', entry: [{ resource: { resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.16.156.10011.1.3', value: '110105195803021234' }], name: [{ text: '王秀英' }], telecom: [{ system: 'phone', value: '13812341234' }] } }] }),
    );
    expect(fhir).not.toContain('110105195803021234');
    expect(fhir).not.toContain('秀英');
    expect(fhir).toContain('urn:oid:2.16.156.10011.1.3');
  });

  it('text that is not a message: long digit runs masked', () => {
    expect(maskRawMessage('hl7', 'garbage 13812341234 x')).toBe('garbage 138******34 x');
  });
});
