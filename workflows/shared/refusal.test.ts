import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { refusalOf, refuse } from './refusal.js';

describe('refuse / refusalOf', () => {
  it('carries the fields at fault as data, never retried', () => {
    const failure = refuse('ContactRefused', 'answers.pain: 此题必须回答', [{ field: 'answers.pain', message: '此题必须回答' }]);
    expect(failure.nonRetryable).toBe(true);
    expect(refusalOf(failure)).toEqual({
      type: 'ContactRefused',
      message: 'answers.pain: 此题必须回答',
      problems: [{ field: 'answers.pain', message: '此题必须回答' }],
    });
  });

  it('a refusal of the state alone has no field problems; other causes are not refusals', () => {
    expect(refusalOf(refuse('TicketActionRefused', '工单已关闭,不能执行此操作'))?.problems).toEqual([]);
    expect(refusalOf(ApplicationFailure.create({ message: 'x', details: [{ problems: [{ field: 1 }] }] }))?.problems).toEqual([]);
    expect(refusalOf(new Error('boom'))).toBeNull();
    expect(refusalOf(undefined)).toBeNull();
  });
});
