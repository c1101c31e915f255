// LocalQuery: the closed, JSON-serialisable set of questions a coordinator may ask every party.
// Each query's answer is an integer vector; its L2 sensitivity is a function of the query alone.
import type { Domain } from '../pgm/Domain.js';
import type { ModelSnapshot } from '../pgm/ModelSnapshot.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import { snapshotModel } from './modelReferences.js';
import { rederiveGradientRoundPlan, type GradientRoundPlan } from '../dp/gradient/GradientRoundPlan.js';
import { pooledRiskLayout, pooledRiskSensitivity } from '../eval/risk/pooledRiskCounts.js';
import { verifySinglingOutFamilies, type SinglingOutFamily } from '../eval/risk/pooledSinglingOut.js';

/**
 * A public recoding of one attribute (MST's domain compression): old code `c` becomes
 * `map[c]` in [0, size). Applied by the party before counting.
 */
export interface AttributeRecode {
  readonly attr: string;
  readonly map: readonly number[];
  readonly size: number;
}

/**
 * - `marginals`: the exact counts of every cell of each attribute set (canonical order),
 *   concatenated in the order given. One record changes one cell of each set by 1, so the
 *   L2 sensitivity is sqrt(#sets).
 * - `l1Scores`: for each candidate r with public reference distribution p_r = the product of the
 *   public 1-way distributions `oneWays[a]` over a in r (the independence model; one table per
 *   domain column, in the recoded domain, so the query grows with the columns' domain sizes, not
 *   with candidates × cells; p_r normalized by the party), the party's local error
 *   round(|| M_r(D_i) - n_i * p_r ||_1). A model-based reference is `conditionalL1Scores` with
 *   empty conditions and `model`. Adding or removing one record at the party
 *   changes M_r(D_i) by one unit vector and n_i * p_r by p_r (L1 norm 1), so
 *   each entry changes by at most 2 (rounding is monotone and commutes with integer shifts, so
 *   it keeps that bound): L2 sensitivity 2 * sqrt(#candidates).
 * With `samplingCorrection`, each entry also subtracts sum_c g(n_i·p_r[c]) (g in
 *   evaluateLocalQuery: a local sampling-noise bias that otherwise grows with the number of
 *   parties and cells); g's sum moves by < 0.8 per record, so entries move by < 2.8 -> bound 3.
 * - `conditionalL1Scores` (heterogeneity-corrected local scores, docs/synthesis.md): candidate r
 *   with conditioning set Y_r = `conditions[r]` (possibly empty) and public model joint q over
 *   U = r ∪ Y_r (canonical order of U, any non-negative scale): either given per candidate
 *   (`reference[r]`) or, compactly, as the fitted model (`model`, a ModelSnapshot) from which the
 *   party derives q = max(0, project(U)) itself — the same numbers the coordinator would have
 *   computed, so the query grows with the model, not with candidates × cells. The party's
 *   reference is its OWN counts of Y_r times the model's conditional of r given Y_r:
 *   ref_i(x) = sum_y c_i(y) · q(x, y) / q(y)   (q(·) of a y with q(y) = 0 replaced by q's
 *   r-marginal, normalized; uniform if q is all zero), and the entry is round(|| M_r(D_i) − ref_i ||_1).
 *   Adding/removing one record (x, y) changes M_r(D_i) by a unit vector and ref_i by the
 *   probability vector q(·|y) (L1 norm 1): each entry moves by at most 2, L2 sensitivity
 *   2·sqrt(#candidates). Y_r = ∅ gives exactly `l1Scores`. With `samplingCorrection` each entry
 *   subtracts sum_x g(ref_i(x)); g is sqrt(2/π)-Lipschitz, so that sum moves by ≤ sqrt(2/π) < 0.8
 *   and the entry (after rounding) by at most 3: L2 sensitivity 3·sqrt(#candidates).
 *   With `multinomialFloor` the floor is sum_x g(v_x), v_x = sum_y c_i(y)·q(x|y)·(1 − q(x|y)): one
 *   record (x', y) adds q(x|y)·(1 − q(x|y)) ∈ [0, q(x|y)] to each v_x, at most 1 in all, and g is
 *   non-decreasing and sqrt(2/π)-Lipschitz, so the floor moves by at most sqrt(2/π) < 0.8 again:
 *   bound 3. Why: given c_i(y) the counts of r are multinomial, so a cell whose conditional q(x|y)
 *   is large (a member of r in Y_r, few cells left) deviates less than a Poisson count of its mean.
 *   Y_r may share attributes with r (AIM's `selfCondition`: Y_r = {a} ⊂ r, ref_i(x) =
 *   c_i(x_a)·q(x_{r∖a} | x_a); `joint`, AIM's default since session 11: Y_r = {a, Y} with Y ∉ r,
 *   ref_i(x) = Σ_{a,y} c_i(x_a, y)·q(x_{r∖a} | x_a, y), by default with the Poisson floor): the
 *   definition and both proofs hold as they stand, with either floor (q(·| a, y) is a
 *   probability vector over r's cells, so one record moves ref_i by L1 norm 1).
 * - `pairDependenceScores` (federated MST selection without heterogeneity bias, docs/synthesis.md):
 *   for each candidate pair r = {a, b} the party's reference is the independence model of its OWN
 *   1-way counts, ref_i = c_i(a) ⊗ c_i(b) / n_i (0 when n_i = 0), and the entry is
 *   round(|| M_ab(D_i) − ref_i ||_1): the party's within-party dependence of a and b, free of any
 *   shift of its marginals against the consortium's. No reference crosses the wire.
 *   Sensitivity: adding record (x, y) (n -> n+1, c_a -> c_a + e_x, c_b -> c_b + e_y) gives
 *   ref' − ref = P − N with P = (e_x ⊗ c_b + c_a ⊗ e_y + e_x ⊗ e_y)/(n+1) >= 0 (L1 (2n+1)/(n+1) < 2)
 *   and N = ref/(n+1) >= 0 (L1 n/(n+1) < 1). M changes by E = e_(x,y), and P(x,y) >= 1/(n+1), so
 *   | ||M' − ref'||_1 − ||M − ref||_1 | <= ||E − P||_1 + ||N||_1 <= 3n/(n+1) + n/(n+1) < 4: each
 *   entry moves by at most 4 (rounding keeps integer bounds): L2 sensitivity 4·sqrt(#pairs).
 *   With `samplingCorrection` the entry also subtracts G = sum_x g(ref_i(x)) with g the exact
 *   Poisson mean absolute deviation (`poissonMeanAbsDeviation`: small parties have cells with
 *   ref < 1, where the normal approximation under-corrects); g is non-decreasing and 2-Lipschitz
 *   and N <= ref, so G(ref') − G(ref) lies in (−2·1, 2·2): the unrounded entry moves by
 *   < 4 + 4 = 8, the rounded one by at most 8: L2 sensitivity 8·sqrt(#pairs). Removing a record
 *   is the same change in reverse.
 *   With an `anchor` Y, a pair {Y, b} instead uses ref_i = c_i(Y) ⊗ p_b (p_b public, sum 1): the
 *   party's own counts of the skewed column, the consortium's distribution of the other. One
 *   record moves ref_i by e_y ⊗ p_b (L1 norm 1): such entries move by at most 2 (2 + 2 = 4 with
 *   correction: g is 2-Lipschitz), within the pair bound, so the sensitivity is unchanged.
 * - `gradientStep` (mechanism `dpsgd`, docs/protocol.md "The gradient round"): the current model
 *   weights and the round's public GradientRoundPlan (shared/dp/gradient). The party Poisson-samples
 *   its rows at plan.sampleRate, sums per-example gradients clipped to plan.clipNorm, and answers with
 *   the rotated, scaled, randomly rounded sum plus its discrete Gaussian share: an integer vector of
 *   plan.paddedDimension entries whose L2 sensitivity is plan.sensitivity (re-derived by the party:
 *   rederiveGradientRoundPlan). Its privacy loss is an RDP curve (gradientRoundLoss), not a rho.
 * - `riskCounts` (the post-delivery pooled risk round, docs/privacy.md "Pooled risk"): the party runs
 *   the risk attacks of the delivered synthetic data (`syntheticSha256`, its hex SHA-256) on every
 *   training and control row of its own and answers with shared/eval/risk/pooledRiskCounts' vector,
 *   4·columns + 4 entries whose L2 sensitivity is sqrt(columns + 2) (derived there). `columns` must
 *   equal the party's domain (validateLocalQuery): the party's bound, not the coordinator's. With
 *   `singlingOut` (F families of singling-out predicates, shared/eval/risk/pooledSinglingOut) 2F + 1
 *   entries follow and the sensitivity is sqrt(columns + 2 + 4F); the party verifies that no record
 *   can match two predicates of one family (validateLocalQuery), which that bound rests on.
 * All counts use the recoded domain when `recode` is given (`conditionalL1Scores` has no recode).
 */
