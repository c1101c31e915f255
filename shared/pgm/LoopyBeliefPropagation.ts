// LoopyBeliefPropagation: approximate marginal inference on the factor graph of a clique set
// (damped sum-product messages, warm-started), exact on trees; no junction tree is built.
import type { Domain } from './Domain.js';
import { indexMap } from './IndexMap.js';
import { maximalCliques } from './JunctionTree.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface LoopyOptions {
  /** Most message sweeps per `run` (default 50). */
  readonly maxSweeps?: number;
  /** Stop when no log-message moved by more than this (default 1e-6). */
  readonly tolerance?: number;
  /** Weight of the old message in each update, in [0, 1) (default 0.5). */
  readonly damping?: number;
}

/**
 * Sum-product belief propagation on the factor graph whose factors are the maximal cliques of
 * `cliques` plus a singleton for every domain column in none of them (Pearl 1988; Yedidia,
 * Freeman & Weiss 2003, the Bethe approximation; used as Private-PGM's approximate marginal
 * oracle, McKenna, Sheldon & Miklau, ICML 2019, §5, and as the region-graph special case of
 * McKenna et al., "Relaxed Marginal Consistency for Differentially Private Query Answering",
 * NeurIPS 2021, whose regions here are the factors and the single columns).
 *
 * In log space, with S_v = Σ_{g∋v} m_{g→v} held per column: the factor-to-column message is
 * m_{f→v}(x_v) = logsumexp_{x_f \ x_v} [θ_f(x_f) + Σ_{u∈f} (S_u − m_{f→u})(x_u)] − (S_v − m_{f→v})(x_v),
 * normalised to logsumexp 0 and damped; factors are visited in order (sequential schedule) and
 * S_v is updated after each message, so one sweep costs O(Σ_f |f|·cells(f)). On a factor graph
 * without cycles (e.g. cliques that pairwise share at most one column along a tree) the fixed
 * point is exact (tests compare with the junction tree); with cycles the beliefs are the Bethe
 * pseudo-marginals: locally consistent, not necessarily a joint distribution's marginals.
 * Messages persist between calls, so mirror descent's small potential steps start each run near
 * the last fixed point.
 */
export class LoopyBeliefPropagator {
  readonly domain: Domain;
  /** The factors: maximal cliques, then singletons of uncovered columns (canonical). */
  readonly cliques: readonly (readonly string[])[];
  private readonly members: number[][];
  private readonly maps: Int32Array[][];
  private readonly f2v: Float64Array[][];
  private readonly sum: Float64Array[];
  private readonly work: Float64Array[];
  private readonly maxSweeps: number;
  private readonly tolerance: number;
  private readonly damping: number;
  /** Sweeps of the last `run`, and whether it met the tolerance. */
  lastSweeps = 0;
  lastConverged = false;

  constructor(domain: Domain, cliques: readonly (readonly string[])[], opts: LoopyOptions = {}) {
    this.domain = domain;
    const max = maximalCliques(domain, cliques);
    const covered = new Set(max.flat());
    for (const a of domain.attrs) if (!covered.has(a)) max.push([a]);
    this.cliques = max;
    this.members = max.map((c) => c.map((a) => domain.indexOf(a)));
    this.maps = max.map((c) => c.map((a) => indexMap(domain, c, [a])));
    this.f2v = this.members.map((vs) => vs.map((v) => new Float64Array(domain.shape[v])));
    this.sum = domain.shape.map((s) => new Float64Array(s));
    this.work = max.map((c) => new Float64Array(domain.size(c)));
    this.maxSweeps = opts.maxSweeps ?? 50;
    this.tolerance = opts.tolerance ?? 1e-6;
    this.damping = opts.damping ?? 0.5;
    if (!(this.damping >= 0 && this.damping < 1)) throw new FedsynthError(ErrorCode.InvalidArgument, 'LoopyBeliefPropagator: damping must be in [0, 1)', { damping: this.damping });
  }

  /** The factor that contains `attrs` with the fewest cells (-1: none). */
  cliqueContaining(attrs: readonly string[]): number {
    let best = -1;
    for (let i = 0; i < this.cliques.length; i++) {
      const c = this.cliques[i];
      if (attrs.every((a) => c.includes(a)) && (best < 0 || this.work[i].length < this.work[best].length)) best = i;
    }
    return best;
  }

