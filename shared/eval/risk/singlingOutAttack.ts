// singlingOutAttack: can the synthetic data tell an attacker a predicate that matches exactly one
// person of the training data? Predicates are read off the synthetic rows (Giomi et al., PETS 2023,
// sec. 4.1; Anonymeter's SinglingOutEvaluator): univariate ones from values (or extreme ordinal codes)
// that occur once in the synthetic data; multivariate ones from a random synthetic row on k random
// columns (= on categorical columns, >= or <= on ordinal columns depending on the side of the median),
// kept when they match exactly one synthetic row. A predicate succeeds on a table when it matches
// exactly one of its rows. Main: on the training rows; control: on the control rows, scaled to the
// training size (singlingOutSizeCorrection); baseline: random predicates on the training rows.
// All tables are taken without duplicate rows (distinctRows).
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import { selectRows, type CodeTable } from '../CodeTable.js';
import { seededRandomSource, type RandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';
import { buildPredicateBitsets, countMatches, queryKey, type Predicate, type PredicateBitsets } from './PredicateBitsets.js';
import { singlingOutSizeCorrection } from './singlingOutSizeCorrection.js';

export type SinglingOutMode = 'univariate' | 'multivariate';

/** The three tables (already without duplicate rows) and which columns are ordinal. */
export interface SinglingOutTables {
  readonly synth: CodeTable;
  readonly train: CodeTable;
  readonly control: CodeTable;
  readonly ordinal: readonly boolean[];
}

/** Options: predicates wanted, columns per multivariate predicate, attempt cap, seed. */
export interface SinglingOutOptions {
  readonly mode: SinglingOutMode;
  readonly attacks: number;
  readonly columns?: number;
  readonly maxAttempts?: number;
  readonly seed: string;
}

/** Counts of one singling-out evaluation. */
export interface SinglingOutCounts {
  readonly mode: SinglingOutMode;
  readonly requested: number;
  /** Predicates generated (each singles out one synthetic row); the number of main and control attacks. */
  readonly attacks: number;
  readonly successes: number;
  readonly controlAttacks: number;
  /** Control successes scaled to the training size; `controlRaw` before scaling. */
  readonly controlSuccesses: number;
  readonly controlRaw: number;
  readonly sizeCorrection: number;
  readonly baselineAttacks: number;
  readonly baselineSuccesses: number;
}

const OPS_CATEGORICAL = ['eq', 'ne'] as const;
const OPS_ORDINAL = ['eq', 'ne', 'lt', 'gt', 'le', 'ge'] as const;

function shuffle<T>(a: T[], rng: RandomSource): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
}

function pickColumns(m: number, k: number, rng: RandomSource): number[] {
  const cols = Array.from({ length: m }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(rng, m - i);
    [cols[i], cols[j]] = [cols[j], cols[i]];
  }
  return cols.slice(0, k);
}

function columnValues(t: CodeTable): number[][] {
  return t.data.map((col, c) => {
    const seen = new Uint8Array(t.sizes[c]);
    for (let r = 0; r < t.rows; r++) seen[col[r]] = 1;
    const out: number[] = [];
    seen.forEach((s, v) => s && out.push(v));
    return out;
  });
}

function univariateQueries(t: SinglingOutTables, bits: PredicateBitsets, want: number, rng: RandomSource): Predicate[][] {
  const candidates: Predicate[][] = [];
  t.synth.data.forEach((col, c) => {
    const counts = new Int32Array(t.synth.sizes[c]);
    for (let r = 0; r < t.synth.rows; r++) counts[col[r]]++;
    counts.forEach((n, v) => n === 1 && candidates.push([{ col: c, op: 'eq', value: v }]));
    if (t.ordinal[c]) {
      const present = [...counts.keys()].filter((v) => counts[v] > 0);
      if (present.length > 0) {
        candidates.push([{ col: c, op: 'le', value: present[0] }], [{ col: c, op: 'ge', value: present[present.length - 1] }]);
      }
    }
  });
  shuffle(candidates, rng);
  const out: Predicate[][] = [];
  const keys = new Set<string>();
  for (const q of candidates) {
    if (out.length >= want) break;
    const k = queryKey(q);
    if (!keys.has(k) && countMatches(bits, q, 2) === 1) {
      keys.add(k);
      out.push(q);
    }
  }
  return out;
}

