import { describe, expect, it } from 'vitest';
import type { Question } from './questions.js';
import { answerLabel, placeLabel, redFlagAnswers } from './ticket-context.js';

const questions: Question[] = [
  { id: 'pain', text: '伤口疼痛程度', type: 'rating', redFlag: { op: 'gte', value: 4 } },
  { id: 'fever', text: '是否发热（体温 38℃以上）', type: 'yes_no', redFlag: { op: 'eq', value: true } },
  { id: 'exudate', text: '伤口渗液情况', type: 'choice', options: ['无', '少量', '大量'], redFlag: { op: 'eq', value: '大量' } },
];

describe('redFlagAnswers', () => {
  it('gives the flagged answers by question text in template order, answers as people read them', () => {
    const got = redFlagAnswers(questions, [
      { questionId: 'exudate', value: '大量', redFlag: true },
      { questionId: 'fever', value: true, redFlag: true },
      { questionId: 'pain', value: 2, redFlag: false },
    ]);
    expect(got).toEqual([
      { questionId: 'fever', question: '是否发热（体温 38℃以上）', answer: '是', redFlag: true },
      { questionId: 'exudate', question: '伤口渗液情况', answer: '大量', redFlag: true },
    ]);
  });
  it('keeps an unknown question by its id', () => {
    expect(redFlagAnswers([], [{ questionId: 'gone', value: 5, redFlag: true }])[0]).toMatchObject({ question: 'gone', answer: '5' });
  });
});

describe('answerLabel', () => {
  it('formats by type', () => {
    expect(answerLabel(questions[0], 4)).toBe('4 分');
    expect(answerLabel(questions[1], false)).toBe('否');
    expect(answerLabel(undefined, '')).toBe('未回答');
  });
});

describe('placeLabel', () => {
  it('joins what is known', () => {
    expect(placeLabel({ ward: '骨科一病区', room: '12', bed: '3' })).toBe('骨科一病区 · 12 室 · 3 床');
    expect(placeLabel({ ward: '5W', room: null, bed: '05床' })).toBe('5W · 05床');
    expect(placeLabel({ ward: null, room: null, bed: null })).toBeNull();
  });
});
