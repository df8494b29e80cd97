/**
 * Masking of personal data for display; the unmasked value never leaves the server for roles that may not see it.
 * Pure functions, no I/O. Every function accepts null/undefined and returns '' for it.
 */

// ─── Phone ────────────────────────────────────────────────────────────────────────────────────────

/** Separators between several numbers in one field (whitespace is handled separately: it also occurs inside numbers). */
const PHONE_LIST_SEPARATOR = /[/／,，;；、|]+/;
/** Explicit extension marker at the end: `转808`, `分机 808`, `ext. 808`, `x808`, `#808`. */
const EXTENSION_MARKER = /^(.*?)\s*(转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$/i;
/** Dash extension after a complete landline: `0571-87654321-808`. */
const DASH_EXTENSION = /^(.*\d)\s*[-－—]\s*(\d{1,6})\s*$/;

/** Masks one bare number (digits with separators, no extension); null when it is not a recognisable phone number. */
function maskSingleNumber(text: string): string | null {
  let digits = text.replace(/\D/g, '');
  if (/^\s*(?:\(?\s*\+\s*86\s*\)?|\(?00\s*86\)?)/.test(text)) {
    // International form: +86 138…, +86 571 8765 4321 (area code without its leading 0), +86 (0)571 …
    digits = digits.replace(/^(?:00)?86/, '');
    if (!digits.startsWith('0') && !(digits.length === 11 && digits.startsWith('1'))) digits = `0${digits}`;
  } else if (digits.startsWith('86') && digits.length === 13) {
    digits = digits.slice(2);
  }
  // Mobile: 11 digits starting with 1.
  if (/^1\d{10}$/.test(digits)) return `${digits.slice(0, 3)}****${digits.slice(7)}`;
  // Landline with area code: Beijing (010) and 02x cities have 3-digit area codes, other cities 4 (0571, 0755 …).
  if (/^0\d{9,11}$/.test(digits)) {
    const area = digits.slice(0, /^0[12]/.test(digits) ? 3 : 4);
    return `${area}${'*'.repeat(digits.length - area.length - 4)}${digits.slice(-4)}`;
  }
  // Local number without area code (7–8 digits) and 400/800 service numbers: last four digits only.
  if (/^[2-9]\d{6,7}$/.test(digits) || /^[48]00\d{7}$/.test(digits)) return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
  return null;
}

/** Masks one number that may carry an extension; the extension is masked completely. Null when unrecognisable. */
function maskNumberWithExtension(text: string): string | null {
  const marked = EXTENSION_MARKER.exec(text);
  if (marked) {
    const main = maskSingleNumber(marked[1] ?? '');
    if (main !== null) return `${main}${marked[2] === '#' ? '#' : '转'}${'*'.repeat(marked[3]?.length ?? 0)}`;
  }
  const plain = maskSingleNumber(text);
  if (plain !== null) return plain;
  const dashed = DASH_EXTENSION.exec(text);
  if (dashed) {
    const main = maskSingleNumber(dashed[1] ?? '');
    if (main !== null) return `${main}-${'*'.repeat(dashed[2]?.length ?? 0)}`;
  }
  return null;
}

const allDigitsMasked = (text: string): string => '*'.repeat(text.replace(/\D/g, '').length);

/** Splits a whitespace-separated run into numbers: takes tokens until they form a number the next token would not extend. */
function maskWhitespaceSeparated(part: string): string[] {
  const whole = maskNumberWithExtension(part);
  if (whole !== null) return [whole];
  const tokens = part.split(/\s+/).filter((t) => t !== '');
  const out: string[] = [];
  let pending: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    pending.push(tokens[i] ?? '');
    const current = pending.join(' ');
    const masked = maskNumberWithExtension(current);
    const next = tokens[i + 1];
    if (masked !== null && (next === undefined || maskNumberWithExtension(`${current} ${next}`) === null)) {
      out.push(masked);
      pending = [];
    }
  }
  if (pending.length > 0) {
    const rest = allDigitsMasked(pending.join(' '));
    if (rest !== '') out.push(rest);
  }
  return out;
}

/**
 * `13812341234`, `+86 138 1234 1234` → `138****1234`; landlines keep the area code (3 digits for 010/02x, else 4)
 * and the last 4 digits; extensions (`0571-87654321-808`, `转808`) are masked completely; several numbers in one
 * field (separated by `/ , ; 、` or spaces) are masked each and joined with ` / `; anything unrecognisable has
 * all its digits masked.
 */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const text = phone.normalize('NFKC');
  const masked: string[] = [];
  for (const part of text.split(PHONE_LIST_SEPARATOR)) {
    if (!/\d/.test(part)) continue;
    masked.push(...maskWhitespaceSeparated(part.trim()));
  }
  return masked.join(' / ');
}

// ─── Address ──────────────────────────────────────────────────────────────────────────────────────

