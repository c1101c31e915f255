// runMechanism: runs the study's synthesis mechanism (MST or AIM from shared/synth) over a
// FederatedOracle and samples the synthetic rows with the study's sampling randomness.
import type { FederatedOracle } from '../../shared/synth/FederatedOracle.js';
import type { RandomSource } from '../../shared/dp/random/RandomSource.js';
import { mst } from '../../shared/synth/Mst.js';
import { aim } from '../../shared/synth/Aim.js';
import type { DpsgdTraining, MechanismName } from '../../shared/study/StudySpec.js';
import { dpsgd } from '../../shared/synth/Dpsgd.js';
import { vaeSpecForStudy } from '../../shared/synth/dpsgdModel.js';
import { float32Bytes } from '../../platform/wire/gradientStepWire.js';
import type { FitHelper } from '../../shared/pgm/TwoThreadFit.js';
import type { OffsetScale } from '../../shared/neural/OffsetScale.js';

export type { MechanismName };

export interface MechanismOutput {
  columns: Int32Array[];
  /**
   * dpsgd on a schema: each continuous column's sampled values (NaN on "other"/"missing" codes),
   * `null` for other columns; synthetic.csv writes them instead of a uniform draw within the bin.
   */
  values?: (Float64Array | null)[];
  /** The fitted model (GraphicalModel.toJSON()), serialisable across threads. */
  modelJson: unknown;
  /** Mechanism-specific public metadata (selected cliques, tree, compression). */
  details: Record<string, unknown>;
}

/** What a mechanism run needs; `dpsgd` also its training terms, the schema and delta. */
export interface MechanismRunOptions {
  rho: number;
  rows: number;
  sampleRng: RandomSource;
  seed?: string;
  onFit?: () => void;
  /** dpsgd: the study's training terms, schema JSON ('' = codes) and delta. */
  training?: DpsgdTraining;
  schemaJson?: string;
  delta?: number;
  /** dpsgd: after each gradient round, with the epsilon spent so far. */
  onRound?: (round: number, rounds: number, epsilonSpent: number) => void;
  /** AIM: a second thread for its model fits (the same model bit for bit, sooner on two cores). */
  fitHelper?: FitHelper;
}

/** The model document's `model` of a dpsgd study: the generator's architecture and its trained weights. */
export interface TvaeModelJson {
  kind: 'tvae';
  hidden: number[];
  latent: number;
  offsetSigma: number;
  /** How offsets encode values inside their bins (OffsetScale); absent in models written before it: 'linear'. */
  offsetScale: OffsetScale;
  /** Little-endian float32 weights, base64 (shared/neural TabularVae's flat layout). */
  weights: string;
}

async function runDpsgd(oracle: FederatedOracle, opts: MechanismRunOptions): Promise<MechanismOutput> {
  if (opts.training === undefined || opts.delta === undefined) throw new Error('runMechanism: dpsgd needs the training terms and delta');
  const spec = vaeSpecForStudy(opts.training, oracle.domain, opts.schemaJson ?? '');
  const res = await dpsgd(oracle, { training: opts.training, spec, rho: opts.rho, delta: opts.delta, seed: opts.seed ?? '', rows: opts.rows, sampleRng: opts.sampleRng, onRound: opts.onRound, onFit: opts.onFit });
  const modelJson: TvaeModelJson = { kind: 'tvae', hidden: [...spec.hidden], latent: spec.latent, offsetSigma: spec.offsetSigma, offsetScale: spec.encoding.offsetScale, weights: float32Bytes(res.params).toString('base64') };
  return {
    columns: res.synthetic.codes.map((c) => Int32Array.from(c)),
    values: spec.encoding.valueCount > 0 ? res.synthetic.values.map((v) => v && Float64Array.from(v)) : undefined,
    modelJson,
    details: { training: opts.training, parameters: res.params.length, rowsEstimate: res.rowsEstimate, noiseMultiplier: res.noiseMultiplier, epsilonSpent: res.epsilonSpent, budgetSplit: { oneWayRho: res.oneWayRho, gradientEpsilon: res.gradientEpsilon } },
  };
}

export async function runMechanism(
  name: MechanismName,
  oracle: FederatedOracle,
  opts: MechanismRunOptions,
): Promise<MechanismOutput> {
  if (name === 'dpsgd') return runDpsgd(oracle, opts);
  if (name === 'mst') {
    const res = await mst(oracle, { rho: opts.rho });
    opts.onFit?.();
    return {
      columns: res.sample(opts.rows, opts.sampleRng),
      modelJson: res.model.toJSON(),
      // compression: MST's public recoding of rare values; `fedsynth sample` needs it to decode the model's codes.
      details: { tree: res.tree, compression: res.compression.recode, measurements: res.measurements.map((m) => ({ attrs: m.attrs, stddev: m.stddev, cells: m.values.length })) },
    };
  }
  const res = await aim(oracle, { rho: opts.rho, seed: opts.seed, fitHelper: opts.fitHelper });
  opts.onFit?.();
  return {
    columns: res.sample(opts.rows, opts.sampleRng),
    modelJson: res.model.toJSON(),
    details: { selected: res.selected, rhoUsed: res.rhoUsed, measurements: res.measurements.map((m) => ({ attrs: m.attrs, stddev: m.stddev, cells: m.values.length })) },
  };
}
