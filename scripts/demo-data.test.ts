import { describe, it, expect } from 'vitest';
import { DEMO_DEPARTMENTS, DEMO_USERS, generateDemoDischarges, type DemoDischarge } from './demo-data.js';
import { DEMO_ROUTES } from './demo-tickets.js';

const NOW = new Date('2026-11-20T02:30:00Z'); // 10:30 in Shanghai
const DAY = 24 * 60 * 60 * 1000;
const HIS_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const SHANGHAI_ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\+08:00$/;

const clinicalCodes = new Set(DEMO_DEPARTMENTS.filter((d) => d.kind === 'clinical').map((d) => d.code));
const departmentCodes = new Set(DEMO_DEPARTMENTS.map((d) => d.code));

/** Age in whole years on the Shanghai discharge day. */
function ageAtDischarge(d: DemoDischarge): number {
  const [by, bm, bd] = d.patient.birthDate.split('-').map(Number) as [number, number, number];
  const [dy, dm, dd] = d.dischargedAt.slice(0, 10).split('-').map(Number) as [number, number, number];
  return dy - by - (dm < bm || (dm === bm && dd < bd) ? 1 : 0);
}

describe('DEMO_DEPARTMENTS', () => {
  it('has unique codes and the five clinical departments', () => {
    expect(departmentCodes.size).toBe(DEMO_DEPARTMENTS.length);
    expect([...clinicalCodes].sort()).toEqual(['FCK', 'GK', 'NFM', 'PWK', 'XNK']);
    for (const code of ['HLB', 'YWK', 'ZWK', 'MZB']) {
      expect(DEMO_DEPARTMENTS.find((d) => d.code === code)?.kind).toBe('functional');
    }
  });
});

describe('DEMO_USERS', () => {
  it('has fourteen users with unique usernames', () => {
    expect(DEMO_USERS).toHaveLength(14);
    expect(new Set(DEMO_USERS.map((u) => u.username)).size).toBe(14);
    const agentDepartments = new Set(DEMO_USERS.filter((u) => u.role === 'agent').map((u) => u.departmentCode));
    for (const d of DEMO_DEPARTMENTS.filter((d) => d.kind === 'clinical')) expect(agentDepartments).toContain(d.code);
  });

  it('gives every department a complaint category routes to someone who can act on it', () => {
    const actors = new Set(DEMO_USERS.filter((u) => u.role === 'dept_head' || u.role === 'dept_staff').map((u) => u.departmentCode));
    for (const department of Object.values(DEMO_ROUTES)) expect(actors).toContain(department);
  });

  it('covers every role and the well-known logins', () => {
    expect(new Set(DEMO_USERS.map((u) => u.role))).toEqual(new Set(['agent', 'dept_head', 'dept_staff', 'manager', 'admin']));
    const names = DEMO_USERS.map((u) => u.username);
    for (const name of ['admin', 'manager', 'agent1']) expect(names).toContain(name);
  });

  it('points every user at an existing department (or none for admin/manager)', () => {
    for (const u of DEMO_USERS) {
      if (u.role === 'admin' || u.role === 'manager') expect(u.departmentCode).toBeNull();
      else expect(departmentCodes.has(u.departmentCode ?? '')).toBe(true);
      expect(u.displayName).toMatch(/^[\u4e00-\u9fa5]{2,4}$/);
    }
  });
});

