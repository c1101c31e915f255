// assertNoRawData: a coarse guard the audit writer runs on every record's details, rejecting
// payloads that look like data (long arrays, typed arrays, keys named rows/counts/values, long strings).
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Longest array allowed anywhere in audit details (e.g. a clique's attribute list). */
export const MAX_AUDIT_ARRAY = 32;
/** Longest string allowed in audit details. */
export const MAX_AUDIT_STRING = 2048;
/** Keys that usually carry data; allowed only when listed in `noisyKeys` (values that are DP-noised). */
export const FORBIDDEN_AUDIT_KEYS: readonly string[] = ['rows', 'row', 'counts', 'values', 'records', 'data', 'marginal', 'marginals'];

export interface RawDataGuardOptions {
  /** Keys the caller declares to hold already-noised (DP-released) values; exempt from the key check. */
  readonly noisyKeys?: readonly string[];
}

/**
 * Throws InvalidArgument if `details` looks like it contains raw data. This is a safety net against
 * mistakes, not a privacy guarantee: the guarantee is that callers log metadata only (ids, epsilon
 * charges, attribute names, hashes), never records or exact counts.
 */
export function assertNoRawData(details: unknown, opts: RawDataGuardOptions = {}): void {
  const noisy = new Set(opts.noisyKeys ?? []);
  walk(details, '$', noisy, 0);
}

function reject(path: string, why: string): never {
  throw new FedsynthError(ErrorCode.InvalidArgument, `audit details look like raw data at ${path}: ${why}`, { path });
}

function walk(v: unknown, path: string, noisy: ReadonlySet<string>, depth: number): void {
  if (depth > 8) reject(path, 'nested deeper than 8 levels');
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return;
  if (typeof v === 'string') {
    if (v.length > MAX_AUDIT_STRING) reject(path, `string longer than ${MAX_AUDIT_STRING} characters`);
    return;
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) reject(path, 'binary / typed array');
  if (Array.isArray(v)) {
    if (v.length > MAX_AUDIT_ARRAY) reject(path, `array of ${v.length} elements (max ${MAX_AUDIT_ARRAY})`);
    v.forEach((x, i) => walk(x, `${path}[${i}]`, noisy, depth + 1));
    return;
  }
  if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (FORBIDDEN_AUDIT_KEYS.includes(k.toLowerCase()) && !noisy.has(k)) {
        reject(`${path}.${k}`, `key "${k}" is reserved for data (declare it in noisyKeys only if it holds DP-noised values)`);
      }
      walk(x, `${path}.${k}`, noisy, depth + 1);
    }
    return;
  }
  reject(path, `unsupported ${typeof v}`);
}
