// parseDomainJson: reads a domain file's text (`{column: size}` in column order) into columns and sizes.
// Pure (takes the text); the caller names the file for error messages.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** An ordered list of columns with the number of integer codes of each. */
export interface EvalDomain {
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
}

/** Parses `{"col": size, ...}`; throws InvalidDomain naming `file` when it is not such an object. */
export function parseDomainJson(text: string, file: string): EvalDomain {
  let d: unknown;
  try {
    d = JSON.parse(text);
  } catch (e) {
    throw new FedsynthError(ErrorCode.InvalidDomain, `domain ${file}: cannot read JSON (${(e as Error).message})`, { file });
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d)) {
    throw new FedsynthError(ErrorCode.InvalidDomain, `domain ${file}: not a JSON object of column -> positive integer size`, { file });
  }
  const entries = Object.entries(d as Record<string, unknown>);
  if (entries.length === 0) throw new FedsynthError(ErrorCode.InvalidDomain, `domain ${file}: no columns`, { file });
  for (const [k, v] of entries) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new FedsynthError(ErrorCode.InvalidDomain, `domain ${file}: column ${k} has size ${JSON.stringify(v)}, expected a positive integer`, {
        file,
        column: k,
      });
    }
  }
  return { columns: entries.map(([k]) => k), sizes: entries.map(([, v]) => v as number) };
}
