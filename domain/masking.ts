/** Masking of personal data for display; the unmasked value never leaves the server for roles that may not see it. */

/** `13812341234`, `+86 138 1234 1234` → `138****1234`; landlines keep area code and last 4 digits. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  let digits = phone.replace(/\D/g, '');
  if (digits.startsWith('86') && digits.length === 13) digits = digits.slice(2);
  if (digits.length === 11 && digits.startsWith('1')) return `${digits.slice(0, 3)}****${digits.slice(7)}`;
  if (digits.length >= 7) {
    // Beijing (010) and 02x cities have 3-digit area codes; other cities 4 (0571, 0755 …).
    const area = digits.startsWith('0') ? digits.slice(0, /^0[12]/.test(digits) ? 3 : 4) : '';
    return `${area}${'*'.repeat(Math.max(0, digits.length - area.length - 4))}${digits.slice(-4)}`;
  }
  return '*'.repeat(digits.length);
}