function multivariateQueries(t: SinglingOutTables, bits: PredicateBitsets, want: number, k: number, maxAttempts: number, rng: RandomSource): Predicate[][] {
  const s = t.synth;
  const medians = s.data.map((col) => {
    const sorted = Int32Array.from(col).sort();
    return sorted.length ? (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2 : 0;
  });
  const out: Predicate[][] = [];
  const keys = new Set<string>();
  for (let attempt = 0; attempt < maxAttempts && out.length < want; attempt++) {
    const r = uniformInt(rng, s.rows);
    const q: Predicate[] = pickColumns(s.columns.length, k, rng).map((c) => {
      const v = s.data[c][r];
      if (!t.ordinal[c]) return { col: c, op: 'eq', value: v };
      return { col: c, op: v > medians[c] ? 'ge' : 'le', value: v };
    });
    const key = queryKey(q);
    if (keys.has(key)) continue;
    if (countMatches(bits, q, 2) === 1) {
      keys.add(key);
      out.push(q);
    }
  }
  return out;
}

function randomQueries(t: SinglingOutTables, n: number, k: number, rng: RandomSource): Predicate[][] {
  const values = columnValues(t.synth);
  const out: Predicate[][] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      pickColumns(t.synth.columns.length, k, rng).map((c) => {
        const ops = t.ordinal[c] ? OPS_ORDINAL : OPS_CATEGORICAL;
        return { col: c, op: ops[uniformInt(rng, ops.length)], value: values[c][uniformInt(rng, values[c].length)] };
      }),
    );
  }
  return out;
}

function singlesOut(bits: PredicateBitsets, queries: readonly Predicate[][]): number {
  let n = 0;
  for (const q of queries) if (countMatches(bits, q, 2) === 1) n++;
  return n;
}

/** Generates the predicates on the synthetic rows and counts how many single out a training / control row. */
export function singlingOutAttack(t: SinglingOutTables, opts: SinglingOutOptions): SinglingOutCounts {
  const m = t.synth.columns.length;
  const k = opts.mode === 'univariate' ? 1 : Math.min(opts.columns ?? 3, m);
  if (!Number.isInteger(opts.attacks) || opts.attacks < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `singling out: attacks must be a positive integer, got ${opts.attacks}`);
  if (!Number.isInteger(k) || k < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `singling out: columns per predicate must be a positive integer, got ${opts.columns}`);
  const rng = seededRandomSource(opts.seed, `risk/singling-out/${opts.mode}`);
  const synthBits = buildPredicateBitsets(t.synth, t.ordinal);
  const queries =
    opts.mode === 'univariate'
      ? univariateQueries(t, synthBits, opts.attacks, rng)
      : multivariateQueries(t, synthBits, opts.attacks, k, opts.maxAttempts ?? 100 * opts.attacks, rng);
  const baseline = randomQueries(t, opts.attacks, k, rng);
  const trainBits = buildPredicateBitsets(t.train, t.ordinal);
  const successes = singlesOut(trainBits, queries);
  const controlRaw = singlesOut(buildPredicateBitsets(t.control, t.ordinal), queries);
  const correction =
    controlRaw === 0
      ? 1
      : singlingOutSizeCorrection(t.control.rows, t.train.rows, (rows) => singlesOut(buildPredicateBitsets(selectRows(t.control, rows), t.ordinal), queries), opts.seed);
  return {
    mode: opts.mode,
    requested: opts.attacks,
    attacks: queries.length,
    successes,
    controlAttacks: queries.length,
    controlSuccesses: Math.min(queries.length, controlRaw * correction),
    controlRaw,
    sizeCorrection: correction,
    baselineAttacks: baseline.length,
    baselineSuccesses: singlesOut(trainBits, baseline),
  };
}
