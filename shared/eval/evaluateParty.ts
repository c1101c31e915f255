// evaluateParty: everything one party computes locally comparing synthetic data with its own rows —
// fidelity, utility, privacy — as additive statistics for secure summation plus a local-only report.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';
import { selectRows } from './CodeTable.js';
import { associationDifference, associationMatrix, type ColumnKind } from './associationMatrix.js';
import { attrSubsets } from './attrSubsets.js';
import { discriminatorAuc, type DiscriminatorResult } from './discriminatorAuc.js';
import type { EvalSufficientStats } from './EvalSufficientStats.js';
import { marginalCounts } from './marginalCounts.js';
import { privacyMetrics, type PrivacyResult } from './privacyMetrics.js';
import { sampleRows } from './sampleRows.js';
import { defaultSubgroupColumns, subgroupFidelity, type SubgroupFidelity } from './subgroupFidelity.js';
import { assertSameDomain, totalVariation, type TvSummary } from './totalVariation.js';
import { utilityTstr, type UtilityResult } from './utilityTstr.js';

/** What a party evaluates: its rows used in synthesis, optionally a withheld holdout, the synthetic rows. */
export interface PartyEvalInput {
  readonly train: CodeTable;
  readonly holdout?: CodeTable | null;
  readonly synth: CodeTable;
  /** Column to predict for TSTR/TRTR; omitted or null: utility is reported as unavailable. */
  readonly target?: string | null;
  readonly kinds?: readonly ColumnKind[];
  /** Largest marginal size for the local TV (default 3) and for the additive count vectors (default 2). */
  readonly maxWay?: number;
  readonly additiveMaxWay?: number;
  readonly maxQueries?: number;
  readonly seed?: string;
  /** Columns split into subgroups for subgroup fidelity; default: every categorical column with < 50 values; [] for none. */
  readonly subgroupColumns?: readonly string[];
  /** Which columns are categorical (from the schema); unknown: every column counts as categorical. */
  readonly categorical?: readonly boolean[];
}

/** The local-only report (may be shown to the party; not for release without DP). */
export interface LocalEvaluation {
  readonly rows: number;
  readonly holdoutRows: number;
  readonly synthRows: number;
  readonly tv: TvSummary;
  /** TV of the holdout against the training rows: the sampling ceiling for synthetic data. */
  readonly tvHoldout: TvSummary | null;
  readonly correlation: {
    readonly real: number[];
    readonly synth: number[];
    readonly difference: number[];
    readonly measure: readonly string[];
    readonly meanAbsDifference: number;
    readonly maxAbsDifference: number;
  };
  readonly distributions: readonly { readonly column: string; readonly real: number[]; readonly synth: number[] }[];
  readonly utility: UtilityResult | null;
  readonly privacy: PrivacyResult;
  readonly discriminator: DiscriminatorResult;
  /** Fidelity within each value of the chosen columns (null when no column was chosen). */
  readonly subgroups: SubgroupFidelity | null;
  readonly unavailable: readonly string[];
}

/** One party's evaluation: the additive part, the local part, and seconds spent per metric. */
export interface PartyEvaluation {
  readonly additive: EvalSufficientStats;
  readonly local: LocalEvaluation;
  readonly seconds: Readonly<Record<string, number>>;
}

function timed<T>(seconds: Record<string, number>, name: string, f: () => T): T {
  const t = performance.now();
  const out = f();
  seconds[name] = Math.round(performance.now() - t) / 1000;
  return out;
}

function proportions(t: CodeTable, c: number): number[] {
  return [...marginalCounts(t, [c])].map((v) => v / t.rows);
}

