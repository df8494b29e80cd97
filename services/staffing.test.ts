import { describe, expect, it } from 'vitest';
import { parseStaffingQuery } from './staffing.js';

describe('parseStaffingQuery', () => {
  it('reads levels (commas, Chinese commas or spaces), sorted and without repeats', () => {
    expect(parseStaffingQuery({ levels: '8，3, 5 3', hoursPerDay: '9', callsPerHour: '12', days: '31' }, 4)).toEqual({ levels: [3, 5, 8], hoursPerDay: 9, callsPerHour: 12, days: 31 });
  });

  it('without levels asks around the current number of agents', () => {
    expect(parseStaffingQuery({}, 5).levels).toEqual([3, 5, 8]);
    expect(parseStaffingQuery({}, 0).levels).toEqual([1, 3]);
  });

  it('names the field that is wrong', () => {
    expect(() => parseStaffingQuery({ levels: 'abc' }, 5)).toThrow(/levels/);
    expect(() => parseStaffingQuery({ levels: '3', callsPerHour: '0' }, 5)).toThrow(/callsPerHour/);
    expect(() => parseStaffingQuery({ levels: '1,2,3,4,5,6,7,8,9' }, 5)).toThrow(/levels/);
  });
});
