// privacyUtilityPlan: the body of `fedsynth plan` — the mechanism run on stand-in data at each epsilon, and the
// fidelity (TV), utility (TSTR) and risk (shared/eval/risk) of what it makes, as one point per epsilon.
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { splitParties } from '../shared/data/splitParties.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { InProcessOracle } from '../shared/synth/InProcessOracle.js';
import { mst } from '../shared/synth/Mst.js';
import { aim } from '../shared/synth/Aim.js';
import { makeCodeTable, type CodeTable } from '../shared/eval/CodeTable.js';
import { sampleRows } from '../shared/eval/sampleRows.js';
import { totalVariation } from '../shared/eval/totalVariation.js';
import { utilityTstr } from '../shared/eval/utilityTstr.js';
import { evaluateRisk } from '../shared/eval/risk/evaluateRisk.js';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { PlanPoint } from '../shared/eval/PlanPoint.js';

export type { PlanPoint };

export interface PlanOptions {
  /** The stand-in table (public data, or data generated from the schema's declared structure). */
  readonly table: CodeTable;
  readonly epsilons: readonly number[];
  readonly delta: number;
  readonly parties: number;
  readonly mechanism: 'mst' | 'aim';
  /** Share of rows held back as control (risk) and test (TSTR) rows, never used by the mechanism. */
  readonly holdout: number;
  /** Column index of the TSTR target; undefined = no utility figures. */
  readonly target?: number;
  readonly ordinal?: readonly boolean[];
  readonly seed: string;
  /** Mirror-descent iterations of the fit (default 300: a plan, not a release). */
  readonly iters?: number;
  /** Target rows per risk attack (default 500). */
  readonly riskAttacks?: number;
  readonly onPoint?: (p: PlanPoint) => void;
  readonly onProgress?: (message: string) => void;
}

function subset(t: CodeTable, idx: Int32Array): CodeTable {
  return makeCodeTable(t.columns, t.sizes, t.data.map((col) => Int32Array.from(idx, (i) => col[i])));
}

/**
 * Holds back `holdout` of the rows (seeded), splits the rest at random among `parties`, and for each
 * epsilon runs the chosen mechanism through InProcessOracle at rho = rhoFromEpsilon(epsilon, delta)
 * (the same per-party exact noise as a study), samples as many rows as were used, and scores them.
 */
export async function privacyUtilityPlan(o: PlanOptions): Promise<PlanPoint[]> {
  const n = o.table.rows;
  if (!(o.holdout > 0 && o.holdout < 1)) throw new FedsynthError(ErrorCode.InvalidArgument, `holdout must be in (0, 1), got ${o.holdout}`, { field: '--holdout' });
  const nControl = Math.round(n * o.holdout);
  if (nControl < 1 || n - nControl < o.parties) throw new FedsynthError(ErrorCode.InvalidArgument, `${n} rows are too few for a holdout of ${o.holdout} and ${o.parties} parties`);
  const controlIdx = sampleRows(n, nControl, o.seed, 'plan/control');
  const isControl = new Uint8Array(n);
  for (const i of controlIdx) isControl[i] = 1;
  const trainIdx = Int32Array.from({ length: n }, (_, i) => i).filter((i) => isControl[i] === 0);
  const train = subset(o.table, trainIdx);
  const control = subset(o.table, controlIdx);
  const domain = new Domain(o.table.columns, o.table.sizes);
  const parties = splitParties(new EncodedTable(domain, train.data), o.parties, 'random', seededRandomSource(o.seed, 'plan/split')).map(
    (t) => new InMemoryMarginalSource(t),
  );

  const points: PlanPoint[] = [];
  for (const epsilon of o.epsilons) {
    const t0 = performance.now();
    const rho = rhoFromEpsilon(epsilon, o.delta);
    o.onProgress?.(`plan: epsilon ${epsilon} (rho ${rho.toPrecision(4)}): ${o.mechanism} on ${o.parties} parties`);
    const oracle = new InProcessOracle({ domain, parties, seed: `${o.seed}/eps/${epsilon}` });
    const iters = o.iters ?? 300;
    const fitted = o.mechanism === 'mst' ? await mst(oracle, { rho, iters }) : await aim(oracle, { rho, iters });
    const synth = makeCodeTable(train.columns, train.sizes, fitted.sample(train.rows, seededRandomSource(o.seed, `plan/sample/${epsilon}`)));
    o.onProgress?.(`plan: epsilon ${epsilon}: scoring fidelity, ${o.target !== undefined ? 'utility, ' : ''}risk`);
    const tv = totalVariation(train, synth, Math.min(3, train.columns.length));
    const u = o.target !== undefined ? utilityTstr(train, control, synth, o.target, `${o.seed}/tstr`) : null;
    const r = evaluateRisk(train, control, synth, { seed: `${o.seed}/risk`, attacks: o.riskAttacks ?? 500, ordinal: o.ordinal });
    const point: PlanPoint = {
      epsilon,
      delta: o.delta,
      rho,
      mechanism: o.mechanism,
      tv1: tv.byWay[0].avg,
      tv2: tv.byWay[1]?.avg ?? tv.byWay[0].avg,
      tv3: tv.byWay[2]?.avg ?? null,
      utility: u && { target: u.target, tstrAccuracy: u.tstr.accuracy, tstrAuc: u.tstr.auc, trtrAccuracy: u.trtr.accuracy, trtrAuc: u.trtr.auc },
      risk: {
        singlingOut: r.singlingOut?.risk ?? null,
        linkability: r.linkability.risk ?? null,
        inference: r.inference?.risk ?? null,
        miaAuc: r.mia.auc ?? null,
        exactMatchTrain: r.closest.exactMatch.train,
        exactMatchControl: r.closest.exactMatch.control,
      },
      rows: { train: train.rows, control: control.rows, synth: synth.rows },
      seconds: Math.round(performance.now() - t0) / 1000,
    };
    points.push(point);
    o.onPoint?.(point);
  }
  return points;
}
