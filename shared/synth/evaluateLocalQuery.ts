// evaluateLocalQuery: what one party computes for a LocalQuery on its own data, before noise.
// Pure (no I/O beyond the MarginalSource, no randomness): the agent runs exactly this function.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { Domain } from '../pgm/Domain.js';
import type { MarginalSource } from '../data/MarginalSource.js';
import { indexMap } from '../pgm/IndexMap.js';
import { type AttributeRecode, type LocalQuery, validateLocalQuery, recodedSizes, cellsOf } from './LocalQuery.js';
import { modelJoint } from './modelReferences.js';
import { EventLoopSlices } from './EventLoopSlices.js';

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
      const slices = new EventLoopSlices();
      for (const [k, c] of counts.entries()) {
        await slices.pause();
        const ref = independenceReference(domain, query.candidates[k], query.oneWays);
        let refSum = 0;
        for (let i = 0; i < ref.length; i++) refSum += ref[i];
        const scale = refSum > 0 ? n / refSum : 0;
        let l1 = 0;
        for (let i = 0; i < c.length; i++) l1 += Math.abs(c[i] - scale * ref[i]);
        if (query.samplingCorrection === true && refSum > 0) {
          for (let i = 0; i < c.length; i++) l1 -= expectedAbsDeviation((n * ref[i]) / refSum);
        }
        out[k] = Math.round(l1);
      }
      return out;
    }
    case 'conditionalL1Scores': {
      const unions = query.candidates.map((c, k) => domain.union(c, query.conditions[k]));
      const counts = await source.marginals(unions);
      const out = new Float64Array(query.candidates.length);
      // Each candidate's reference comes from the model (a projection): seconds to minutes of work in
      // all at 40 columns, handed back to the event loop in slices (heartbeats, EventLoopSlices).
      const slices = new EventLoopSlices();
      for (const [k, joint] of counts.entries()) {
        await slices.pause();
        const q = query.model !== undefined ? modelJoint(domain, query.model, unions[k], conditionAnchor(query.candidates[k], query.conditions[k])) : query.reference[k];
        const ref = partyConditionalReference(domain, query.candidates[k], query.conditions[k], unions[k], joint, q);
        const local = new Float64Array(ref.length);
        const toR = indexMap(domain, unions[k], query.candidates[k]);
        for (let u = 0; u < joint.length; u++) local[toR[u]] += joint[u];
        let l1 = 0;
        for (let x = 0; x < ref.length; x++) l1 += Math.abs(local[x] - ref[x]);
        if (query.samplingCorrection === true) {
          const scale = query.multinomialFloor === true ? partyConditionalVariance(domain, query.candidates[k], query.conditions[k], unions[k], joint, q) : ref;
          for (let x = 0; x < ref.length; x++) l1 -= expectedAbsDeviation(scale[x]);
        }
        out[k] = Math.round(l1);
      }
      return out;
    }
    case 'pairDependenceScores': {
      const n = await source.rowCount();
      const attrs = [...new Set(query.candidates.flat())];
      const sets = [...query.candidates, ...attrs.map((a) => [a])];
      const counts = await recodedMarginals(source, domain, sets, query.recode);
      const oneWay = new Map(attrs.map((a, j) => [a, counts[query.candidates.length + j]]));
      const out = new Float64Array(query.candidates.length);
      if (n === 0) return out;
      const slices = new EventLoopSlices();
      for (const [k, [a, b]] of query.candidates.entries()) {
        await slices.pause();
        const joint = counts[k];
        // Party's own 1-way counts; with an anchor, the pair's other attribute takes the public
        // distribution (normalized) scaled to the party's rows instead.
        const ca = a !== query.anchor && b === query.anchor ? publicCounts(query.anchorReference?.[k], n) : (oneWay.get(a) as Float64Array);
        const cb = b !== query.anchor && a === query.anchor ? publicCounts(query.anchorReference?.[k], n) : (oneWay.get(b) as Float64Array);
        let score = 0;
        for (let x = 0; x < ca.length; x++) {
          for (let y = 0; y < cb.length; y++) {
            const ref = (ca[x] * cb[y]) / n;
            score += Math.abs(joint[x * cb.length + y] - ref);
            if (query.samplingCorrection === true) score -= poissonMeanAbsDeviation(ref);
          }
        }
        out[k] = Math.round(score);
      }
      return out;
    }
    case 'gradientStep':
      // Not a count: the party's trainer answers it (party-agent/rounds/gradientContribution.ts).
      throw new FedsynthError(ErrorCode.InvalidArgument, 'a gradientStep query is answered by the party trainer, not counted');
    case 'riskCounts':
      // Not a marginal: counted on the delivered synthetic rows (party-agent/evaluation/PooledRiskContribution.ts).
      throw new FedsynthError(ErrorCode.InvalidArgument, 'a riskCounts query is answered from the delivered outputs, not from marginals');
  }
}

