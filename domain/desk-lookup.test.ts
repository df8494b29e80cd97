import { describe, expect, it } from 'vitest';
import { readDeskLookup } from './desk-lookup.js';

describe('readDeskLookup (挂号窗口: 预约号或身份证号)', () => {
  it('reads an 18-digit resident ID (X last, any case) and an old 15-digit one as the ID number', () => {
    expect(readDeskLookup('11010519491231002X')).toEqual({ by: 'idNumber', idNumber: '11010519491231002X' });
    expect(readDeskLookup(' 110105 19491231 002x ')).toEqual({ by: 'idNumber', idNumber: '11010519491231002X' });
    expect(readDeskLookup('110105491231002')).toEqual({ by: 'idNumber', idNumber: '110105491231002' });
  });

  it('reads an appointment number (in any case, with spaces) as the number', () => {
    expect(readDeskLookup('ap3f9c0a1b2c3d')).toEqual({ by: 'number', number: 'AP3F9C0A1B2C3D' });
    expect(readDeskLookup('AP 2026 1130 0011')).toEqual({ by: 'number', number: 'AP202611300011' });
  });

  it('takes what is neither an ID card nor an AP number as a number (the lookup then says it is unknown)', () => {
    expect(readDeskLookup('12345')).toEqual({ by: 'number', number: '12345' });
    expect(readDeskLookup('1101051949123100')).toEqual({ by: 'number', number: '1101051949123100' });
  });

  it('is null for an empty box', () => {
    expect(readDeskLookup('')).toBeNull();
    expect(readDeskLookup('   ')).toBeNull();
    expect(readDeskLookup(undefined)).toBeNull();
  });
});
