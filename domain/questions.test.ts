import { describe, it, expect } from 'vitest';
import { MAX_CORE_QUESTIONS, QUESTION_TYPES, questionTexts, redFlags, validateAnswers, validateTemplate, type Answers, type Question } from './questions.js';

const wound: Question = { id: 'wound_exudate', text: '伤口有没有渗液？', type: 'yes_no', redFlag: { op: 'eq', value: true } };
const pain: Question = { id: 'pain', text: '疼痛评分（1–5）', type: 'rating', redFlag: { op: 'gte', value: 4 } };
const temperature: Question = {
  id: 'temperature',
  text: '体温',
  type: 'choice',
  options: ['正常', '37.3–38℃', '38℃以上'],
  redFlag: { op: 'in', value: ['38℃以上'] },
};
const satisfaction: Question = { id: 'satisfaction', text: '对住院服务满意吗？', type: 'rating' };
const remarks: Question = { id: 'remarks', text: '还有什么想说的？', type: 'text' };

const template: Question[] = [wound, pain, temperature, satisfaction, remarks];

const fields = (problems: { field: string }[]) => problems.map((p) => p.field);

describe('constants', () => {
  it('lists the question types and the core-question limit', () => {
    expect(QUESTION_TYPES).toEqual(['rating', 'yes_no', 'choice', 'text']);
    expect(MAX_CORE_QUESTIONS).toBe(5);
  });
});

describe('validateTemplate', () => {
  it('accepts a valid template', () => {
    expect(validateTemplate(template)).toEqual([]);
    expect(validateTemplate([{ ...satisfaction, redFlag: { op: 'lte', value: 2 } }])).toEqual([]);
    expect(validateTemplate([{ ...satisfaction, redFlag: { op: 'eq', value: 1 } }])).toEqual([]);
    expect(validateTemplate([{ ...temperature, redFlag: { op: 'eq', value: '38℃以上' } }])).toEqual([]);
    expect(validateTemplate([{ ...wound, required: false }])).toEqual([]);
  });

  it('requires an array of 1–5 questions', () => {
    expect(fields(validateTemplate(null))).toEqual(['questions']);
    expect(fields(validateTemplate({ questions: template }))).toEqual(['questions']);
    expect(fields(validateTemplate([]))).toEqual(['questions']);
    const six = Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, text: `问题${i}`, type: 'yes_no' }));
    const problems = validateTemplate(six);
    expect(fields(problems)).toEqual(['questions']);
    expect(problems[0]?.message).toContain('5');
  });

  it('reports non-object entries by index', () => {
    expect(fields(validateTemplate([wound, 'pain', null]))).toEqual(['questions.1', 'questions.2']);
  });

  it('checks ids: format and uniqueness', () => {
    const bad = validateTemplate([
      { ...wound, id: 'Wound' },
      { ...pain, id: '1pain' },
      { ...satisfaction, id: 'a'.repeat(33) },
      { ...remarks, id: '伤口' },
      { ...remarks, id: undefined },
    ]);
    expect(fields(bad)).toEqual(['questions.0.id', 'questions.1.id', 'questions.2.id', 'questions.3.id', 'questions.4.id']);
    expect(validateTemplate([{ ...wound, id: 'a'.repeat(32) }])).toEqual([]);

    const dup = validateTemplate([wound, { ...pain, id: 'wound_exudate' }]);
    expect(fields(dup)).toEqual(['questions.1.id']);
    expect(dup[0]?.message).toContain('重复');
  });

  it('requires non-empty text', () => {
    expect(fields(validateTemplate([{ ...wound, text: '   ' }, { ...pain, text: undefined }]))).toEqual(['questions.0.text', 'questions.1.text']);
  });

  it('requires a known type', () => {
    expect(fields(validateTemplate([{ ...wound, type: 'multi' }]))).toEqual(['questions.0.type']);
  });

  it('requires ≥2 distinct non-empty options for choice questions', () => {
    expect(fields(validateTemplate([{ id: 'q', text: '体温', type: 'choice' }]))).toEqual(['questions.0.options']);
    expect(fields(validateTemplate([{ id: 'q', text: '体温', type: 'choice', options: ['正常'] }]))).toEqual(['questions.0.options']);
    expect(fields(validateTemplate([{ id: 'q', text: '体温', type: 'choice', options: ['正常', ''] }]))).toEqual(['questions.0.options']);
    expect(fields(validateTemplate([{ id: 'q', text: '体温', type: 'choice', options: ['正常', '正常'] }]))).toEqual(['questions.0.options']);
  });

  it('rejects options on non-choice questions (an empty list is tolerated)', () => {
    expect(fields(validateTemplate([{ ...pain, options: ['1', '2'] }]))).toEqual(['questions.0.options']);
    expect(validateTemplate([{ ...pain, options: [] }])).toEqual([]);
  });

  it('requires a boolean `required`', () => {
    expect(fields(validateTemplate([{ ...wound, required: 'yes' }]))).toEqual(['questions.0.required']);
  });

  it('checks that the red flag fits the question type', () => {
    const problems = validateTemplate([
      { ...pain, redFlag: { op: 'gte', value: 7 } }, // rating is 1–5 in this product
      { ...wound, redFlag: { op: 'gte', value: 1 } }, // gte only for rating
      { ...temperature, redFlag: { op: 'in', value: ['39℃'] } }, // not an option
      { ...satisfaction, redFlag: { op: 'in', value: ['1'] } }, // in only for choice
      { ...remarks, redFlag: { op: 'eq', value: '疼' } }, // no red flags on text
    ]);
    expect(fields(problems)).toEqual([
      'questions.0.redFlag',
      'questions.1.redFlag',
      'questions.2.redFlag',
      'questions.3.redFlag',
      'questions.4.redFlag',
    ]);
    for (const p of problems) expect(p.message).toMatch(/[\u4e00-\u9fff]/);
  });

  it('checks the type of an eq value', () => {
    expect(fields(validateTemplate([{ ...wound, redFlag: { op: 'eq', value: 'true' } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...pain, redFlag: { op: 'eq', value: 6 } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...pain, redFlag: { op: 'eq', value: true } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...temperature, redFlag: { op: 'eq', value: '39℃' } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...temperature, redFlag: { op: 'eq', value: 3 } }]))).toEqual(['questions.0.redFlag']);
  });

  it('rejects malformed rules', () => {
    expect(fields(validateTemplate([{ ...pain, redFlag: { op: 'gt', value: 4 } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...pain, redFlag: { op: 'gte', value: 3.5 } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...pain, redFlag: 'gte 4' }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...temperature, redFlag: { op: 'in', value: [] } }]))).toEqual(['questions.0.redFlag']);
    expect(fields(validateTemplate([{ ...temperature, redFlag: { op: 'in', value: '38℃以上' } }]))).toEqual(['questions.0.redFlag']);
  });

  it('reports several problems of one question', () => {
    expect(fields(validateTemplate([{ id: 'Bad', text: '', type: 'choice', options: ['a'] }]))).toEqual([
      'questions.0.id',
      'questions.0.text',
      'questions.0.options',
    ]);
  });
});

