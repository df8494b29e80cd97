/**
 * The password rules (等保 2.0 level 3, 8.1.4.1 身份鉴别 a: 口令具有复杂度要求并定期更换): a minimum length,
 * at least three of four character classes, not the username. Pure; whether it is one of the last
 * passwords needs the stored hashes and is checked by the users service.
 */

export interface PasswordPolicy {
  minLength: number;
  /** How many of the previous passwords a new one may not repeat. */
  history: number;
  /** Days a password stays valid; 0 = it never expires. */
  maxAgeDays: number;
}

export const CHARACTER_CLASSES = [
  { label: '小写字母', test: /[a-z]/ },
  { label: '大写字母', test: /[A-Z]/ },
  { label: '数字', test: /[0-9]/ },
  { label: '符号', test: /[^a-zA-Z0-9]/ },
] as const;

/** What is wrong with a new password, in words for the person choosing it; null when it is acceptable. */
export function passwordProblem(password: string, policy: Pick<PasswordPolicy, 'minLength'>, username?: string): string | null {
  if (password.length < policy.minLength) return `密码至少 ${policy.minLength} 位`;
  if (password.length > 256) return '密码最多 256 位';
  const classes = CHARACTER_CLASSES.filter((c) => c.test.test(password)).length;
  if (classes < 3) return '密码须包含小写字母、大写字母、数字、符号中的至少三类';
  if (username && password.toLowerCase().includes(username.toLowerCase())) return '密码不能包含用户名';
  return null;
}

/** Whether a password set at `changedAt` must be changed at `now`. */
export function passwordExpired(changedAt: Date, policy: Pick<PasswordPolicy, 'maxAgeDays'>, now: Date): boolean {
  return policy.maxAgeDays > 0 && now.getTime() - changedAt.getTime() >= policy.maxAgeDays * 86_400_000;
}

/**
 * A one-time password an administrator hands over (reset, import without a password): 12
 * characters from all four classes, without look-alikes (0/O, 1/l/I). `random` yields bytes.
 */
export function oneTimePassword(random: (n: number) => Uint8Array): string {
  const sets = ['abcdefghijkmnpqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '#%+=@'];
  const all = sets.join('');
  const bytes = random(24);
  const pick = (set: string, i: number) => set[bytes[i]! % set.length]!;
  const chars = [...sets.map((s, i) => pick(s, i)), ...Array.from({ length: 8 }, (_, i) => pick(all, 4 + i))];
  // Shuffle so the classes are not always in the same places (Fisher–Yates with the remaining bytes).
  for (let i = chars.length - 1; i > 0; i--) {
    const j = bytes[12 + i]! % (i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
