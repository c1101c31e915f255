// errorCodeOf: the stable FedsynthError code a promise rejects with ('NO_ERROR' if it resolves);
// fails the test when it rejects with anything but a FedsynthError.
import { expect } from 'vitest';
import { FedsynthError } from '../../shared/errors/FedsynthError.js';

export async function errorCodeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FedsynthError);
    return (e as FedsynthError).code;
  }
  return 'NO_ERROR';
}

/** The stable FedsynthError code a synchronous call throws ('NO_ERROR' if it returns). */
export function errorCodeOfSync(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FedsynthError);
    return (e as FedsynthError).code;
  }
  return 'NO_ERROR';
}
