// adultShapedFit: a fit fixture for tests of the split (two-thread) fit — the UCI Adult domain and
// the attribute sets of one AIM final fit, with counts from a fixed generator (no data).
import { Domain } from '../Domain.js';
import type { GraphicalModel } from '../GraphicalModel.js';
import type { Measurement } from '../Measurement.js';

// The UCI Adult domain (schema bins) and the attribute sets of one AIM run's final fit at epsilon 1
// (column indices joined by '.'): a junction tree of 10 cliques, 180,075 cells, whose root is split,
// with separators, child separators and measured marginals that lack their clique's first
// attribute (summed whole by one thread) and cliques small enough to go whole to one thread.
const SHAPE = [9, 9, 12, 16, 16, 7, 15, 6, 5, 2, 10, 7, 9, 43, 2];
const SETS =
  '0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 3.4 5.7 7.9 0.5 5.9 7.14 5.14 0.7 1.6 6.9 4.6 3.6 0.14 6.14 4.14 3.14 6.7 12.14 7.12 ' +
  '6.12 9.14 9.12 10.14 5.6 0.1 0.12 0.6 3.7 1.14 0.9 8.9.12 1.12.14 9.11.14 2.14 0.8 1.8 8.14 4.9 0.3 7.11 8.10 9.10 0.2 1.9 3.9.14 5.11 2.7';
// The attribute sets of the final fit of one `fedsynth demo` run (AIM, epsilon 1): 10 cliques,
// 219,788 cells, a root of 102,060 cells whose children's separators lack its first attribute.
const DEMO_SETS =
  '0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 3.4 5.7 7.9 0.5 0.7 5.14 5.9 6.9 7.14 1.6 7.12 7.10 1.5 5.6 4.6 5.12 5.11 7.8 3.6 5.8 6.7 ' +
  '0.14 1.7 7.11 4.14 6.14 3.14 12.14 5.10 1.12 10.11.14 3.7 6.12 1.5 9.12.14 7.8.14 0.12 13.14 8.9.10 3.4 3.12 5.7.9 1.14 5.12 ' +
  '5.14 2.7 0.5 5.8.14 3.9.14 2.7.9 9.13 8.9.12 12.14 8.13 9.11';
export const adultShapedDomain = new Domain(
  SHAPE.map((_, i) => `c${i}`),
  SHAPE,
);

/**
 * Noisy-looking counts (a fixed LCG) on the sets of one AIM final fit (`fit` 'aim') or of one
 * demo's ('demo'); a few sets measured twice at another noise level (merged groups).
 */
export function adultShapedMeasurements(seed: number, fit: 'aim' | 'demo' = 'aim'): Measurement[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const sets = (fit === 'aim' ? SETS : DEMO_SETS).split(' ').map((k) => k.split('.').map((i) => `c${i}`));
  const out: Measurement[] = [];
  sets.forEach((attrs, q) => {
    const n = adultShapedDomain.size(attrs);
    const values = new Float64Array(n);
    for (let k = 0; k < n; k++) values[k] = (48842 / n) * (0.2 + 1.6 * next()) + 20 * (next() - 0.5);
    out.push({ attrs, values, stddev: 15 + (q % 7) });
    if (q % 17 === 3) out.push({ attrs, values: values.map((v) => v + 10 * (next() - 0.5)), stddev: 40 });
  });
  return out;
}

/** A model's potentials and marginals as bytes (bit-for-bit comparisons). */
export function modelBytes(m: GraphicalModel): Uint8Array {
  const fs = [...m.potentials.factors, ...m.marginals.factors];
  const out = new Uint8Array(fs.reduce((n, f) => n + f.values.byteLength, 0));
  let at = 0;
  for (const f of fs) {
    out.set(new Uint8Array(f.values.buffer, f.values.byteOffset, f.values.byteLength), at);
    at += f.values.byteLength;
  }
  return out;
}

/** Whether two models have the same potentials and marginals bit for bit. */
export function sameBits(a: GraphicalModel, b: GraphicalModel): boolean {
  const x = modelBytes(a);
  const y = modelBytes(b);
  if (x.length !== y.length) return false;
  for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  return true;
}
