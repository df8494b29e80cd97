/**
 * Placeholders in the messages administrators write (the discharge greeting of a follow-up rule):
 * which ones exist, which ones a text uses that do not, and the text filled in for one patient's
 * encounter. Pure: the activity that queues the message reads the encounter and calls fillTemplate.
 */

/** Every placeholder a message template may use, with what it stands for (shown in the editor). */
export const TEMPLATE_PLACEHOLDERS = {
  姓名: '患者姓名',
  科室: '出院科室',
  手术: '手术名称',
  医生: '主治医生',
  诊断: '出院诊断',
  出院日期: '出院日期',
} as const;

export type TemplatePlaceholder = keyof typeof TEMPLATE_PLACEHOLDERS;
export type TemplateValues = Partial<Record<TemplatePlaceholder, string | null>>;

/**
 * What stands in for a value the encounter does not have, so the sentence still reads
 * ("您在骨科做了手术(主治医生主刀)" rather than "您在骨科做了(医生主刀)").
 */
const FALLBACK: Record<TemplatePlaceholder, string> = {
  姓名: '患者',
  科室: '本院',
  手术: '手术',
  医生: '主治',
  诊断: '本次疾病',
  出院日期: '出院当日',
};

const PLACEHOLDER = /\{([^{}\s]{1,20})\}/g;

const isPlaceholder = (name: string): name is TemplatePlaceholder => Object.hasOwn(TEMPLATE_PLACEHOLDERS, name);

/** The `{…}` names in `text` that are not placeholders, each once, in order of appearance. */
export function unknownPlaceholders(text: string): string[] {
  const unknown = new Set<string>();
  for (const m of text.matchAll(PLACEHOLDER)) if (!isPlaceholder(m[1]!)) unknown.add(m[1]!);
  return [...unknown];
}

/** The field error for a template with unknown placeholders, or null when every one is known. */
export function placeholderProblem(text: string): string | null {
  const unknown = unknownPlaceholders(text);
  if (unknown.length === 0) return null;
  const known = Object.keys(TEMPLATE_PLACEHOLDERS).map((k) => `{${k}}`).join(' ');
  return `无法识别的占位符 ${unknown.map((u) => `{${u}}`).join(' ')};可用的占位符:${known}`;
}

/** `text` with every known placeholder replaced by its value (or a neutral word when missing); unknown ones stay as written. */
export function fillTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    if (!isPlaceholder(name)) return whole;
    const value = values[name]?.trim();
    return value ? value : FALLBACK[name];
  });
}

/** A discharge date as patients read it, in the hospital's zone: 2026年11月30日. */
export function dischargeDateText(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'numeric', day: 'numeric' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return `${get('year')}年${get('month')}月${get('day')}日`;
}
