import { describe, expect, it } from 'vitest';
import { oneTimePassword, passwordExpired, passwordProblem } from './password-policy.js';

const policy = { minLength: 10, history: 5, maxAgeDays: 90 };

describe('password policy', () => {
  it('asks for length and three character classes, and not the username', () => {
    expect(passwordProblem('Ab1!', policy)).toBe('密码至少 10 位');
    expect(passwordProblem('abcdefghij1', policy)).toMatch(/至少三类/);
    expect(passwordProblem('Abcdefghij1', policy)).toBeNull();
    expect(passwordProblem('zhangsan#2026', policy, 'ZhangSan')).toBe('密码不能包含用户名');
    expect(passwordProblem('Kq7#mWx2pLr9', policy, 'zhangsan')).toBeNull();
  });

  it('expires after the configured days, never with 0', () => {
    const changed = new Date('2026-08-01T00:00:00+08:00');
    expect(passwordExpired(changed, policy, new Date('2026-10-29T23:59:59+08:00'))).toBe(false);
    expect(passwordExpired(changed, policy, new Date('2026-10-30T00:00:00+08:00'))).toBe(true);
    expect(passwordExpired(changed, { maxAgeDays: 0 }, new Date('2036-01-01T00:00:00+08:00'))).toBe(false);
  });

  it('makes one-time passwords that pass the policy', () => {
    let seed = 7;
    const random = (n: number) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256);
    for (let i = 0; i < 50; i++) {
      const p = oneTimePassword(random);
      expect(p).toHaveLength(12);
      expect(passwordProblem(p, policy)).toBeNull();
    }
  });
});
