/**
 * The task page's contact form as data: the submit buttons' intents, the conversion of the posted
 * form into the contact the service records, and the shape of the action's answer. No server
 * imports: the form component uses the intents too.
 */
import type { AnswerValue } from '../../../domain/questions.js';
import type { ContactOutcome } from '../../../workflows/follow-up/contracts.js';

/** The submit buttons' `intent` values. */
export const INTENTS = {
  complete_next: { outcome: 'completed', next: true },
  complete: { outcome: 'completed', next: false },
  no_answer: { outcome: 'no_answer', next: false },
  wrong_number: { outcome: 'wrong_number', next: false },
  refused: { outcome: 'refused', next: false },
} as const satisfies Record<string, { outcome: ContactOutcome; next: boolean }>;
export type Intent = keyof typeof INTENTS;

export const isIntent = (value: unknown): value is Intent => typeof value === 'string' && Object.hasOwn(INTENTS, value);

export interface ActionResult {
  /** A problem with the request as a whole (403, 404, unknown intent …). */
  error?: string;
  /** The task was closed or reassigned meanwhile (409): shown prominently. */
  conflict?: string;
  /** `answers.<id>`, `note`, `feedback.category` … → message. */
  fieldErrors?: Record<string, string>;
  /** What was submitted, to fill the form again (also without JavaScript). */
  values?: Record<string, string>;
}

export interface ContactFormInput {
  outcome: ContactOutcome;
  answers?: Record<string, AnswerValue>;
  note?: string;
  feedback?: { kind?: string; category: string; description: string; subtag?: string; departmentCode?: string; reason?: string };
}

/** A form string as the JSON type of its question: rating → number, yes_no → boolean, else string; blank → omitted. */
function answerValue(type: string, raw: string): AnswerValue | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  switch (type) {
    case 'rating':
      return /^-?\d+$/.test(value) ? Number(value) : value; // anything else: the workflow names the problem
    case 'yes_no':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === 'string' ? value.trim() : '';
};

/** The contact as recordContact takes it; answers go only with 完成 (a failed call has none). */
export function contactInput(form: FormData, outcome: ContactOutcome): ContactFormInput {
  const input: ContactFormInput = { outcome };
  if (outcome === 'completed') {
    const answers: Record<string, AnswerValue> = {};
    for (const [key, raw] of form.entries()) {
      if (!key.startsWith('answers.') || typeof raw !== 'string') continue;
      const id = key.slice('answers.'.length);
      const value = answerValue(text(form, `type.${id}`), raw);
      if (value !== undefined) answers[id] = value;
    }
    input.answers = answers;
  }
  const note = text(form, 'note');
  if (note) input.note = note;
  const category = text(form, 'feedback.category');
  const description = text(form, 'feedback.description');
  if (category || description) {
    input.feedback = { category, description };
    const kind = text(form, 'feedback.kind');
    if (kind && kind !== 'complaint') input.feedback.kind = kind;
    const subtag = kind && kind !== 'complaint' ? '' : text(form, 'feedback.subtag');
    const departmentCode = text(form, 'feedback.departmentCode');
    const reason = text(form, 'feedback.reason');
    if (subtag) input.feedback.subtag = subtag;
    if (departmentCode) input.feedback.departmentCode = departmentCode;
    if (reason) input.feedback.reason = reason;
  }
  return input;
}

/** What was typed, to fill the form again after a refusal. */
export function submittedValues(form: FormData): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string' && (key.startsWith('answers.') || key.startsWith('feedback.') || key === 'note')) values[key] = value;
  }
  return values;
}
