// canonicalJson: a deterministic JSON encoding (object keys sorted by UTF-16 code units, no
// whitespace) used for hashing audit records and signing rosters. Rejects values JSON cannot round-trip.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/**
 * Encodes `value` canonically: like JSON.stringify but with object keys sorted, `undefined`
 * object members omitted, and NaN/Infinity, bigint, functions and symbols rejected.
 * Two structurally equal values always give the same string (RFC 8785 style, without its
 * number re-formatting: numbers use ECMAScript's shortest round-trip form, as JSON.stringify does).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw bad(path, 'non-finite number');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x, i) => (x === undefined ? 'null' : encode(x, `${path}[${i}]`))).join(',')}]`;
      if (ArrayBuffer.isView(v)) throw bad(path, 'typed array (encode it as base64 or a plain array first)');
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(obj[k], `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw bad(path, typeof v);
  }
}

function bad(path: string, what: string): FedsynthError {
  return new FedsynthError(ErrorCode.InvalidArgument, `canonicalJson: cannot encode ${what} at ${path}`, { path });
}
