/** For the mapper tests: the error a call throws, checked to be of the expected class. */
import { expect } from 'vitest';

export function caught<E extends Error>(run: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return err as E;
  }
  throw new Error(`expected a ${type.name}`);
}
