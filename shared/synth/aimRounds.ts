// aimRounds: the reference AIM schedule over a FederatedOracle — one selection release and a
// batch of measurements per round, budget annealing, the last round spending what remains.
import type { Domain } from '../pgm/Domain.js';
import { estimate } from '../pgm/Estimation.js';
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import { hypotheticalModelSize } from '../pgm/JunctionTree.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { FederatedOracle } from './FederatedOracle.js';
import { PrivacyAccountant } from '../dp/accounting/PrivacyAccountant.js';
import { federatedConditionalL1Scores } from './federatedConditionalL1Scores.js';
import { type AimCandidate, MB_PER_CELL, fits } from './AimCandidates.js';
import type { AimSelection } from './AimOptions.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The rounds schedule's settings, defaults resolved (by `aim`). */
export interface AimRoundSettings {
  readonly rho: number;
  readonly candidates: readonly AimCandidate[];
  /** Nominal rounds T. */
  readonly rounds: number;
  readonly iters: number;
  readonly maxModelSizeMB: number;
  /** Candidates measured per selection release (at least 1). */
  readonly batch: number;
  /** Share of a round's budget spent on selection. */
  readonly selectionShare: number;
  readonly selection: AimSelection;
  readonly onRound?: (info: { round: number; chosen: readonly (readonly string[])[]; rhoUsed: number; sigma: number }) => void;
}

export interface AimRoundResult {
  readonly model: GraphicalModel;
  readonly measurements: Measurement[];
  readonly selected: string[][];
  readonly rhoUsed: number;
}

/**
 * Federated AIM, following the reference algorithm (mechanisms/aim.py): measure all 1-ways with
 * sigma = sqrt(T / (2·0.9·rho)); each round spends a selection release and `batch` measurements
 * with sigma; candidates must keep the model under maxModelSize·rhoUsed/rho; scores are
 * w_c·(||M_c(D) − M_c(p̂)||_1 − sqrt(2/π)·sigma·n_c); after the fit, if the chosen marginal moved
 * by at most sqrt(2/π)·sigma·n_c the noise is halved (budget annealing); when what remains is
 * less than two rounds, the last round uses all of it. Selection is the argmax of the noisy
 * scores (post-processing of a Gaussian release; see AimSelection).
 */
export async function aimRounds(oracle: FederatedOracle, s: AimRoundSettings): Promise<AimRoundResult> {
  const domain = oracle.domain;
  const d = domain.attrs.length;
  const { rho, candidates, iters, batch, selection } = s;
  const T = s.rounds;
  const maxSize = s.maxModelSizeMB;
  const share = s.selectionShare;
  const budget = new PrivacyAccountant(rho);
  // Per-measurement rho 0.5/sigma² = (1-share)·rho/T; selection per release = share/(1-share)·batch·that.
  let sigma = Math.sqrt(T / (2 * (1 - share) * rho));
  const selRho = (s: number): number => (share / (1 - share)) * batch * (0.5 / (s * s));

  const oneways = domain.attrs.map((a) => [a]);
  const measurements: Measurement[] = await oracle.measure(oneways, budget.charge('aim/oneway', (d * 0.5) / (sigma * sigma)).rho, 'aim/oneway');
  let model = estimate(domain, measurements, { iters });
  const selected: string[][] = [];
  let terminate = false;
  let round = 0;
  while (!terminate) {
    round++;
    let measRho = 0.5 / (sigma * sigma);
    let sRho = selRho(sigma);
    if (budget.remaining < 2 * (sRho + batch * measRho)) {
      // Last round: spend exactly what remains, split in the same proportions.
      const rem = budget.remaining;
      sRho = rem * share;
      measRho = (rem * (1 - share)) / batch;
      sigma = Math.sqrt(0.5 / measRho);
      terminate = true;
    }
    const rhoUsedAfter = budget.spent.rho + sRho + batch * measRho;
    const sizeLimit = (maxSize * rhoUsedAfter) / rho;
    const small = candidates.filter((c) => fits(domain, model, c.attrs, sizeLimit));
    if (small.length === 0) break;
    const n = model.total;
    const est = small.map((c) => model.project(c.attrs));
    let raw: Float64Array;
    let extra: Measurement[] = [];
    if (selection === 'measured') {
      const ms = await oracle.measure(small.map((c) => c.attrs), budget.charge(`aim/select/${round}`, sRho).rho, `aim/select/${round}`);
      raw = new Float64Array(small.length);
      const bias = ms[0].stddev * SQRT_2_OVER_PI;
      ms.forEach((m, k) => {
        let l1 = 0;
        for (let i = 0; i < m.values.length; i++) l1 += Math.abs(m.values[i] - est[k][i]);
        raw[k] = l1 - bias * m.values.length;
      });
      extra = ms;
    } else {
      // Y_r = ∅: the parties project the sent model themselves (no table per candidate on the wire).
      const res = await federatedConditionalL1Scores(oracle, model, small.map((c) => c.attrs), small.map(() => []), budget.charge(`aim/select/${round}`, sRho).rho, `aim/select/${round}`, selection === 'localScoresCorrected');
      raw = res.scores;
    }
    void n;
    const scores = small.map((c, k) => c.weight * (raw[k] - SQRT_2_OVER_PI * sigma * c.cells));
    const chosen = pickBatch(domain, model, small, scores, batch, sizeLimit);
    const fresh = await oracle.measure(chosen, budget.charge(`aim/measure/${round}`, chosen.length * measRho).rho, `aim/measure/${round}`);
    const chosenKeys = new Set(chosen.map((c) => c.join('\u0001')));
    const before = model.project(chosen[0]);
    measurements.push(...fresh, ...extra.filter((m) => chosenKeys.has(m.attrs.join('\u0001'))));
    selected.push(...chosen);
    model = estimate(domain, measurements, { iters, warmStart: model });
    const after = model.project(chosen[0]);
    let moved = 0;
    for (let i = 0; i < after.length; i++) moved += Math.abs(after[i] - before[i]);
    s.onRound?.({ round, chosen, rhoUsed: budget.spent.rho, sigma });
    if (!terminate && moved <= sigma * SQRT_2_OVER_PI * after.length) {
      // Annealing (AIM Alg. 2): sigma /= 2, epsilon *= 2 — both rho shares grow 4x.
      sigma /= 2;
    }
  }
  return { model, measurements, selected, rhoUsed: budget.spent.rho };
}

/** The best-scoring candidate, then (batch > 1) the next best ones that still fit together. */
function pickBatch(domain: Domain, model: GraphicalModel, small: readonly AimCandidate[], scores: readonly number[], batch: number, sizeLimit: number): string[][] {
  const order = small.map((_, k) => k).sort((x, y) => scores[y] - scores[x] || x - y);
  const chosen: string[][] = [];
  for (const k of order) {
    if (chosen.length === batch) break;
    const c = small[k].attrs;
    if (chosen.some((s) => c.every((a) => s.includes(a)) || s.every((a) => c.includes(a)))) continue;
    if (chosen.length > 0 && hypotheticalModelSize(domain, [...model.cliques, ...chosen, c]) * MB_PER_CELL > sizeLimit) continue;
    chosen.push(c);
  }
  return chosen;
}
