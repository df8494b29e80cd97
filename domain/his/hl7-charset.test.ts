import { readFileSync } from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { caught } from './caught.test-support.js';
import { Hl7MappingError, hl7EventFromBytes } from './hl7.js';
import { decodeHl7, encodingOf } from './hl7-charset.js';

const fixture = (name: string) => readFileSync(new URL(`../../tests/fixtures/his/hl7/${name}`, import.meta.url));

const a03 = (msh18: string) =>
  [
    `MSH|^~\\&|HIS|BJZYY|SUIFANG|BJZYY|20261120103512||ADT^A03^ADT_A03|C1|P|2.5|||AL|NE||${msh18}`,
    'PID|1||P0012345||王秀英||19580302|F',
    `PV1|1|I|GK${'|'.repeat(16)}ZY1${'|'.repeat(26)}20261120103000`,
  ].join('\r');

describe('decodeHl7', () => {
  it('decodes GB18030 declared in MSH-18, and GB18030 that is not declared (after UTF-8 fails)', () => {
    const declared = decodeHl7(iconv.encode(a03('GB 18030-2000'), 'gb18030'));
    expect(declared).toMatchObject({ charset: 'gb18030', declared: 'GB 18030-2000' });
    expect(declared.text).toContain('王秀英');
    const undeclared = decodeHl7(iconv.encode(a03(''), 'gb18030'));
    expect(undeclared.charset).toBe('gb18030');
    expect(undeclared.text).toContain('王秀英');
    expect(decodeHl7(Buffer.from(a03(''), 'utf8')).charset).toBe('utf-8');
  });

  it('decodes Japanese SS-MIX2 (MSH-18 "~ISO IR87", ISO 2022 escapes) with the ISO-2022-JP decoder', () => {
    const { text, charset } = decodeHl7(fixture('ssmix2-adt-a08.iso2022jp.hl7'));
    expect(charset).toBe('iso-2022-jp');
    expect(text).toContain('患者^太郎');
    expect(text).toContain('静岡県');
  });

  it('refuses (AR, naming MSH-18) bytes that are invalid in the declared set, or in every fallback', () => {
    const invalidUtf8 = Buffer.concat([Buffer.from(a03('UNICODE UTF-8').replace('王秀英', '')), Buffer.from([0xff, 0xfe, 0x80])]);
    const e = caught(() => decodeHl7(invalidUtf8), Hl7MappingError);
    expect(e).toMatchObject({ location: 'MSH-18', ackCode: 'AR' });
    expect(e.message).toContain('UNICODE UTF-8');
    const ascii = caught(() => decodeHl7(iconv.encode(a03('ASCII'), 'gb18030')), Hl7MappingError);
    expect(ascii.location).toBe('MSH-18');
    const neither = caught(() => decodeHl7(Buffer.concat([Buffer.from(a03('')), Buffer.from([0xff])])), Hl7MappingError);
    expect(neither.message).toContain('未在 MSH-18 声明');
  });

  it('names an unknown character set', () => {
    expect(() => encodingOf('KLINGON')).toThrow(/KLINGON/);
    expect(encodingOf('UNICODE UTF-8')).toBe('utf-8');
    expect(encodingOf('8859/1')).toBe('iso-8859-1');
  });

  it('maps the decoded message: the GB18030 name arrives intact', () => {
    const event = hl7EventFromBytes(iconv.encode(a03('GB 18030-2000'), 'gb18030'));
    expect(event.kind === 'discharge' && event.encounter.patient.name).toBe('王秀英');
  });
});