/** Runs every metric the inputs allow; what cannot be computed is listed in `unavailable`. */
export function evaluateParty(input: PartyEvalInput): PartyEvaluation {
  const { train, synth } = input;
  const holdout = input.holdout && input.holdout.rows > 0 ? input.holdout : null;
  assertSameDomain(train, synth);
  if (holdout) assertSameDomain(train, holdout);
  const seed = input.seed ?? 'fedsynth-eval';
  const maxWay = input.maxWay ?? 3;
  const addWay = input.additiveMaxWay ?? 2;
  const m = train.columns.length;
  const seconds: Record<string, number> = {};
  const unavailable: string[] = [];

  const tv = timed(seconds, 'tv', () => totalVariation(train, synth, maxWay));
  const tvHoldout = holdout ? timed(seconds, 'tvHoldout', () => totalVariation(train, holdout, maxWay)) : null;
  if (!holdout) unavailable.push('TV ceiling (holdout vs training) needs a holdout.');
  const correlation = timed(seconds, 'correlation', () => {
    const real = associationMatrix(train, input.kinds);
    const syn = associationMatrix(synth, input.kinds);
    const diff = associationDifference(real, syn);
    return {
      real: [...real.values],
      synth: [...syn.values],
      difference: [...diff.values],
      measure: real.measure,
      meanAbsDifference: diff.meanAbs,
      maxAbsDifference: diff.maxAbs,
    };
  });
  const subgroupCols = input.subgroupColumns
    ? input.subgroupColumns.map((name) => {
        const c = train.columns.indexOf(name);
        if (c < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `subgroup column ${JSON.stringify(name)} is not in the domain`, { field: 'subgroupColumns' });
        return c;
      })
    : defaultSubgroupColumns(train.sizes, input.categorical);
  const subgroups = subgroupCols.length ? timed(seconds, 'subgroups', () => subgroupFidelity(train, synth, { columns: subgroupCols })) : null;
  const distributions = train.columns.map((column, c) => ({ column, real: proportions(train, c), synth: proportions(synth, c) }));

  let utility: UtilityResult | null = null;
  const targetIdx = input.target ? train.columns.indexOf(input.target) : -1;
  if (!input.target) unavailable.push('Utility (TSTR/TRTR): no target column was given.');
  else if (targetIdx < 0) unavailable.push(`Utility (TSTR/TRTR): target column ${JSON.stringify(input.target)} is not in the domain.`);
  else if (train.rows < 10) unavailable.push('Utility (TSTR/TRTR): fewer than 10 local rows.');
  else {
    utility = timed(seconds, 'utility', () => {
      if (holdout) return utilityTstr(train, holdout, synth, targetIdx, seed);
      // No holdout: a seeded 80/20 split of the local rows; TRTR trains on the 80%.
      const testIdx = sampleRows(train.rows, Math.max(1, Math.floor(train.rows / 5)), seed, 'eval/utility/split');
      const isTest = new Uint8Array(train.rows);
      for (const i of testIdx) isTest[i] = 1;
      const trainIdx: number[] = [];
      for (let i = 0; i < train.rows; i++) if (!isTest[i]) trainIdx.push(i);
      return utilityTstr(selectRows(train, trainIdx), selectRows(train, testIdx), synth, targetIdx, seed);
    });
  }
  const privacy = timed(seconds, 'privacy', () => privacyMetrics(train, holdout, synth, { seed, maxQueries: input.maxQueries }));
  unavailable.push(...privacy.unavailable);
  const discriminator = timed(seconds, 'discriminator', () => discriminatorAuc(train, synth, seed));

  const additive: EvalSufficientStats = timed(seconds, 'additive', () => {
    const marginals = [];
    for (let k = 1; k <= Math.min(addWay, m); k++) {
      for (const attrs of attrSubsets(m, k)) marginals.push({ attrs, counts: [...marginalCounts(train, attrs)] });
    }
    return {
      version: 1 as const,
      columns: train.columns,
      sizes: train.sizes,
      synthRows: synth.rows,
      rows: train.rows,
      marginals,
      utility: utility && {
        target: utility.target,
        classes: utility.classes,
        tstrConfusion: utility.tstr.confusion,
        trtrConfusion: utility.trtr.confusion,
        tstrPositive: utility.tstr.scoreHistogram?.positive ?? null,
        tstrNegative: utility.tstr.scoreHistogram?.negative ?? null,
      },
      privacy: {
        exactCopies: privacy.exactCopies,
        realReproduced: privacy.realReproduced,
        dcrHistogram: privacy.dcrHistogram,
        nndrHistogram: privacy.nndrHistogram,
        dcrCloser: privacy.dcr?.closerToTrain ?? 0,
        dcrTies: privacy.dcr?.ties ?? 0,
        dcrCompared: privacy.dcr?.compared ?? 0,
        miaMembers: privacy.mia?.members ?? null,
        miaNonMembers: privacy.mia?.nonMembers ?? null,
      },
      discriminator: { real: discriminator.realHistogram, synth: discriminator.synthHistogram },
    };
  });
  return {
    additive,
    local: {
      rows: train.rows,
      holdoutRows: holdout?.rows ?? 0,
      synthRows: synth.rows,
      tv,
      tvHoldout,
      correlation,
      distributions,
      utility,
      privacy,
      discriminator,
      subgroups,
      unavailable,
    },
    seconds,
  };
}