describe('validateAnswers', () => {
  const complete: Answers = { wound_exudate: false, pain: 2, temperature: '正常', satisfaction: 5 };

  it('accepts complete answers, with or without the optional text', () => {
    expect(validateAnswers(template, complete)).toEqual([]);
    expect(validateAnswers(template, { ...complete, remarks: '护士很耐心' })).toEqual([]);
    expect(validateAnswers(template, { ...complete, remarks: '' })).toEqual([]);
  });

  it('requires the required questions (all but text by default)', () => {
    const problems = validateAnswers(template, { pain: 2 });
    expect(fields(problems)).toEqual(['answers.wound_exudate', 'answers.temperature', 'answers.satisfaction']);
    expect(problems[0]?.message).toBe('此题必须回答');
  });

  it('honours an explicit required flag', () => {
    const qs: Question[] = [{ ...wound, required: false }, { ...remarks, required: true }];
    expect(fields(validateAnswers(qs, {}))).toEqual(['answers.remarks']);
    expect(fields(validateAnswers(qs, { remarks: '  ' }))).toEqual(['answers.remarks']);
    expect(validateAnswers(qs, { remarks: '还好' })).toEqual([]);
  });

  it('checks ratings are integers 1–5', () => {
    for (const bad of [0, 6, 2.5, '3', true]) {
      expect(fields(validateAnswers([pain], { pain: bad })), String(bad)).toEqual(['answers.pain']);
    }
    for (const ok of [1, 5]) expect(validateAnswers([pain], { pain: ok })).toEqual([]);
  });

  it('checks yes_no answers are booleans', () => {
    expect(fields(validateAnswers([wound], { wound_exudate: 'yes' }))).toEqual(['answers.wound_exudate']);
    expect(fields(validateAnswers([wound], { wound_exudate: 1 }))).toEqual(['answers.wound_exudate']);
  });

  it('checks choice answers are one of the options', () => {
    expect(fields(validateAnswers([temperature], { temperature: '39℃' }))).toEqual(['answers.temperature']);
    expect(fields(validateAnswers([temperature], { temperature: 2 }))).toEqual(['answers.temperature']);
    expect(validateAnswers([temperature], { temperature: '38℃以上' })).toEqual([]);
  });

  it('limits text answers to 500 characters', () => {
    expect(validateAnswers([remarks], { remarks: '好'.repeat(500) })).toEqual([]);
    expect(validateAnswers([remarks], { remarks: '😀'.repeat(500) })).toEqual([]); // code points, not UTF-16 units
    expect(fields(validateAnswers([remarks], { remarks: '好'.repeat(501) }))).toEqual(['answers.remarks']);
    expect(fields(validateAnswers([remarks], { remarks: 42 }))).toEqual(['answers.remarks']);
  });

  it('reports unknown question ids after the known ones', () => {
    expect(fields(validateAnswers(template, { ...complete, mood: 3, pain: 9 }))).toEqual(['answers.pain', 'answers.mood']);
    expect(fields(validateAnswers(template, { ...complete, constructor: 'x' }))).toEqual(['answers.constructor']);
  });

  it('does not take inherited properties for answers', () => {
    const qs: Question[] = [{ id: 'constructor', text: '?', type: 'text', required: true }];
    expect(fields(validateAnswers(qs, {}))).toEqual(['answers.constructor']);
  });

  it('treats null as absent', () => {
    const answers = { ...complete, pain: null } as unknown as Answers;
    expect(fields(validateAnswers(template, answers))).toEqual(['answers.pain']);
    expect(validateAnswers(template, { ...complete, remarks: null } as unknown as Answers)).toEqual([]);
  });

  it('rejects a non-object', () => {
    expect(fields(validateAnswers(template, null as unknown as Answers))).toEqual(['answers']);
  });
});