export type LocalQuery =
  | { readonly kind: 'marginals'; readonly attrSets: readonly (readonly string[])[]; readonly recode?: readonly AttributeRecode[] }
  | {
      readonly kind: 'l1Scores';
      readonly candidates: readonly (readonly string[])[];
      /** One public distribution (any non-negative scale) per domain column, column order, recoded sizes. */
      readonly oneWays: readonly ArrayLike<number>[];
      readonly recode?: readonly AttributeRecode[];
      /** Subtract each party's expected sampling deviation (evaluateLocalQuery); sensitivity 3. */
      readonly samplingCorrection?: boolean;
    }
  | ({
      readonly kind: 'conditionalL1Scores';
      readonly candidates: readonly (readonly string[])[];
      /** Per candidate, the attribute set (canonical, may be empty) the party's reference conditions on. */
      readonly conditions: readonly (readonly string[])[];
      readonly samplingCorrection?: boolean;
      /**
       * With `samplingCorrection`: the floor of cell x is g(v_x) with v_x = sum_y c_i(y)·q(x|y)·(1 − q(x|y)),
       * the cell's variance given the party's own counts of the condition (multinomial), instead of
       * g(ref_i(x)) (Poisson: mean = variance). Same sensitivity (3 per entry): see below.
       */
      readonly multinomialFloor?: boolean;
      readonly recode?: undefined;
    } & ConditionalReference)
  | {
      readonly kind: 'pairDependenceScores';
      /** Attribute pairs, each of two distinct attributes in domain order. */
      readonly candidates: readonly (readonly string[])[];
      /**
       * A column the parties are skewed on (MST's heterogeneity probe). Pairs {anchor, b} use the
       * reference c_i(anchor) ⊗ p_b with p_b = `anchorReference[k]`, public (sensitivity 2, 4 with
       * correction: within the pair bound above).
       */
      readonly anchor?: string;
      /** With `anchor`: per candidate containing it, the public distribution of its other attribute (recoded domain); [] otherwise. */
      readonly anchorReference?: readonly (readonly number[])[];
      readonly recode?: readonly AttributeRecode[];
      /** Subtract the party's expected sampling deviation from its own reference; sensitivity 8 (4 without). */
      readonly samplingCorrection?: boolean;
    }
  | {
      readonly kind: 'gradientStep';
      /** 1-based round of the training. */
      readonly round: number;
      /** The flat parameter vector (float32: what the coordinator broadcasts). */
      readonly weights: Float32Array;
      readonly plan: GradientRoundPlan;
      readonly recode?: undefined;
    }
  | {
      readonly kind: 'riskCounts';
      readonly columns: number;
      readonly syntheticSha256: string;
      /** Singling-out families (pairwise disjoint predicates within each); absent or empty = no singling-out block. */
      readonly singlingOut?: readonly SinglingOutFamily[];
      readonly recode?: undefined;
    };