/** Characters of a building / unit / room number: `5`, `A`, `3-2`, `五`, `甲`, `#`. */
const HOUSE_NUMBER = '[0-9A-Za-z一二三四五六七八九十百零〇两甲乙丙丁#\\-－]+';
/** What follows a number from the building level on. `号` is not cut in `1号线`, `8号路`, `3号街`, `5号道`. */
const BUILDING_SUFFIX = '(?:号楼|号院|号(?![线路街道])|栋|幢|座|单元|层|楼|室|房|户)';
const BUILDING_PART = new RegExp(`(?<![0-9A-Za-z])${HOUSE_NUMBER}${BUILDING_SUFFIX}`);
const LEADING_BUILDING_PARTS = new RegExp(`^(?:${HOUSE_NUMBER}${BUILDING_SUFFIX}[\\s,，、]*)+`);
/** A bare number (`…小区1203`) that is not part of a road / village / district name (`798艺术区` is cut too; `8路`, `8号路`, `123弄`, `2期` are kept). */
const BARE_NUMBER = /(?<![0-9A-Za-z])[0-9A-Za-z#\-－]*\d[0-9A-Za-z#\-－]*(?![0-9A-Za-z#\-－]|[路街道巷弄里村区镇乡期组队社条胡环]|号[线路街道])/;
const CJK = /[\u4e00-\u9fff]/;

/**
 * Cuts an address to the community / street level: keeps province, city, district, county, street (街道/镇/乡),
 * road, lane, village and community names, and drops everything from the building on (号楼, 栋, 幢, 座, 号院,
 * 单元, 层, 楼, 室, 房, 号, bare room numbers), including building/unit parts written first. `***` marks a cut.
 * `北京市朝阳区望京街道花家地南里5号楼3单元402室` → `北京市朝阳区望京街道花家地南里***`.
 */
export function maskAddress(address: string | null | undefined): string {
  if (!address) return '';
  let text = address.normalize('NFKC').trim();
  text = CJK.test(text) ? text.replace(/\s+/g, '') : text.replace(/\s+/g, ' ');
  if (text === '') return '';
  let cut = false;
  const leading = LEADING_BUILDING_PARTS.exec(text);
  if (leading) {
    text = text.slice(leading[0].length);
    cut = true;
  }
  const cutAt = Math.min(BUILDING_PART.exec(text)?.index ?? Infinity, BARE_NUMBER.exec(text)?.index ?? Infinity);
  if (cutAt !== Infinity) {
    text = text.slice(0, cutAt);
    cut = true;
  }
  if (!cut) return text;
  return `${text.replace(/[\s,，、;；:：(（\-－—_#]+$/, '')}***`;
}

// ─── ID card ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Resident ID numbers: 18 digits (last may be X) or 15-digit old IDs → first 3 and last 4 digits
 * (`110***********1234`); spaces and dashes inside are removed first; anything else → all but the last 4
 * characters masked (completely masked when 4 characters or fewer).
 */
export function maskIdCard(id: string | null | undefined): string {
  if (!id) return '';
  const value = normalizeIdNumber(id);
  if (isResidentIdNumber(value)) {
    return `${value.slice(0, 3)}${'*'.repeat(value.length - 7)}${value.slice(-4)}`;
  }
  if (value.length <= 4) return '*'.repeat(value.length);
  return `${'*'.repeat(value.length - 4)}${value.slice(-4)}`;
}

function normalizeIdNumber(id: string): string {
  return id.normalize('NFKC').replace(/[\s\-－]/g, '').toUpperCase();
}

/** A resident ID number (身份证号): 18 digits, the last may be X, or a 15-digit old one. */
export function isResidentIdNumber(id: string | null | undefined): boolean {
  const value = normalizeIdNumber(id ?? '');
  return /^\d{17}[\dX]$/.test(value) || /^\d{15}$/.test(value);
}

/** The 病案号 as pages show it: masked like an ID number when the HIS keys its patients by 身份证号. */
export function displayPatientKey(key: string): string {
  return isResidentIdNumber(key) ? maskIdCard(key) : key;
}

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/**
 * An 18-digit resident ID number whose check character is right (GB 11643-1999, ISO 7064 MOD 11-2):
 * strong enough to recognise an ID number that a HIS sends without saying what it is.
 */
export function isCheckedResidentIdNumber(id: string | null | undefined): boolean {
  const value = normalizeIdNumber(id ?? '');
  if (!/^\d{17}[\dX]$/.test(value)) return false;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(value[i]), 0);
  return '10X98765432'[sum % 11] === value[17];
}

// ─── Name ─────────────────────────────────────────────────────────────────────────────────────────

const COMPOUND_SURNAMES = ['欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '令狐', '慕容', '尉迟', '长孙', '司徒', '夏侯', '公孙', '端木', '宇文', '独孤', '南宫', '西门', '轩辕', '澹台', '呼延', '万俟', '闻人', '申屠'];

/**
 * `'full'` → the name as is (trimmed); `'surname'` → the surname and `**` (`王小明` → `王**`, `欧阳娜娜` → `欧阳**`;
 * the star count does not reveal the length of the given name); Latin names → first letter and `***`.
 */
export function maskName(name: string | null | undefined, visible: 'full' | 'surname'): string {
  const value = (name ?? '').normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (value === '' || visible === 'full') return value;
  const chars = Array.from(value);
  const first = chars[0] ?? '';
  if (/^[A-Za-z\u00C0-\u024F]$/.test(first)) return `${first}***`;
  const compound = chars.length > 2 && COMPOUND_SURNAMES.includes(chars.slice(0, 2).join(''));
  return `${compound ? chars.slice(0, 2).join('') : first}**`;
}
