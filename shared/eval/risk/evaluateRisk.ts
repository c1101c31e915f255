// evaluateRisk: the Article 29 Working Party criteria (singling out, linkability, inference) measured
// as Anonymeter does (Giomi et al., PETS 2023), plus exact-match / DCR rates and a membership-inference
// AUC — all comparing training rows (used to make the synthetic data) with control rows (not used).
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import type { CodeTable } from '../CodeTable.js';
import { sampleRows } from '../sampleRows.js';
import { assertSameDomain } from '../totalVariation.js';
import { attackCounts, attackRisk, type AttackCounts, type AttackRisk } from './attackRisk.js';
import { closestRecordRates, type ClosestRecordRates } from './closestRecordRates.js';
import { distinctRows } from './distinctRows.js';
import { inferenceAttacks } from './inferenceAttacks.js';
import { linkabilityAttack, type AuxiliarySplit } from './linkabilityAttack.js';
import { membershipInference, type MembershipInference } from './membershipInference.js';
import { singlingOutAttack, type SinglingOutCounts } from './singlingOutAttack.js';

/** Options of the risk evaluation (every default is Anonymeter's unless stated). */
export interface RiskOptions {
  readonly seed: string;
  /** Target rows per attack (sampled; control targets are capped by the control size). Default 2000. */
  readonly attacks?: number;
  readonly confidence?: number;
  /** ordinal[c]: column c's codes are ordered (binned numbers); enables <= / >= predicates. Default: none. */
  readonly ordinal?: readonly boolean[];
  /** Columns per multivariate singling-out predicate. Default 3. */
  readonly singlingOutColumns?: number;
  readonly linkabilitySplit?: AuxiliarySplit;
  /** Secret columns of the inference attack. Default: every column. */
  readonly secrets?: readonly number[];
  /** Synthetic rows compared for exact-match / DCR. Default 3000. */
  readonly dcrRows?: number;
}

/** One attack's figures: risk with interval, the three success rates, and the raw counts (additive across silos). */
export interface RiskFigure extends AttackRisk {
  readonly counts: AttackCounts;
  /** Confidence level of `ci` (the inference headline's is simultaneous over the secret columns). */
  readonly confidence: number;
}

export interface SinglingOutFigure extends RiskFigure {
  readonly mode: 'univariate' | 'multivariate';
  readonly requested: number;
  /** Rows of each side when compared (the smaller distinct table's size). */
  readonly comparedRows: number;
  /** Anonymeter's size-extrapolated alternative (control scaled up to the training size). */
  readonly extrapolated: RiskFigure & { readonly sizeCorrection: number };
}

/** The full risk evaluation. Headline: `singlingOut` (multivariate), `linkability`, `inference` (worst secret), `mia`. */
export interface RiskReport {
  readonly rows: { readonly train: number; readonly control: number; readonly synth: number };
  readonly confidence: number;
  readonly singlingOut: (SinglingOutFigure & { readonly univariate: SinglingOutFigure | null }) | null;
  readonly linkability: RiskFigure & { readonly split: readonly [readonly string[], readonly string[]] };
  readonly inference: (RiskFigure & { readonly secret: string; readonly perColumn: readonly (RiskFigure & { readonly secret: string })[] }) | null;
  readonly closest: ClosestRecordRates;
  readonly mia: MembershipInference;
  readonly unavailable: readonly string[];
  readonly seconds: Readonly<Record<string, number>>;
}

function figure(c: AttackCounts, confidence: number): RiskFigure {
  return { ...attackRisk(c, confidence), counts: attackCounts(c), confidence };
}

function soFigure(c: SinglingOutCounts, confidence: number): SinglingOutFigure | null {
  if (c.attacks === 0) return null;
  const ex = { ...c, successes: c.extrapolated.successes, controlSuccesses: c.extrapolated.controlSuccesses };
  return {
    ...figure(c, confidence),
    mode: c.mode,
    requested: c.requested,
    comparedRows: c.comparedRows,
    extrapolated: { ...figure(ex, confidence), sizeCorrection: c.extrapolated.sizeCorrection },
  };
}

function timed<T>(seconds: Record<string, number>, name: string, f: () => T): T {
  const t = performance.now();
  const out = f();
  seconds[name] = Math.round(performance.now() - t) / 1000;
  return out;
}

