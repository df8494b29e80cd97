/**
 * What a ticket carries for the department to act on, as plain data: the answers that raised a red
 * flag (question text and the patient's answer as a person reads it), the agent's note of the call,
 * and the stay it concerns (ward, room, bed, discharging department). Pure and browser-safe.
 */
import type { Question } from './questions.js';

export interface TicketAnswer {
  questionId: string;
  question: string;
  answer: string;
  redFlag: boolean;
}

export interface TicketStay {
  departmentName: string | null;
  ward: string | null;
  room: string | null;
  bed: string | null;
  attendingDoctor: string | null;
  dischargedAt: string | null;
}

export interface TicketContext {
  /** For a red flag: the answers that raised it (others of the call are left out). */
  redFlagAnswers: TicketAnswer[];
  /** What the agent wrote in the call that produced the ticket (the latest note of that task). */
  agentNote: string | null;
  agentName: string | null;
  /** The stay the ticket concerns (the follow-up's encounter), or null when it came from no stay. */
  stay: TicketStay | null;
}

/** An answer as people read it: 是/否, "4 分", the option or the text; nothing → 未回答. */
export function answerLabel(question: Pick<Question, 'type'> | undefined, value: unknown): string {
  if (value === undefined || value === null || value === '') return '未回答';
  if (question?.type === 'yes_no' || typeof value === 'boolean') return value === true ? '是' : value === false ? '否' : String(value);
  if (question?.type === 'rating') return `${String(value)} 分`;
  return String(value);
}

/** The red-flag answers in the template's question order, by their text (an unknown question keeps its id). */
export function redFlagAnswers(questions: Question[], answers: { questionId: string; value: unknown; redFlag: boolean }[]): TicketAnswer[] {
  const order = (id: string) => {
    const i = questions.findIndex((q) => q.id === id);
    return i === -1 ? questions.length : i;
  };
  return answers
    .filter((a) => a.redFlag)
    .sort((a, b) => order(a.questionId) - order(b.questionId))
    .map((a) => {
      const q = questions.find((x) => x.id === a.questionId);
      return { questionId: a.questionId, question: q?.text ?? a.questionId, answer: answerLabel(q, a.value), redFlag: true };
    });
}

/** "5 病区 · 12 室 · 3 床" from whatever of the three is known, or null. */
export function placeLabel(stay: Pick<TicketStay, 'ward' | 'room' | 'bed'>): string | null {
  const parts = [stay.ward, stay.room && `${stay.room}${/^\d+$/.test(stay.room) ? ' 室' : ''}`, stay.bed && `${stay.bed}${/^\d+$/.test(stay.bed) ? ' 床' : ''}`].filter(
    (p): p is string => Boolean(p),
  );
  return parts.length ? parts.join(' · ') : null;
}