describe('generateDemoDischarges', () => {
  const discharges = generateDemoDischarges({ now: NOW });

  it('produces 200 by default, each with its own encounter and patient', () => {
    expect(discharges).toHaveLength(200);
    expect(new Set(discharges.map((d) => d.encounterId)).size).toBe(200);
    expect(new Set(discharges.map((d) => d.patient.id)).size).toBe(200);
    expect(generateDemoDischarges({ now: NOW, count: 7 })).toHaveLength(7);
    expect(generateDemoDischarges({ now: NOW, count: 0 })).toEqual([]);
  });

  it('uses identifiers the HIS endpoint accepts', () => {
    for (const d of discharges) {
      expect(d.encounterId).toMatch(HIS_ID);
      expect(d.patient.id).toMatch(HIS_ID);
    }
  });

  it('is deterministic for the same now and seed', () => {
    expect(generateDemoDischarges({ now: NOW, seed: 7 })).toEqual(generateDemoDischarges({ now: new Date(NOW), seed: 7 }));
    expect(generateDemoDischarges({ now: NOW })).toEqual(discharges);
  });

  it('derives IDs from seed and index only, never from now', () => {
    const later = generateDemoDischarges({ now: new Date(NOW.getTime() + 3 * DAY) });
    expect(later.map((d) => d.encounterId)).toEqual(discharges.map((d) => d.encounterId));
    expect(later.map((d) => d.patient.id)).toEqual(discharges.map((d) => d.patient.id));
    // Patients themselves stay the same too; only the dates move.
    expect(later.map((d) => [d.patient.name, d.patient.phone, d.diagnosis.code])).toEqual(
      discharges.map((d) => [d.patient.name, d.patient.phone, d.diagnosis.code]),
    );
    const other = generateDemoDischarges({ now: NOW, seed: 99 });
    const ids = new Set(discharges.map((d) => d.encounterId));
    expect(other.some((d) => ids.has(d.encounterId))).toBe(false);
  });

  it('discharges within [now - days, now], between 08:00 and 20:00 Shanghai time, some in the evening', () => {
    for (const days of [60, 7, 1]) {
      const list = days === 60 ? discharges : generateDemoDischarges({ now: NOW, days });
      for (const d of list) {
        const m = SHANGHAI_ISO.exec(d.dischargedAt);
        expect(m, d.dischargedAt).not.toBeNull();
        const t = Date.parse(d.dischargedAt);
        expect(Number.isNaN(t)).toBe(false);
        expect(t).toBeLessThanOrEqual(NOW.getTime());
        expect(t).toBeGreaterThanOrEqual(NOW.getTime() - days * DAY);
        const minutes = Number(m![4]) * 60 + Number(m![5]);
        expect(minutes).toBeGreaterThanOrEqual(8 * 60);
        expect(minutes).toBeLessThanOrEqual(20 * 60);
      }
    }
    expect(discharges.some((d) => Number(d.dischargedAt.slice(11, 13)) >= 18)).toBe(true);
    expect(new Set(discharges.map((d) => d.dischargedAt.slice(0, 10))).size).toBeGreaterThan(30);
  });

  it('never discharges in the future, even when now is before 08:00 Shanghai time', () => {
    const early = new Date('2026-11-19T22:00:00Z'); // 06:00 on 11-20 in Shanghai
    for (const d of generateDemoDischarges({ now: early, days: 1 })) {
      expect(Date.parse(d.dischargedAt)).toBeLessThanOrEqual(early.getTime());
      expect(d.dischargedAt.slice(0, 10)).toBe('2026-11-19');
    }
  });

  it('only uses clinical departments, and all of them', () => {
    for (const d of discharges) expect(clinicalCodes.has(d.department)).toBe(true);
    expect(new Set(discharges.map((d) => d.department))).toEqual(clinicalCodes);
    expect(new Set(generateDemoDischarges({ now: NOW, count: 5 }).map((d) => d.department))).toEqual(clinicalCodes);
  });

  it('gives every patient a plausible name, phone, address, birth date, diagnosis and doctor', () => {
    for (const d of discharges) {
      expect(d.patient.name).toMatch(/^[\u4e00-\u9fa5]{2,3}$/);
      expect(['M', 'F']).toContain(d.patient.sex);
      expect(d.patient.phone).toMatch(/^1[3-9]\d{9}$/);
      expect(d.patient.address).toMatch(/^(北京市|天津市|河北省).+(室|村\d+号)$/);
      expect(d.patient.birthDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isNaN(Date.parse(d.patient.birthDate))).toBe(false);
      const age = ageAtDischarge(d);
      expect(age).toBeGreaterThanOrEqual(18);
      expect(age).toBeLessThanOrEqual(90);
      expect(d.diagnosis.code).toMatch(/^[A-Z]\d{2}(\.\d{1,3})?$/);
      expect(d.diagnosis.name.length).toBeGreaterThan(0);
      expect(d.attendingDoctor).toMatch(/^[\u4e00-\u9fa5]{2,3}$/);
      if (d.procedure !== undefined) expect(d.procedure).toMatch(/术$/);
    }
    // Non-surgical departments record no procedure; surgical ones mostly do.
    expect(discharges.filter((d) => d.department === 'NFM').every((d) => d.procedure === undefined)).toBe(true);
    const gk = discharges.filter((d) => d.department === 'GK');
    expect(gk.length).toBeGreaterThan(0);
    expect(gk.every((d) => d.procedure !== undefined)).toBe(true);
    expect(new Set(discharges.map((d) => d.patient.phone)).size).toBeGreaterThan(195);
  });

  it('only admits women aged 22–42 to obstetrics', () => {
    const fck = discharges.filter((d) => d.department === 'FCK');
    expect(fck.length).toBeGreaterThan(0);
    for (const d of fck) {
      expect(d.patient.sex).toBe('F');
      expect(d.diagnosis.code.startsWith('O')).toBe(true);
      const age = ageAtDischarge(d);
      expect(age).toBeGreaterThanOrEqual(22);
      expect(age).toBeLessThanOrEqual(42);
    }
    const caesareans = fck.filter((d) => d.diagnosis.code.startsWith('O82'));
    expect(caesareans.every((d) => d.procedure === '剖宫产术')).toBe(true);
  });

  it('rejects nonsense options', () => {
    expect(() => generateDemoDischarges({ now: new Date('nope') })).toThrow(RangeError);
    expect(() => generateDemoDischarges({ now: NOW, count: -1 })).toThrow(RangeError);
    expect(() => generateDemoDischarges({ now: NOW, days: 0 })).toThrow(RangeError);
    expect(() => generateDemoDischarges({ now: NOW, seed: 1.5 })).toThrow(RangeError);
  });
});
