/** Polling waits shared by the bring-up, the benchmarks and the tests. */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` every `intervalMs` until it returns something truthy, which is returned; throws
 * after `timeoutMs`. A probe error counts as "not yet" (a server still starting), but the last
 * one is reported in the timeout error, so a broken probe does not read as a mere timeout.
 */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs: number,
  { intervalMs = 250, what = 'condition' }: { intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const reason = lastError === undefined ? '' : `; last probe error: ${lastError instanceof Error ? lastError.message : String(lastError)}`;
      throw new Error(`${what} not reached within ${timeoutMs} ms${reason}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