/**
 * Where a `conditionalL1Scores` party finds the public joint q over each candidate ∪ condition:
 * `reference` lists it per candidate; `model` is the fitted model it is projected from.
 */
export type ConditionalReference =
  | { readonly reference: readonly ArrayLike<number>[]; readonly model?: undefined }
  | { readonly model: ModelSnapshot; readonly reference?: undefined };

/** Per-entry sensitivity of `pairDependenceScores` (LocalQuery doc): 4, or 8 with sampling correction. */
export function pairDependenceEntrySensitivity(samplingCorrection: boolean): number {
  return samplingCorrection ? 8 : 4;
}

/** L2 sensitivity of the query's answer under adding/removing one record at one party. */
export function localQuerySensitivity(query: LocalQuery): number {
  switch (query.kind) {
    case 'marginals':
      return Math.sqrt(query.attrSets.length);
    case 'l1Scores':
    case 'conditionalL1Scores':
      return (query.samplingCorrection === true ? 3 : 2) * Math.sqrt(query.candidates.length);
    case 'pairDependenceScores':
      return pairDependenceEntrySensitivity(query.samplingCorrection === true) * Math.sqrt(query.candidates.length);
    case 'gradientStep':
      return query.plan.sensitivity;
    case 'riskCounts':
      return pooledRiskSensitivity(query.columns, query.singlingOut?.length ?? 0);
  }
}