  /** Forgets the messages (the next `run` starts from uniform ones). */
  reset(): void {
    for (const ms of this.f2v) for (const m of ms) m.fill(0);
    for (const s of this.sum) s.fill(0);
  }

  /**
   * Runs message sweeps for the log-potentials `potentials` (one per factor, `cliques` order)
   * until converged or `maxSweeps`, and writes each factor's belief, scaled to `total`, to `out`.
   */
  run(potentials: readonly Float64Array[], total: number, out: Float64Array[]): void {
    const m = this.cliques.length;
    let sweep = 0;
    let converged = false;
    const damp = this.damping;
    while (sweep < this.maxSweeps && !converged) {
      sweep++;
      let delta = 0;
      for (let f = 0; f < m; f++) {
        const b = this.belief(f, potentials[f]);
        const vs = this.members[f];
        for (let j = 0; j < vs.length; j++) {
          const v = vs[j];
          const old = this.f2v[f][j];
          const s = this.sum[v];
          const fresh = logSumExpInto(b, this.maps[f][j], old.length);
          // Subtract the incoming column-to-factor message S_v − m_{f→v}, then normalise.
          let mx = -Infinity;
          for (let x = 0; x < fresh.length; x++) {
            fresh[x] -= s[x] - old[x];
            if (fresh[x] > mx) mx = fresh[x];
          }
          let z = 0;
          for (let x = 0; x < fresh.length; x++) z += Math.exp(fresh[x] - mx);
          const norm = mx + Math.log(z);
          for (let x = 0; x < fresh.length; x++) {
            const nv = (1 - damp) * (fresh[x] - norm) + damp * old[x];
            const dv = Math.abs(nv - old[x]);
            if (dv > delta) delta = dv;
            s[x] += nv - old[x];
            old[x] = nv;
          }
        }
      }
      converged = delta <= this.tolerance;
    }
    if (!converged && !this.finite()) throw new FedsynthError(ErrorCode.Internal, 'LoopyBeliefPropagator: messages are not finite');
    this.lastSweeps = sweep;
    this.lastConverged = converged;
    for (let f = 0; f < m; f++) {
      const b = this.belief(f, potentials[f]);
      let mx = -Infinity;
      for (let k = 0; k < b.length; k++) if (b[k] > mx) mx = b[k];
      let z = 0;
      const o = out[f];
      for (let k = 0; k < b.length; k++) {
        const e = Math.exp(b[k] - mx);
        o[k] = e;
        z += e;
      }
      const scale = total / z;
      for (let k = 0; k < b.length; k++) o[k] *= scale;
    }
  }

  /** θ_f plus every incoming column-to-factor message, into the factor's work buffer. */
  private belief(f: number, theta: Float64Array): Float64Array {
    const b = this.work[f];
    b.set(theta);
    const vs = this.members[f];
    for (let j = 0; j < vs.length; j++) {
      const s = this.sum[vs[j]];
      const own = this.f2v[f][j];
      const map = this.maps[f][j];
      for (let k = 0; k < b.length; k++) {
        const x = map[k];
        b[k] += s[x] - own[x];
      }
    }
    return b;
  }

  private finite(): boolean {
    return this.sum.every((s) => s.every((x) => Number.isFinite(x)));
  }
}

/** out[x] = log Σ_{k: map[k] = x} exp(b[k]) (a slice with no finite entry gives -Infinity). */
function logSumExpInto(b: Float64Array, map: Int32Array, n: number): Float64Array {
  const mx = new Float64Array(n).fill(-Infinity);
  for (let k = 0; k < b.length; k++) if (b[k] > mx[map[k]]) mx[map[k]] = b[k];
  const s = new Float64Array(n);
  for (let k = 0; k < b.length; k++) if (mx[map[k]] > -Infinity) s[map[k]] += Math.exp(b[k] - mx[map[k]]);
  for (let x = 0; x < n; x++) s[x] = mx[x] === -Infinity ? -Infinity : mx[x] + Math.log(s[x]);
  return s;
}
