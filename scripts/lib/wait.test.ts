import { describe, expect, it } from 'vitest';
import { waitUntil } from './wait.js';

describe('waitUntil', () => {
  it('returns the first truthy value, taking probe errors as "not yet"', async () => {
    let calls = 0;
    const value = await waitUntil(
      () => {
        calls++;
        if (calls === 1) throw new Error('still starting');
        return calls === 3 ? 'ready' : undefined;
      },
      5_000,
      { intervalMs: 1 },
    );
    expect({ value, calls }).toEqual({ value: 'ready', calls: 3 });
  });

  it("reports the probe's last error when it times out", async () => {
    const failing = waitUntil(() => Promise.reject(new Error('relation "no_such_table" does not exist')), 30, { intervalMs: 5, what: 'rows' });
    await expect(failing).rejects.toThrow(/^rows not reached within 30 ms; last probe error: relation "no_such_table" does not exist$/);
  });

  it('says only that it timed out when the probe answered without error last', async () => {
    await expect(waitUntil(() => false, 20, { intervalMs: 5, what: 'flag' })).rejects.toThrow(/^flag not reached within 20 ms$/);
  });
});
