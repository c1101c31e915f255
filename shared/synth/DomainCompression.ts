// DomainCompression: MST's merging of rare attribute values into one "other" code, and its
// inverse for synthetic rows (McKenna, Miklau, Sheldon 2021, "Winning the NIST Contest", §4).
import { Domain } from '../pgm/Domain.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { AttributeRecode } from './LocalQuery.js';

/** A public recoding of the domain computed from noisy 1-way marginals. */
export interface DomainCompression {
  readonly original: Domain;
  readonly compressed: Domain;
  /** Recodes of the attributes that were compressed (others are unchanged). */
  readonly recode: readonly AttributeRecode[];
  /** The 1-way measurements in the compressed domain (merged cell = sum of merged noisy cells). */
  readonly oneWays: readonly Measurement[];
}

/**
 * For each attribute, keeps the values whose noisy count is >= `3 * stddev` and merges the rest
 * into one extra code (as MST's compress_domain). Post-processing of the 1-way measurements.
 * The merged cell's noise variance is k·stddev² for k merged values; it is kept with the common
 * stddev (Measurement carries one stddev), which overweights that single cell slightly.
 */
export function compressDomain(domain: Domain, oneWays: readonly Measurement[]): DomainCompression {
  const recode: AttributeRecode[] = [];
  const sizes = [...domain.shape];
  const out: Measurement[] = [];
  for (const m of oneWays) {
    const attr = m.attrs[0];
    const size = domain.sizeOf(attr);
    const keep: number[] = [];
    for (let c = 0; c < size; c++) if (m.values[c] >= 3 * m.stddev) keep.push(c);
    if (keep.length === size) {
      out.push(m);
      continue;
    }
    const map = new Array<number>(size).fill(keep.length);
    keep.forEach((c, i) => (map[c] = i));
    const values = new Float64Array(keep.length + 1);
    for (let c = 0; c < size; c++) values[map[c]] += m.values[c];
    recode.push({ attr, map, size: keep.length + 1 });
    sizes[domain.indexOf(attr)] = keep.length + 1;
    out.push({ attrs: [attr], values, stddev: m.stddev });
  }
  return { original: domain, compressed: new Domain(domain.attrs, sizes), recode, oneWays: out };
}

/** Maps synthetic columns from the compressed domain back: "other" becomes a uniform merged value. */
export function decompressColumns(c: DomainCompression, columns: readonly Int32Array[], rng: RandomSource): Int32Array[] {
  const byAttr = new Map(c.recode.map((r) => [r.attr, r]));
  return columns.map((col, j) => {
    const r = byAttr.get(c.original.attrs[j]);
    if (!r) return col;
    const kept: number[] = new Array<number>(r.size - 1);
    const merged: number[] = [];
    r.map.forEach((v, orig) => (v === r.size - 1 ? merged.push(orig) : (kept[v] = orig)));
    const out = new Int32Array(col.length);
    for (let i = 0; i < col.length; i++) {
      const v = col[i];
      out[i] = v < r.size - 1 ? kept[v] : merged[uniformInt(rng, merged.length)];
    }
    return out;
  });
}