/** Runs every attack of `synth` against `train` (used to make it) and `control` (not used). */
export function evaluateRisk(train: CodeTable, control: CodeTable, synth: CodeTable, opts: RiskOptions): RiskReport {
  assertSameDomain(train, synth);
  assertSameDomain(train, control);
  for (const [name, t] of [['training', train], ['control', control], ['synthetic', synth]] as const) {
    if (t.rows === 0) throw new FedsynthError(ErrorCode.InvalidArgument, `risk evaluation: the ${name} table has no rows`);
  }
  const confidence = opts.confidence ?? 0.95;
  const attacks = opts.attacks ?? 2000;
  if (!Number.isInteger(attacks) || attacks < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `risk evaluation: attacks must be a positive integer, got ${attacks}`);
  const m = train.columns.length;
  const ordinal = opts.ordinal ?? train.columns.map(() => false);
  const seed = opts.seed;
  const seconds: Record<string, number> = {};
  const unavailable: string[] = [];
  const trainTargets = sampleRows(train.rows, attacks, seed, 'risk/targets/train');
  const controlTargets = sampleRows(control.rows, attacks, seed, 'risk/targets/control');

  const singlingOut = timed(seconds, 'singlingOut', () => {
    const tables = { synth: distinctRows(synth), train: distinctRows(train), control: distinctRows(control), ordinal };
    const run = (mode: 'univariate' | 'multivariate') =>
      soFigure(singlingOutAttack(tables, { mode, attacks, columns: opts.singlingOutColumns ?? 3, seed }), confidence);
    const uni = run('univariate');
    const multi = run('multivariate');
    if (!uni) unavailable.push('Singling out (univariate): no value occurs exactly once in the synthetic data.');
    if (!multi) unavailable.push('Singling out (multivariate): no predicate singling out one synthetic row was found.');
    const larger = Math.max(tables.train.rows, tables.control.rows);
    if (multi && larger > 1.05 * multi.comparedRows) {
      unavailable.push(
        `Singling out: training (${tables.train.rows} distinct rows) and control (${tables.control.rows}) differ in size; both were compared ` +
          `at ${multi.comparedRows} rows (random subsamples of the larger), which is unbiased but weaker than a control set as large as the ` +
          `training set. Anonymeter's size extrapolation gives ${multi.extrapolated.risk?.toFixed(3)} [${multi.extrapolated.ci?.map((x) => x.toFixed(3)).join(', ')}] (details).`,
      );
    }
    return multi ? { ...multi, univariate: uni } : null;
  });

  const linkability = timed(seconds, 'linkability', () => {
    if (m < 2) throw new FedsynthError(ErrorCode.InvalidArgument, 'risk evaluation: linkability needs at least two columns');
    const c = linkabilityAttack(synth, train, trainTargets, control, controlTargets, { seed, split: opts.linkabilitySplit });
    return { ...figure(c, confidence), split: [c.split[0].map((i) => train.columns[i]), c.split[1].map((i) => train.columns[i])] as const };
  });

  // The targets' nearest-synthetic distances, found by the inference search and scored by the MIA.
  let nearest: { train: Int32Array; control: Int32Array } | undefined;
  const inference = timed(seconds, 'inference', () => {
    const secrets = opts.secrets ?? train.columns.map((_, c) => c);
    if (secrets.length === 0) return null;
    for (const s of secrets) {
      if (!Number.isInteger(s) || s < 0 || s >= m) throw new FedsynthError(ErrorCode.InvalidArgument, `risk evaluation: secret column ${s} is not in the domain`);
    }
    const result = inferenceAttacks(synth, train, trainTargets, control, controlTargets, secrets, seed);
    nearest = result.nearest;
    const per = result.counts.map((c) => ({ ...figure(c, confidence), secret: train.columns[c.secret] }));
    // Headline: the secret the attack learns most about (a regulator asks for the worst case). Picking
    // the largest of k estimates inflates it, so its interval is a simultaneous (Bonferroni) one at
    // confidence 1 − (1 − confidence)/k; the per-column intervals stay at `confidence`.
    const worst = per.reduce((a, b) => ((b.residual?.value ?? -Infinity) > (a.residual?.value ?? -Infinity) ? b : a));
    return { ...figure(worst.counts, 1 - (1 - confidence) / per.length), secret: worst.secret, perColumn: per };
  });

  const closest = timed(seconds, 'closestRecord', () => closestRecordRates(synth, train, control, opts.dcrRows ?? 3000, seed));
  const mia = timed(seconds, 'membershipInference', () => membershipInference(synth, train, trainTargets, control, controlTargets, confidence, nearest));
  return {
    rows: { train: train.rows, control: control.rows, synth: synth.rows },
    confidence,
    singlingOut,
    linkability,
    inference,
    closest,
    mia,
    unavailable,
    seconds,
  };
}
