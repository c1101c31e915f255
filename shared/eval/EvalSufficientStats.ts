// EvalSufficientStats: the additive part of a party's evaluation — integer counts and histograms a
// secure sum can add across parties — and combinePartyEvaluations, which adds them.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Counts of one marginal of the party's real rows (cell order as Measurement). */
export interface MarginalCountVector {
  readonly attrs: readonly number[];
  readonly counts: number[];
}

/**
 * Every field but `columns`, `sizes`, `target`, `classes` and `synthRows` is a count that adds
 * across parties. Secure aggregation may add DP noise: consumers clamp negative counts to 0.
 */
export interface EvalSufficientStats {
  readonly version: 1;
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
  readonly synthRows: number;
  readonly rows: number;
  readonly marginals: readonly MarginalCountVector[];
  readonly utility: {
    readonly target: string;
    readonly classes: number;
    readonly tstrConfusion: number[];
    readonly trtrConfusion: number[];
    readonly tstrPositive: number[] | null;
    readonly tstrNegative: number[] | null;
  } | null;
  readonly privacy: {
    readonly exactCopies: number;
    readonly realReproduced: number;
    readonly dcrHistogram: number[];
    readonly nndrHistogram: number[];
    readonly dcrCloser: number;
    readonly dcrTies: number;
    readonly dcrCompared: number;
    readonly miaMembers: number[] | null;
    readonly miaNonMembers: number[] | null;
  };
  readonly discriminator: { readonly real: number[]; readonly synth: number[] } | null;
}

function add(a: readonly number[] | null, b: readonly number[] | null, what: string): number[] | null {
  if (a === null || b === null) return null;
  if (a.length !== b.length) throw new FedsynthError(ErrorCode.InvalidArgument, `combinePartyEvaluations: ${what} lengths ${a.length} != ${b.length}`);
  return a.map((v, i) => v + b[i]);
}

function addPair(x: EvalSufficientStats, y: EvalSufficientStats): EvalSufficientStats {
  const sameDomain = x.columns.join('\0') === y.columns.join('\0') && x.sizes.join(',') === y.sizes.join(',');
  const sameMarginals = x.marginals.length === y.marginals.length && x.marginals.every((m, i) => m.attrs.join(',') === y.marginals[i].attrs.join(','));
  if (!sameDomain || !sameMarginals || x.synthRows !== y.synthRows) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'combinePartyEvaluations: parties evaluated different domains, marginals or synthetic data');
  }
  const u = x.utility && y.utility && x.utility.target === y.utility.target ? [x.utility, y.utility] : null;
  const p = x.privacy;
  const q = y.privacy;
  return {
    version: 1,
    columns: x.columns,
    sizes: x.sizes,
    synthRows: x.synthRows,
    rows: x.rows + y.rows,
    marginals: x.marginals.map((m, i) => ({ attrs: m.attrs, counts: add(m.counts, y.marginals[i].counts, 'marginal') as number[] })),
    utility: u && {
      target: u[0].target,
      classes: u[0].classes,
      tstrConfusion: add(u[0].tstrConfusion, u[1].tstrConfusion, 'confusion') as number[],
      trtrConfusion: add(u[0].trtrConfusion, u[1].trtrConfusion, 'confusion') as number[],
      tstrPositive: add(u[0].tstrPositive, u[1].tstrPositive, 'score histogram'),
      tstrNegative: add(u[0].tstrNegative, u[1].tstrNegative, 'score histogram'),
    },
    privacy: {
      exactCopies: p.exactCopies + q.exactCopies,
      realReproduced: p.realReproduced + q.realReproduced,
      dcrHistogram: add(p.dcrHistogram, q.dcrHistogram, 'DCR histogram') as number[],
      nndrHistogram: add(p.nndrHistogram, q.nndrHistogram, 'NNDR histogram') as number[],
      dcrCloser: p.dcrCloser + q.dcrCloser,
      dcrTies: p.dcrTies + q.dcrTies,
      dcrCompared: p.dcrCompared + q.dcrCompared,
      miaMembers: add(p.miaMembers, q.miaMembers, 'MIA histogram'),
      miaNonMembers: add(p.miaNonMembers, q.miaNonMembers, 'MIA histogram'),
    },
    discriminator: x.discriminator && y.discriminator && {
      real: add(x.discriminator.real, y.discriminator.real, 'discriminator histogram') as number[],
      synth: add(x.discriminator.synth, y.discriminator.synth, 'discriminator histogram') as number[],
    },
  };
}

/**
 * Element-wise sum of the parties' additive statistics (what a secure sum computes). A part that
 * some party could not compute (null) is null in the result.
 */
export function combinePartyEvaluations(parts: readonly EvalSufficientStats[]): EvalSufficientStats {
  if (parts.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'combinePartyEvaluations: no parties');
  return parts.slice(1).reduce(addPair, parts[0]);
}