/** One pass over the union's cells: the party's condition counts c(y), and the model's q(y), q(r) and total. */
function conditionTotals(
  domain: Domain,
  r: readonly string[],
  y: readonly string[],
  union: readonly string[],
  localJoint: Float64Array,
  q: ArrayLike<number>,
): { toR: Int32Array; toY: Int32Array; cellsY: number; cY: Float64Array; qY: Float64Array; qR: Float64Array; qTotal: number } {
  const toR = indexMap(domain, union, r);
  const toY = indexMap(domain, union, y);
  const cellsY = domain.size(y);
  const cY = new Float64Array(cellsY);
  const qY = new Float64Array(cellsY);
  const qR = new Float64Array(domain.size(r));
  let qTotal = 0;
  for (let u = 0; u < localJoint.length; u++) {
    cY[toY[u]] += localJoint[u];
    qY[toY[u]] += q[u];
    qR[toR[u]] += q[u];
    qTotal += q[u];
  }
  return { toR, toY, cellsY, cY, qY, qR, qTotal };
}

/**
 * The party's reference for candidate `r` (LocalQuery `conditionalL1Scores`): its own counts
 * c(y) of the condition Y, spread over r by the model's conditional q(r | y), i.e.
 * ref(x) = sum_y c(y) q(x, y) / q(y). Each record contributes a probability vector (L1 norm 1).
 */
export function partyConditionalReference(
  domain: Domain,
  r: readonly string[],
  y: readonly string[],
  union: readonly string[],
  localJoint: Float64Array,
  q: ArrayLike<number>,
): Float64Array {
  const { toR, toY, cellsY, cY, qY, qR, qTotal } = conditionTotals(domain, r, y, union, localJoint, q);
  const ref = new Float64Array(qR.length);
  for (let u = 0; u < localJoint.length; u++) {
    const yy = toY[u];
    if (qY[yy] > 0) ref[toR[u]] += (cY[yy] * q[u]) / qY[yy];
  }
  // Conditions the model gives no mass: the r-marginal of q (uniform if q is all zero).
  let orphan = 0;
  for (let v = 0; v < cellsY; v++) if (!(qY[v] > 0)) orphan += cY[v];
  if (orphan > 0) for (let x = 0; x < ref.length; x++) ref[x] += orphan * (qTotal > 0 ? qR[x] / qTotal : 1 / ref.length);
  return ref;
}

/**
 * Each cell's variance given the party's own counts of the condition (LocalQuery
 * `multinomialFloor`): v(x) = sum_y c(y)·q(x|y)·(1 − q(x|y)), with partyConditionalReference's
 * conditionals (fallback q's r-marginal, normalized, or uniform). Each record adds a vector in
 * [0, q(·|y)] (L1 norm at most 1).
 */
