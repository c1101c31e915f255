// evaluateLocalQuery: what one party computes for a LocalQuery on its own data, before noise.
// Pure (no I/O beyond the MarginalSource, no randomness): the agent runs exactly this function.
import type { Domain } from '../pgm/Domain.js';
import type { MarginalSource } from '../data/MarginalSource.js';
import { type AttributeRecode, type LocalQuery, validateLocalQuery, recodedSizes, cellsOf } from './LocalQuery.js';

/**
 * The party's exact answer to `query` as an integer-valued vector (see LocalQuery for each
 * kind's definition and sensitivity). `domain` is the consortium domain the source is coded in.
 */
export async function evaluateLocalQuery(query: LocalQuery, source: MarginalSource, domain: Domain): Promise<Float64Array> {
  validateLocalQuery(query, domain);
  switch (query.kind) {
    case 'marginals': {
      const counts = await recodedMarginals(source, domain, query.attrSets, query.recode);
      const total = counts.reduce((s, c) => s + c.length, 0);
      const out = new Float64Array(total);
      let off = 0;
      for (const c of counts) {
        out.set(c, off);
        off += c.length;
      }
      return out;
    }
    case 'l1Scores': {
      const n = await source.rowCount();
      const counts = await recodedMarginals(source, domain, query.candidates, query.recode);
      const out = new Float64Array(query.candidates.length);
      counts.forEach((c, k) => {
        const ref = query.reference[k];
        let refSum = 0;
        for (let i = 0; i < ref.length; i++) refSum += ref[i];
        const scale = refSum > 0 ? n / refSum : 0;
        let l1 = 0;
        for (let i = 0; i < c.length; i++) l1 += Math.abs(c[i] - scale * ref[i]);
        if (query.samplingCorrection === true && refSum > 0) {
          for (let i = 0; i < c.length; i++) l1 -= expectedAbsDeviation((n * ref[i]) / refSum);
        }
        out[k] = Math.round(l1);
      });
      return out;
    }
  }
}

/** Exact marginals in the recoded domain: counted on the original codes, then cells merged. */
async function recodedMarginals(
  source: MarginalSource,
  domain: Domain,
  attrSets: readonly (readonly string[])[],
  recode: readonly AttributeRecode[] | undefined,
): Promise<Float64Array[]> {
  const raw = await source.marginals(attrSets);
  if (!recode || recode.length === 0) return raw;
  const maps = new Map(recode.map((r) => [r.attr, r.map]));
  const sizes = recodedSizes(domain, recode);
  return attrSets.map((attrs, k) => {
    if (!attrs.some((a) => maps.has(a))) return raw[k];
    const src = raw[k];
    const out = new Float64Array(cellsOf(domain, sizes, attrs));
    const shape = domain.shapeOf(attrs);
    const digits = new Array<number>(attrs.length).fill(0);
    for (let i = 0; i < src.length; i++) {
      if (src[i] !== 0) {
        let idx = 0;
        for (let d = 0; d < attrs.length; d++) {
          const m = maps.get(attrs[d]);
          idx = idx * sizes[domain.indexOf(attrs[d])] + (m ? m[digits[d]] : digits[d]);
        }
        out[idx] += src[i];
      }
      for (let d = attrs.length - 1; d >= 0; d--) {
        if (++digits[d] < shape[d]) break;
        digits[d] = 0;
      }
    }
    return out;
  });
}

/**
 * A continuous under-estimate of E|X − λ| for a count X with mean λ (Poisson/normal): sqrt(2/π)·λ
 * for λ < 1, sqrt(2λ/π) for λ >= 1. With λ = n·p its derivative in n is at most sqrt(2/π)·p, so
 * summed over a marginal's cells the correction moves by at most sqrt(2/π) < 0.8 when n changes by 1.
 */
export function expectedAbsDeviation(lambda: number): number {
  const k = Math.sqrt(2 / Math.PI);
  return lambda < 1 ? k * lambda : k * Math.sqrt(lambda);
}
