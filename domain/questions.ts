/**
 * Question templates (随访问卷), answers and red flags (预警). Pure: no I/O, safe to import from
 * workflow code. Validation messages are in Chinese because they are shown to staff.
 */

export const QUESTION_TYPES = ['rating', 'yes_no', 'choice', 'text'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];
export type AnswerValue = number | boolean | string;
export type Answers = Record<string, AnswerValue>;
/** A red-flag rule on one question: eq (yes_no/choice/rating), gte/lte (rating), in (choice). */
export type RedFlagRule = { op: 'eq'; value: AnswerValue } | { op: 'gte' | 'lte'; value: number } | { op: 'in'; value: string[] };
export interface Question {
  id: string;
  text: string;
  type: QuestionType;
  options?: string[];
  redFlag?: RedFlagRule;
  required?: boolean;
}
/** At most this many questions per template: a follow-up call must stay short. */
export const MAX_CORE_QUESTIONS = 5;
/** A validation problem; `message` is in Chinese for staff. */
export interface Problem {
  field: string;
  message: string;
}

const QUESTION_ID_RE = /^[a-z][a-z0-9_]{0,31}$/;
const RATING_MIN = 1;
const RATING_MAX = 5;
const MAX_TEXT_ANSWER_LENGTH = 500;

const TYPE_LABELS: Record<QuestionType, string> = { rating: '评分题', yes_no: '是否题', choice: '选择题', text: '文本题' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isQuestionType(value: unknown): value is QuestionType {
  return typeof value === 'string' && (QUESTION_TYPES as readonly string[]).includes(value);
}

function isRating(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= RATING_MIN && value <= RATING_MAX;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Characters as people count them (code points, so an emoji is one). */
function charCount(text: string): number {
  return Array.from(text).length;
}

/**
 * Checks a template definition: 1–5 questions, unique ids matching /^[a-z][a-z0-9_]{0,31}$/,
 * non-empty text, choice has ≥2 options, redFlag fits the type (gte/lte only for rating with
 * value 1–5, in only for choice with values among options, eq value of the right type).
 * Returns problems (field like 'questions.2.redFlag').
 *
 * Also reported: a non-array input (field 'questions'), a non-object entry ('questions.N'), an
 * unknown type, empty or duplicate choice options, options on a non-choice question, a
 * non-boolean `required`, and any red flag on a text question. An empty array means valid.
 */
export function validateTemplate(questions: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!Array.isArray(questions)) {
    return [{ field: 'questions', message: '问题列表格式不正确' }];
  }
  if (questions.length === 0) problems.push({ field: 'questions', message: '至少需要 1 个问题' });
  if (questions.length > MAX_CORE_QUESTIONS) {
    problems.push({ field: 'questions', message: `最多 ${MAX_CORE_QUESTIONS} 个问题，当前 ${questions.length} 个` });
  }

  const seenIds = new Set<string>();
  questions.forEach((q: unknown, i) => {
    const at = `questions.${i}`;
    if (!isRecord(q)) {
      problems.push({ field: at, message: '问题格式不正确' });
      return;
    }

    if (typeof q.id !== 'string' || !QUESTION_ID_RE.test(q.id)) {
      problems.push({ field: `${at}.id`, message: '问题编号须以小写字母开头，只含小写字母、数字和下划线，最长 32 个字符' });
    } else if (seenIds.has(q.id)) {
      problems.push({ field: `${at}.id`, message: `问题编号“${q.id}”重复` });
    } else {
      seenIds.add(q.id);
    }

    if (typeof q.text !== 'string' || q.text.trim() === '') {
      problems.push({ field: `${at}.text`, message: '问题内容不能为空' });
    }

    if (q.required !== undefined && typeof q.required !== 'boolean') {
      problems.push({ field: `${at}.required`, message: '“是否必答”须为是或否' });
    }

    if (!isQuestionType(q.type)) {
      problems.push({ field: `${at}.type`, message: '题型须为评分、是否、选择或文本之一' });
      return; // options and redFlag depend on the type
    }
    const type = q.type;

    let options: string[] | null = null;
    if (type === 'choice') {
      if (!Array.isArray(q.options) || q.options.length < 2) {
        problems.push({ field: `${at}.options`, message: '选择题至少需要 2 个选项' });
      } else if (!q.options.every((o): o is string => typeof o === 'string' && o.trim() !== '')) {
        problems.push({ field: `${at}.options`, message: '选项内容不能为空' });
      } else if (new Set(q.options).size !== q.options.length) {
        problems.push({ field: `${at}.options`, message: '选项不能重复' });
      } else {
        options = q.options;
      }
    } else if (q.options !== undefined && !(Array.isArray(q.options) && q.options.length === 0)) {
      problems.push({ field: `${at}.options`, message: `${TYPE_LABELS[type]}不能设置选项` });
    }

    if (q.redFlag !== undefined && q.redFlag !== null) {
      const problem = redFlagProblem(type, options, q.redFlag);
      if (problem) problems.push({ field: `${at}.redFlag`, message: problem });
    }
  });
  return problems;
}

/** Why a red-flag rule does not fit its question, or null if it does. `options` is null when they are invalid. */
function redFlagProblem(type: QuestionType, options: string[] | null, rule: unknown): string | null {
  if (!isRecord(rule)) return '预警规则格式不正确';
  if (type === 'text') return '文本题不能设置预警规则';
  const { op, value } = rule;
  switch (op) {
    case 'eq':
      if (type === 'yes_no') return typeof value === 'boolean' ? null : '是否题的预警值须为“是”或“否”';
      if (type === 'rating') return isRating(value) ? null : `评分题的预警值须为 ${RATING_MIN}–${RATING_MAX} 的整数`;
      if (typeof value !== 'string') return '选择题的预警值须为其中一个选项';
      if (options && !options.includes(value)) return `预警值“${value}”不在选项中`;
      return null;
    case 'gte':
    case 'lte':
      if (type !== 'rating') return '“大于等于/小于等于”只能用于评分题';
      return isRating(value) ? null : `评分题的预警值须为 ${RATING_MIN}–${RATING_MAX} 的整数`;
    case 'in': {
      if (type !== 'choice') return '“属于”只能用于选择题';
      if (!Array.isArray(value) || value.length === 0) return '请至少选择一个预警选项';
      const bad = value.find((v: unknown) => typeof v !== 'string' || (options !== null && !options.includes(v)));
      if (bad !== undefined) return `预警值“${String(bad)}”不在选项中`;
      return null;
    }
    default:
      return '预警规则的条件须为等于、大于等于、小于等于或属于之一';
  }
}

/** Whether a question must be answered: `required` if set, else true except for text questions. */
function isRequired(q: Question): boolean {
  return q.required ?? q.type !== 'text';
}

/**
 * Checks answers against the questions: rating integer 1–5, yes_no boolean, choice one of
 * options, text string ≤ 500 chars; unknown question ids are problems; required questions
 * (default required=true except type text) must be present. Field names are `answers.<questionId>`.
 *
 * `null`/`undefined` count as absent, and so does a blank text answer to a required text question.
 * Problems come in question order, then unknown ids in the answers' key order.
 */
export function validateAnswers(questions: Question[], answers: Answers): Problem[] {
  if (!isRecord(answers)) return [{ field: 'answers', message: '回答格式不正确' }];
  const problems: Problem[] = [];
  const known = new Set<string>();
  for (const q of questions) {
    known.add(q.id);
    const field = `answers.${q.id}`;
    const value: unknown = hasOwn(answers, q.id) ? answers[q.id] : undefined;
    const blank = value === undefined || value === null || (q.type === 'text' && typeof value === 'string' && value.trim() === '');
    if (blank) {
      if (isRequired(q)) problems.push({ field, message: '此题必须回答' });
      continue;
    }
    const message = answerProblem(q, value);
    if (message) problems.push({ field, message });
  }
  for (const id of Object.keys(answers)) {
    if (!known.has(id)) problems.push({ field: `answers.${id}`, message: '问卷中没有这个问题' });
  }
  return problems;
}

function answerProblem(q: Question, value: unknown): string | null {
  switch (q.type) {
    case 'rating':
      return isRating(value) ? null : `请填写 ${RATING_MIN}–${RATING_MAX} 分`;
    case 'yes_no':
      return typeof value === 'boolean' ? null : '请选择“是”或“否”';
    case 'choice':
      return typeof value === 'string' && (q.options ?? []).includes(value) ? null : '请选择一个给定的选项';
    case 'text':
      if (typeof value !== 'string') return '回答须为文字';
      return charCount(value) <= MAX_TEXT_ANSWER_LENGTH ? null : `回答不能超过 ${MAX_TEXT_ANSWER_LENGTH} 个字`;
    default:
      return '未知题型';
  }
}

/** Whether one answer trips one rule; answers of the wrong type never do. */
function trips(rule: RedFlagRule, value: AnswerValue): boolean {
  switch (rule.op) {
    case 'eq':
      return value === rule.value;
    case 'gte':
      return typeof value === 'number' && value >= rule.value;
    case 'lte':
      return typeof value === 'number' && value <= rule.value;
    case 'in':
      return typeof value === 'string' && rule.value.includes(value);
    default:
      return false;
  }
}

/**
 * IDs of the questions whose answer trips their red-flag rule (in question order).
 *
 * Unanswered questions and answers of the wrong type never trip a rule; the answers are not
 * otherwise validated (run {@link validateAnswers} first), so e.g. a rating of 9 still trips
 * `gte 4` — erring towards alerting.
 */
export function redFlags(questions: Question[], answers: Answers): string[] {
  if (!isRecord(answers)) return [];
  const flagged: string[] = [];
  for (const q of questions) {
    if (!q.redFlag || !hasOwn(answers, q.id)) continue;
    const value = answers[q.id];
    if (value === undefined || value === null) continue;
    if (trips(q.redFlag, value)) flagged.push(q.id);
  }
  return flagged;
}

/** The questions' texts for their ids, in the order given (an id no longer in the template stays as is). */
export function questionTexts(questions: Question[], ids: string[]): string[] {
  return ids.map((id) => questions.find((q) => q.id === id)?.text ?? id);
}