/** Number of entries of the query's answer vector (in the recoded domain). */
export function localQueryLength(query: LocalQuery, domain: Domain): number {
  switch (query.kind) {
    case 'marginals': {
      const sizes = recodedSizes(domain, query.recode);
      return query.attrSets.reduce((s, attrs) => s + cellsOf(domain, sizes, attrs), 0);
    }
    case 'l1Scores':
    case 'conditionalL1Scores':
    case 'pairDependenceScores':
      return query.candidates.length;
    case 'gradientStep':
      return query.plan.paddedDimension;
    case 'riskCounts':
      return pooledRiskLayout(query.columns, query.singlingOut?.length ?? 0).length;
  }
}

/** Domain sizes after recoding (column order). */
export function recodedSizes(domain: Domain, recode: readonly AttributeRecode[] | undefined): number[] {
  const sizes = [...domain.shape];
  for (const r of recode ?? []) sizes[domain.indexOf(r.attr)] = r.size;
  return sizes;
}

/** Cells of the marginal over `attrs` under `sizes`. */
export function cellsOf(domain: Domain, sizes: readonly number[], attrs: readonly string[]): number {
  let n = 1;
  for (const a of attrs) n *= sizes[domain.indexOf(a)];
  return n;
}

/** Throws InvalidArgument unless the query is well-formed for `domain`. */
export function validateLocalQuery(query: LocalQuery, domain: Domain): void {
  const bad = (msg: string): never => {
    throw new FedsynthError(ErrorCode.InvalidArgument, `LocalQuery(${String((query as { kind?: unknown }).kind)}): ${msg}`);
  };
  const checkSets = (sets: readonly (readonly string[])[]): void => {
    if (!Array.isArray(sets) || sets.length === 0) bad('needs at least one attribute set');
    for (const s of sets) {
      if (!Array.isArray(s) || !s.every((a) => typeof a === 'string' && domain.has(a))) bad(`unknown attribute in [${String(s)}]`);
      if (!domain.isCanonical(s)) bad(`attributes [${s.join(', ')}] not in domain order`);
    }
  };
  for (const r of query.recode ?? []) {
    const j = domain.indexOf(r.attr);
    if (j < 0) bad(`recode of unknown attribute ${r.attr}`);
    if (!Number.isInteger(r.size) || r.size < 1) bad(`recode size of ${r.attr} must be a positive integer`);
    if (r.map.length !== domain.shape[j] || !r.map.every((v) => Number.isInteger(v) && v >= 0 && v < r.size)) bad(`bad recode map for ${r.attr}`);
  }
  if (query.kind === 'marginals') {
    checkSets(query.attrSets);
  } else if (query.kind === 'l1Scores') {
    checkSets(query.candidates);
    if (!Array.isArray(query.oneWays) || query.oneWays.length !== domain.attrs.length) bad('one 1-way distribution per domain column required');
    const sizes = recodedSizes(domain, query.recode);
    query.oneWays.forEach((ref, j) => {
      if (ref === null || typeof ref !== 'object' || ref.length !== sizes[j]) bad(`1-way ${domain.attrs[j]} has ${String(ref?.length)} cells, expected ${sizes[j]}`);
      for (let i = 0; i < ref.length; i++) if (!Number.isFinite(ref[i]) || ref[i] < 0) bad(`1-way ${domain.attrs[j]} must be finite and non-negative`);
    });
  } else if (query.kind === 'conditionalL1Scores') {
    if (query.recode !== undefined) bad('recode is not supported');
    checkSets(query.candidates);
    if (!Array.isArray(query.conditions) || query.conditions.length !== query.candidates.length) bad('one condition per candidate required');
    query.conditions.forEach((y) => {
      if (!Array.isArray(y) || !y.every((a) => typeof a === 'string' && domain.has(a)) || !domain.isCanonical(y)) bad('each condition must be known attributes in domain order');
    });
    if (query.model !== undefined) {
      if (query.reference !== undefined) bad('either reference or model, not both');
      try {
        snapshotModel(domain, query.model);
      } catch (e) {
        bad((e as Error).message);
      }
    } else {
      if (!Array.isArray(query.reference) || query.reference.length !== query.candidates.length) bad('one reference per candidate required');
      query.conditions.forEach((y, k) => {
        const cells = domain.size(domain.union(query.candidates[k], y));
        const ref = query.reference[k];
        if (ref === null || typeof ref !== 'object' || ref.length !== cells) bad(`reference ${k} has ${String(ref?.length)} cells, expected ${cells}`);
        for (let i = 0; i < ref.length; i++) if (!Number.isFinite(ref[i]) || ref[i] < 0) bad(`reference ${k} must be finite and non-negative`);
      });
    }
  } else if (query.kind === 'pairDependenceScores') {
    checkSets(query.candidates);
    query.candidates.forEach((c, k) => {
      if (c.length !== 2) bad(`candidate ${k} must be a pair of distinct attributes, got [${c.join(', ')}]`);
    });
    if (query.anchor !== undefined) {
      const anchor = query.anchor;
      if (!domain.has(anchor)) bad(`unknown anchor ${anchor}`);
      const refs = query.anchorReference;
      if (!Array.isArray(refs) || refs.length !== query.candidates.length) bad('one anchor reference per candidate required');
      const sizes = recodedSizes(domain, query.recode);
      query.candidates.forEach((c, k) => {
        const ref = (refs as readonly (readonly number[])[])[k];
        const other = c[0] === anchor ? c[1] : c[1] === anchor ? c[0] : undefined;
        const cells = other === undefined ? 0 : sizes[domain.indexOf(other)];
        if (!Array.isArray(ref) || ref.length !== cells) bad(`anchor reference ${k} has ${String(ref?.length)} cells, expected ${cells}`);
        if (!ref.every((p) => Number.isFinite(p) && p >= 0)) bad(`anchor reference ${k} must be finite and non-negative`);
      });
    } else if (query.anchorReference !== undefined) {
      bad('anchorReference without anchor');
    }
  } else if (query.kind === 'gradientStep') {
    if (!Number.isInteger(query.round) || query.round < 1) bad(`round must be a positive integer, got ${query.round}`);
    try {
      rederiveGradientRoundPlan(query.plan);
    } catch (e) {
      bad((e as Error).message);
    }
    if (!(query.weights instanceof Float32Array) || query.weights.length !== query.plan.dimension) bad(`weights have ${String(query.weights?.length)} entries, the plan ${query.plan.dimension}`);
    for (let i = 0; i < query.weights.length; i++) if (!Number.isFinite(query.weights[i])) bad(`weight ${i} is not finite`);
  } else if (query.kind === 'riskCounts') {
    if (query.columns !== domain.attrs.length) bad(`columns ${query.columns} is not the domain's ${domain.attrs.length}`);
    if (domain.attrs.length < 2) bad('pooled risk needs at least two columns');
    if (!/^[0-9a-f]{64}$/.test(query.syntheticSha256)) bad('syntheticSha256 must be 64 lowercase hex digits');
    try {
      verifySinglingOutFamilies(query.singlingOut ?? [], domain.shape);
    } catch (e) {
      bad((e as Error).message);
    }
  } else {
    bad('unknown kind');
  }
}
