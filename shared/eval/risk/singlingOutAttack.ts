// singlingOutAttack: can the synthetic data tell an attacker a predicate that matches exactly one
// person of the training data? Predicates are read off the synthetic rows (Giomi et al., PETS 2023,
// sec. 4.1; Anonymeter's SinglingOutEvaluator): univariate ones from values (or extreme ordinal codes)
// that occur once in the synthetic data; multivariate ones from a random synthetic row on k random
// columns (= on categorical columns, >= or <= on ordinal columns depending on the side of the median),
// kept when they match exactly one synthetic row. A predicate succeeds on a table when it matches
// exactly one of its rows. Main: on the training rows; control: on the control rows; baseline:
// random predicates on the training rows. All tables are taken without duplicate rows (distinctRows).
//
// Sizes: whether a predicate singles out depends on the table size, so main and control are compared
// at the same size: the larger of the two tables is replaced by seeded random subsamples as large as
// the smaller (successes averaged over 5 draws). Unbiased when the synthetic data says nothing about
// the training rows, at the price of power when the control set is much smaller. Anonymeter instead
// scales the control count up with a fitted size model (singlingOutSizeCorrection); that figure is
// kept beside it (`extrapolated`) — on Adult at 4x it understated the control rate by about a third.
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import { selectRows, type CodeTable } from '../CodeTable.js';
import { seededRandomSource, type RandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';
import { buildPredicateBitsets, countMatches, queryKey, type Predicate, type PredicateBitsets } from './PredicateBitsets.js';
import { singlingOutSizeCorrection } from './singlingOutSizeCorrection.js';
import { sampleRows } from '../sampleRows.js';

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
  /** Control successes (at `comparedRows`); `successes` likewise. */
  readonly controlSuccesses: number;
  /** Rows of each side when compared (the smaller distinct table's size). */
  readonly comparedRows: number;
  /** Anonymeter's alternative: main on all training rows, control scaled by the fitted size model. */
  readonly extrapolated: { readonly successes: number; readonly controlSuccesses: number; readonly sizeCorrection: number };
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
  const controlBits = buildPredicateBitsets(t.control, t.ordinal);
  const successesAll = singlesOut(trainBits, queries);
  const controlAll = singlesOut(controlBits, queries);
  // Both sides at the size of the smaller one (mean over seeded subsamples of the larger).
  const comparedRows = Math.min(t.train.rows, t.control.rows);
  const atSize = (table: CodeTable, bits: PredicateBitsets, all: number, side: string): number => {
    if (table.rows === comparedRows) return all;
    const draws = 5;
    let sum = 0;
    for (let d = 0; d < draws; d++) {
      const rows = sampleRows(table.rows, comparedRows, opts.seed, `risk/singling-out/${opts.mode}/${side}/${d}`);
      sum += singlesOut(buildPredicateBitsets(selectRows(table, rows), t.ordinal), queries);
    }
    return sum / draws;
  };
  const correction =
    controlAll === 0 || t.control.rows >= t.train.rows
      ? 1
      : singlingOutSizeCorrection(t.control.rows, t.train.rows, (rows) => singlesOut(buildPredicateBitsets(selectRows(t.control, rows), t.ordinal), queries), opts.seed);
  return {
    mode: opts.mode,
    requested: opts.attacks,
    attacks: queries.length,
    successes: atSize(t.train, trainBits, successesAll, 'train'),
    controlAttacks: queries.length,
    controlSuccesses: atSize(t.control, controlBits, controlAll, 'control'),
    comparedRows,
    extrapolated: { successes: successesAll, controlSuccesses: Math.min(queries.length, controlAll * correction), sizeCorrection: correction },
    baselineAttacks: baseline.length,
    baselineSuccesses: singlesOut(trainBits, baseline),
  };
}
