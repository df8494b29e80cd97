/**
 * The agent's opening line for a follow-up call (开场白). Pure: safe to import from workflow code.
 */

/** What the opening line is made of; `age` in whole years, `daysSinceDischarge` as from `daysSince` in schedule.ts. */
export interface OpeningFacts {
  patientName: string;
  sex: 'M' | 'F' | 'O' | 'U' | null;
  age: number | null;
  departmentName: string;
  agentName: string;
  daysSinceDischarge: number;
}

/** Common two-character compound surnames (复姓); everything else is taken as a one-character surname. */
const COMPOUND_SURNAMES = ['欧阳', '司马', '诸葛', '上官', '东方', '皇甫', '令狐', '慕容', '尉迟', '长孙'];
const ELDER_AGE = 60;
const STARTS_WITH_HAN = /^\p{Script=Han}/u;

/** Trims and drops inner whitespace ("王 芳" → "王芳"). */
function compact(name: string | null | undefined): string {
  return (name ?? '').replace(/\s+/g, '');
}

/** Surname of a Chinese name: a compound surname if the name starts with one, else the first character. */
function surnameOf(name: string): string {
  const compound = COMPOUND_SURNAMES.find((s) => name.startsWith(s) && name.length > s.length);
  return compound ?? Array.from(name)[0] ?? '';
}

/** "王阿姨" / "王先生" / "王小明" (unknown sex or a non-Chinese name) / "" (no name). */
function addressOf(name: string, sex: OpeningFacts['sex'], age: number | null): string {
  if (name === '' || !STARTS_WITH_HAN.test(name) || (sex !== 'F' && sex !== 'M')) return name;
  const elder = age !== null && age >= ELDER_AGE;
  const title = sex === 'F' ? (elder ? '阿姨' : '女士') : elder ? '叔叔' : '先生';
  return surnameOf(name) + title;
}

/** "小周" for 周敏; a name that already is such a nickname (小周) is kept; non-Chinese names are kept. */
function agentNickname(agentName: string): string {
  if (agentName === '' || !STARTS_WITH_HAN.test(agentName)) return agentName;
  if (agentName.startsWith('小') && Array.from(agentName).length === 2) return agentName;
  return `小${surnameOf(agentName)}`;
}

/**
 * The agent's opening line, e.g. "王阿姨，您好！我是骨科的客服小周，您出院3天了，今天打电话想了解一下您的恢复情况。"
 *
 * - Honorific from the surname (first character, or a common compound surname such as 欧阳/司马/
 *   诸葛/上官/东方/皇甫/令狐/慕容/尉迟/长孙): age ≥ 60 → 阿姨/叔叔 (F/M), otherwise (including
 *   unknown age) 女士/先生. Unknown sex (O/U/null) or a name not written in Chinese characters →
 *   the full name + 您好; no name at all → just 您好.
 * - Agent: 小 + the agent's surname (周敏 → 小周); a name that already is 小X is kept as is.
 * - Day 0 (or less) → "您今天出院，打电话想…" (no second 今天); otherwise "您出院N天了，今天打电话想…".
 *   Fractional days are rounded down.
 * - Full-width '，' and '！' as in the example. Whitespace in names is dropped; an empty
 *   department name becomes 医院.
 */
export function openingLine(f: OpeningFacts): string {
  const address = addressOf(compact(f.patientName), f.sex, f.age);
  const greeting = address === '' ? '您好！' : `${address}，您好！`;
  const department = (f.departmentName ?? '').trim() || '医院';
  const days = Number.isFinite(f.daysSinceDischarge) ? Math.floor(f.daysSinceDischarge) : 0;
  const when = days <= 0 ? '您今天出院，打电话' : `您出院${days}天了，今天打电话`;
  return `${greeting}我是${department}的客服${agentNickname(compact(f.agentName))}，${when}想了解一下您的恢复情况。`;
}
