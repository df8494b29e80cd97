/** Names, addresses and phone numbers as HIS formats spell them, made uniform. Pure. */

/** Strips spaces, dashes, dots and parentheses; a number of 7–20 digits (optional leading +) or undefined. */
export function normalizePhone(value: string | undefined): string | undefined {
  const stripped = (value ?? '').replace(/[\s\-.()]/g, '');
  return /^\+?\d{7,20}$/.test(stripped) ? stripped : undefined;
}

const CJK = /[\u2E80-\u9FFF\uF900-\uFAFF\u{20000}-\u{3FFFF}]/u;

/** Family + given: no space when either is CJK (王 + 秀英), one space otherwise (WANG XIUYING). */
export function joinName(family: string | undefined, given: string | undefined): string {
  const parts = [family?.trim(), given?.trim()].filter((p): p is string => !!p);
  return joinParts(parts);
}

/** Address parts in the order given, empty ones and consecutive repeats (北京市 北京市) skipped. */
export function joinAddressParts(parts: (string | undefined)[]): string {
  const present = parts.filter((p): p is string => !!p);
  return joinParts(present.filter((p, i) => p !== present[i - 1]));
}

function joinParts(parts: string[]): string {
  return parts.some((p) => CJK.test(p)) ? parts.join('') : parts.join(' ');
}
