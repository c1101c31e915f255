// runMechanism: runs the study's synthesis mechanism (MST or AIM from shared/synth) over a
// FederatedOracle and streams the synthetic rows, in chunks, drawn with the study's sampling randomness.
import type { FederatedOracle } from '../../shared/synth/FederatedOracle.js';
import type { RandomSource } from '../../shared/dp/random/RandomSource.js';
import { mst } from '../../shared/synth/Mst.js';
import { aim } from '../../shared/synth/Aim.js';
import type { DpsgdTraining, MechanismName } from '../../shared/study/StudySpec.js';
import { float32Bytes } from '../../platform/wire/gradientStepWire.js';
import type { FitHelper } from '../../shared/pgm/TwoThreadFit.js';
import type { OffsetMeans } from '../../shared/neural/OffsetMeans.js';
import type { OffsetScale } from '../../shared/neural/OffsetScale.js';
import { sampleInChunks, type RowSampler } from '../../shared/synth/sampleInChunks.js';

export type { MechanismName };

export interface MechanismOutput {
  /** Synthetic rows handed to `onRows` (they are never held here whole). */
  rows: number;
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
  /**
   * Receives the synthetic rows in order, one chunk (columns in domain order) at a time; the next
   * chunk is drawn only after the returned promise settles, so at most one chunk is held.
   */
  onRows: (chunk: Int32Array[], values?: (Float64Array | null)[]) => Promise<void> | void;
  /** Rows per chunk (default SAMPLE_CHUNK_ROWS; tables up to it are one chunk, as one sample call). */
  chunkRows?: number;
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
  /** One offset mean per continuous column or per bin (OffsetMeans); absent in models written before per-bin means: 'column'. */
  offsetMeans: OffsetMeans;
  /** Little-endian float32 weights, base64 (shared/neural TabularVae's flat layout). */
  weights: string;
}

async function runDpsgd(oracle: FederatedOracle, opts: MechanismRunOptions): Promise<MechanismOutput> {
  if (opts.training === undefined || opts.delta === undefined) throw new Error('runMechanism: dpsgd needs the training terms and delta');
  // Loaded for a dpsgd study only (they bring TensorFlow.js: a coordinator and its mechanism worker start without it).
  const [{ dpsgd }, { vaeSpecForStudy }] = await Promise.all([import('../../shared/synth/Dpsgd.js'), import('../../shared/synth/dpsgdModel.js')]);
  const spec = vaeSpecForStudy(opts.training, oracle.domain, opts.schemaJson ?? '');
  const res = await dpsgd(oracle, { training: opts.training, spec, rho: opts.rho, delta: opts.delta, seed: opts.seed ?? '', rows: opts.rows, sampleRng: opts.sampleRng, onRound: opts.onRound, onFit: opts.onFit });
  const modelJson: TvaeModelJson = { kind: 'tvae', hidden: [...spec.hidden], latent: spec.latent, offsetSigma: spec.offsetSigma, offsetScale: spec.encoding.offsetScale, offsetMeans: spec.offsetMeans ?? 'column', weights: float32Bytes(res.params).toString('base64') };
  // The neural sampler draws every row in one call (sampleVaeRows): one chunk, with the continuous
  // columns' sampled values on a schema (synthetic.csv writes them instead of a draw within the bin).
  await opts.onRows(
    res.synthetic.codes.map((c) => Int32Array.from(c)),
    spec.encoding.valueCount > 0 ? res.synthetic.values.map((v) => v && Float64Array.from(v)) : undefined,
  );
  return {
    rows: opts.rows,
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
    await streamRows(res.sample, opts);
    return {
      rows: opts.rows,
      modelJson: res.model.toJSON(),
      // compression: MST's public recoding of rare values; `fedsynth sample` needs it to decode the model's codes.
      details: { tree: res.tree, compression: res.compression.recode, measurements: res.measurements.map((m) => ({ attrs: m.attrs, stddev: m.stddev, cells: m.values.length })) },
    };
  }
  const res = await aim(oracle, { rho: opts.rho, seed: opts.seed, fitHelper: opts.fitHelper });
  opts.onFit?.();
  await streamRows(res.sample, opts);
  return {
    rows: opts.rows,
    modelJson: res.model.toJSON(),
    details: { selected: res.selected, rhoUsed: res.rhoUsed, measurements: res.measurements.map((m) => ({ attrs: m.attrs, stddev: m.stddev, cells: m.values.length })) },
  };
}

/** Draws opts.rows rows chunk by chunk and hands each to opts.onRows before drawing the next. */
async function streamRows(sample: RowSampler, opts: MechanismRunOptions): Promise<void> {
  for (const chunk of sampleInChunks(sample, opts.rows, opts.sampleRng, opts.chunkRows)) await opts.onRows(chunk);
}
