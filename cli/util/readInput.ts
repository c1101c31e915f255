// readInput: reads a user-named input file with a clear NOT_FOUND / INVALID_DATA error naming it.
import { readFileSync, statSync } from 'node:fs';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

export function readTextFile(path: string, what: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new FedsynthError(ErrorCode.NotFound, `${what} ${path} does not exist`, { file: path });
  }
  if (!st.isFile()) throw new FedsynthError(ErrorCode.InvalidArgument, `${what} ${path} is not a file`, { file: path });
  return readFileSync(path, 'utf8');
}

export function readJsonFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new FedsynthError(ErrorCode.InvalidData, `${what} ${path} is not valid JSON: ${(e as Error).message}`, { file: path });
  }
}

/** Parses a number option, naming the flag on error. */
export function numberOption(value: string | undefined, flag: string, opts: { integer?: boolean; min?: number; max?: number; exclusiveMin?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  const bad = (why: string): never => {
    throw new FedsynthError(ErrorCode.InvalidArgument, `${flag} ${why}, got '${value}'`, { field: flag });
  };
  if (!Number.isFinite(v) || value.trim() === '') bad('must be a number');
  if (opts.integer && !Number.isInteger(v)) bad('must be an integer');
  if (opts.min !== undefined && v < opts.min) bad(`must be >= ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) bad(`must be <= ${opts.max}`);
  if (opts.exclusiveMin !== undefined && !(v > opts.exclusiveMin)) bad(`must be > ${opts.exclusiveMin}`);
  return v;
}
