import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { permanentFailure } from './activity-failures.js';

const pgError = (code: string) => new (postgres.PostgresError as unknown as new (x: object) => Error)({ message: '拒绝', code });

describe('permanentFailure', () => {
  it('fails for good on data, constraint and query errors, naming the SQLSTATE', () => {
    for (const code of ['22P02', '23505', '23514', '42703']) {
      const failure = permanentFailure(pgError(code));
      expect(failure).toMatchObject({ type: 'PermanentDatabaseError', nonRetryable: true, message: `拒绝 (SQLSTATE ${code})` });
    }
  });

  it('leaves what a retry may fix: serialization, deadlock, shutdown, raised exceptions, connection errors', () => {
    for (const code of ['40001', '40P01', '57P01', 'P0001', '53300']) expect(permanentFailure(pgError(code))).toBeNull();
    expect(permanentFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBeNull();
    expect(permanentFailure('not an error')).toBeNull();
  });
});