export function partyConditionalVariance(
  domain: Domain,
  r: readonly string[],
  y: readonly string[],
  union: readonly string[],
  localJoint: Float64Array,
  q: ArrayLike<number>,
): Float64Array {
  const { toR, toY, cellsY, cY, qY, qR, qTotal } = conditionTotals(domain, r, y, union, localJoint, q);
  const cellsR = qR.length;
  // q(x | y) per condition value: r cells of one y are spread over the union's cells of that y.
  const cond = new Float64Array(cellsY * cellsR);
  for (let u = 0; u < localJoint.length; u++) if (qY[toY[u]] > 0) cond[toY[u] * cellsR + toR[u]] += q[u] / qY[toY[u]];
  const v = new Float64Array(cellsR);
  let orphan = 0;
  for (let yy = 0; yy < cellsY; yy++) {
    if (!(qY[yy] > 0)) {
      orphan += cY[yy];
      continue;
    }
    if (cY[yy] === 0) continue;
    for (let x = 0; x < cellsR; x++) {
      const p = cond[yy * cellsR + x];
      v[x] += cY[yy] * p * (1 - p);
    }
  }
  if (orphan > 0) {
    for (let x = 0; x < cellsR; x++) {
      const p = qTotal > 0 ? qR[x] / qTotal : 1 / cellsR;
      v[x] += orphan * p * (1 - p);
    }
  }
  return v;
}

/** A public distribution (normalized; uniform if all zero) scaled to `n` rows. */
function publicCounts(p: readonly number[] | undefined, n: number): Float64Array {
  const ref = p ?? [];
  const total = ref.reduce((s, v) => s + v, 0);
  return Float64Array.from(ref, (v) => (total > 0 ? (n * v) / total : n / ref.length));
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

/**
 * E|X − λ| for X ~ Poisson(λ), exactly: 2·e^(−λ)·λ^(m+1)/m! with m = floor(λ) (the Poisson mean
 * absolute deviation, e.g. Johnson, Kemp, Kotz, "Univariate Discrete Distributions", §4.3). The
 * floor of `pairDependenceScores`, whose parties may be small: for λ < 1 it is ~2λ, where
 * `expectedAbsDeviation`'s sqrt(2/π)·λ under-estimates it by up to 2.5x (docs/synthesis.md).
 * Continuous and non-decreasing; on [m, m+1] its derivative is 2·P(X = m)·(m + 1 − λ) ∈ [0, 2], so
 * it is 2-Lipschitz. Cost O(floor(λ)) (a pair's cells sum to n rows: O(n) per pair).
 */
export function poissonMeanAbsDeviation(lambda: number): number {
  if (!(lambda > 0)) return 0;
  const m = Math.floor(lambda);
  let logFactorial = 0;
  for (let t = 2; t <= m; t++) logFactorial += Math.log(t);
  return 2 * Math.exp((m + 1) * Math.log(lambda) - lambda - logFactorial);
}

/**
 * The product of the 1-way tables `oneWays[a]` (column order) over the canonical set `attrs`, in
 * the marginal layout (last attribute fastest): `l1Scores`' reference before normalization.
 */
export function independenceReference(domain: Domain, attrs: readonly string[], oneWays: readonly ArrayLike<number>[]): Float64Array {
  let out = Float64Array.of(1);
  for (const a of attrs) {
    const p = oneWays[domain.indexOf(a)];
    const next = new Float64Array(out.length * p.length);
    for (let i = 0; i < out.length; i++) for (let j = 0; j < p.length; j++) next[i * p.length + j] = out[i] * p[j];
    out = next;
  }
  return out;
}

/**
 * The projection anchor of a candidate's reference (modelJoint): its one condition member, or with
 * several, the first outside the candidate (AIM's joint condition {a, Y}: Y, shared by most
 * candidates of a release); none otherwise. Any anchor gives the same joint up to rounding.
 */
function conditionAnchor(candidate: readonly string[], condition: readonly string[]): string | undefined {
  if (condition.length === 1) return condition[0];
  return condition.find((a) => !candidate.includes(a));
}