describe('redFlags', () => {
  it('returns nothing for reassuring answers', () => {
    expect(redFlags(template, { wound_exudate: false, pain: 3, temperature: '37.3–38℃', satisfaction: 1 })).toEqual([]);
  });

  it('flags 伤口渗液 = yes', () => {
    expect(redFlags(template, { wound_exudate: true })).toEqual(['wound_exudate']);
  });

  it('flags pain ≥ 4 on the 1–5 scale', () => {
    expect(redFlags([pain], { pain: 4 })).toEqual(['pain']);
    expect(redFlags([pain], { pain: 5 })).toEqual(['pain']);
    expect(redFlags([pain], { pain: 3 })).toEqual([]);
  });

  it('flags 体温 38℃以上', () => {
    expect(redFlags([temperature], { temperature: '38℃以上' })).toEqual(['temperature']);
    expect(redFlags([temperature], { temperature: '37.3–38℃' })).toEqual([]);
  });

  it('supports lte and eq on ratings', () => {
    expect(redFlags([{ ...satisfaction, redFlag: { op: 'lte', value: 2 } }], { satisfaction: 2 })).toEqual(['satisfaction']);
    expect(redFlags([{ ...satisfaction, redFlag: { op: 'lte', value: 2 } }], { satisfaction: 3 })).toEqual([]);
    expect(redFlags([{ ...satisfaction, redFlag: { op: 'eq', value: 1 } }], { satisfaction: 1 })).toEqual(['satisfaction']);
  });

  it('lists flags in question order, not answer order', () => {
    expect(redFlags(template, { temperature: '38℃以上', pain: 5, wound_exudate: true })).toEqual(['wound_exudate', 'pain', 'temperature']);
  });

  it('ignores unanswered questions and answers of the wrong type', () => {
    expect(redFlags(template, {})).toEqual([]);
    expect(redFlags([pain], { pain: '5' })).toEqual([]);
    expect(redFlags([wound], { wound_exudate: 'true' })).toEqual([]);
  });
});

describe('questionTexts', () => {
  it('names questions by their text, in the order of the ids; an unknown id stays as is', () => {
    const questions = [
      { id: 'pain', text: '疼痛程度(1–5)', type: 'rating' },
      { id: 'fever', text: '有没有发热?', type: 'yes_no' },
    ] as Question[];
    expect(questionTexts(questions, ['fever', 'pain', 'gone'])).toEqual(['有没有发热?', '疼痛程度(1–5)', 'gone']);
  });
});
