// measureNeural: trains the TabularVae by central DP-SGD in one process and scores it (measurement
// only: a TEMPORARY float Gaussian stands in for the distributed discrete Gaussian of shared/dp/gradient).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { csvField } from '../../shared/schema/decodeRows.js';
import { decodeTabularRows } from '../../shared/neural/decodeTabularRows.js';
import { parseCsvText } from '../../shared/rawdata/parseCsvText.js';
import { seededRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import { standardNormal } from '../../shared/data/simulationSamplers.js';
import { noiseMultiplierFor, subsampledGaussianStepLoss, type SubsampledBound } from '../../shared/dp/accounting/noiseMultiplierFor.js';
import { composeLosses, repeatLoss, zcdpLoss } from '../../shared/dp/accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../../shared/dp/accounting/rdpConversion.js';
import { warmStartOutputBias } from '../../shared/neural/warmStartOutputBias.js';
import { consistentOneWays } from '../../shared/neural/consistentOneWays.js';
import { calibrateOutputBias, DEFAULT_CALIBRATION } from '../../shared/neural/calibrateOutputBias.js';
import { TabularEncoding, type TabularRows } from '../../shared/neural/TabularEncoding.js';
import type { OffsetScale } from '../../shared/neural/OffsetScale.js';
import type { OffsetMeans } from '../../shared/neural/OffsetMeans.js';
import { tabularRowsFromRecords } from '../../shared/neural/tabularRowsFromRecords.js';
import { initParams, vaeLayout, type VaeSpec } from '../../shared/neural/TabularVae.js';
import { trainVae } from '../../shared/neural/trainVae.js';
import { sampleVaeRows, type VaeSampleMethod } from '../../shared/neural/sampleVaeRows.js';
import { drawNormals } from '../../shared/neural/clippedGradientSum.js';
import { wasserstein1 } from '../../shared/eval/wasserstein1.js';

/** TEMPORARY float Gaussian noise N(0, (z C)^2) per coordinate (measurement only; not exact, not a CSPRNG). */
function TEMPORARY_floatGaussianPrivatizer(stddev: number, rng: RandomSource): (sum: Float64Array) => Float64Array {
  return (sum) => sum.map((v) => v + stddev * standardNormal(rng));
}

/**
 * TEMPORARY (measurement only): every column's 1-way marginal with float Gaussian noise; adding or
 * removing a row changes one cell per column by 1, so the L2 sensitivity is sqrt(columns) and
 * sigma^2 = columns / (2 rho) gives rho-zCDP (Bun & Steinke 2016, Prop. 1.6).
 */
function TEMPORARY_noisyOneWayMarginals(enc: TabularEncoding, rows: TabularRows, rho: number, rng: RandomSource): Float64Array[] {
  const sigma = Math.sqrt(enc.columns.length / (2 * rho));
  return enc.columns.map((b, j) => {
    const c = new Float64Array(b.size);
    for (let r = 0; r < rows.rows; r++) c[rows.codes[j][r]]++;
    return c.map((v) => v + sigma * standardNormal(rng));
  });
}

/** The least z (to 1e-3) with the marginals' rho composed with T subsampled rounds within epsilon. */
function noiseMultiplierWithWarmStart(q: number, rounds: number, epsilon: number, delta: number, rho: number, bound: SubsampledBound): number {
  const eps = (z: number): number => epsilonFromLoss(composeLosses(zcdpLoss(rho), repeatLoss(subsampledGaussianStepLoss(q, z, bound), rounds)), delta);
  let lo = 0.3;
  let hi = 200;
  if (eps(hi) > epsilon) throw new Error('the warm start alone spends the budget');
  while (hi - lo > 1e-3) {
    const mid = (lo + hi) / 2;
    if (eps(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      data: { type: 'string' }, domain: { type: 'string' }, raw: { type: 'string' }, schema: { type: 'string' },
      epsilon: { type: 'string', default: '1' }, delta: { type: 'string', default: '1e-9' },
      rounds: { type: 'string', default: '200' }, q: { type: 'string', default: '0.05' }, clip: { type: 'string', default: '1' },
      hidden: { type: 'string', default: '64' }, latent: { type: 'string', default: '16' }, sigma: { type: 'string', default: '0.2' }, kl: { type: 'string', default: '1' },
      lr: { type: 'string', default: '0.003' }, beta1: { type: 'string', default: '0.9' }, seed: { type: 'string', default: '1' }, out: { type: 'string' },
      'noise-multiplier': { type: 'string' }, compare: { type: 'string' }, 'out-raw': { type: 'string' }, 'warm-rho': { type: 'string', default: '0' }, 'one-way': { type: 'string', default: 'clamp' }, calibrate: { type: 'boolean', default: false }, 'calib-samples': { type: 'string', default: '4096' }, sampler: { type: 'string', default: 'systematic' }, offsets: { type: 'string', default: 'linear' }, 'offset-means': { type: 'string', default: 'column' }, bound: { type: 'string', default: 'subsampled-zcdp' },
    },
  });
  let rows: TabularRows;
  let encoding: TabularEncoding;
  let header: string[];
  let compared: TabularRows | undefined;
  let schema: Schema | undefined;
  if (a.data && a.domain) {
    const domain = Domain.fromJson(JSON.parse(readFileSync(a.domain, 'utf8')) as Record<string, number>);
    const table = EncodedTable.fromCsv(readFileSync(a.data, 'utf8'), domain);
    encoding = TabularEncoding.fromDomain(domain);
    rows = { rows: table.rowCount, codes: table.columns.map((c) => Int32Array.from(c)), values: table.columns.map(() => null) };
    header = [...domain.attrs];
  } else if (a.raw && a.schema) {
    schema = parseSchema(JSON.parse(readFileSync(a.schema, 'utf8')));
    encoding = TabularEncoding.fromSchema(schema, a.offsets as OffsetScale);
    rows = tabularRowsFromRecords(schema, encoding, parseCsvText(readFileSync(a.raw, 'utf8'), a.raw)).rows;
    header = schema.columns.map((c) => c.name);
    // Another synthesizer's decoded output (e.g. `fedsynth simulate --schema ... --mechanism mst`).
    if (a.compare) compared = tabularRowsFromRecords(schema, encoding, parseCsvText(readFileSync(a.compare, 'utf8'), a.compare)).rows;
  } else throw new Error('give --data and --domain, or --raw and --schema');
  const spec: VaeSpec = { encoding, hidden: a.hidden.split(',').map(Number), latent: Number(a.latent), offsetSigma: Number(a.sigma), klWeight: Number(a.kl), offsetMeans: a['offset-means'] as OffsetMeans };
  const q = Number(a.q);
  const rounds = Number(a.rounds);
  const clip = Number(a.clip);
  const eps = Number(a.epsilon);
  const delta = Number(a.delta);
  const warmRho = Number(a['warm-rho']);
  const z =
    a['noise-multiplier'] !== undefined
      ? Number(a['noise-multiplier'])
      : eps <= 0
        ? 0
        : warmRho > 0
          ? noiseMultiplierWithWarmStart(q, rounds, eps, delta, warmRho, a.bound as SubsampledBound)
          : noiseMultiplierFor({ epsilon: eps, delta, sampleRate: q, steps: rounds, bound: a.bound as SubsampledBound });
  const layout = vaeLayout(spec);
  process.stderr.write(`rows ${rows.rows} width ${encoding.width} params ${layout.size} q ${q} rounds ${rounds} noise multiplier ${z}\n`);
  const t0 = Date.now();
  const rng = seededRandomSource(a.seed, 'train');
  let init = initParams(spec, seededRandomSource(a.seed, 'init'));
  // The released 1-way marginals: clamped at 0 (runs J-N) or made consistent (--one-way project: consistentOneWays).
  const noisy = warmRho > 0 ? TEMPORARY_noisyOneWayMarginals(spec.encoding, rows, warmRho, seededRandomSource(a.seed, 'warm')) : undefined;
  const oneWays = noisy === undefined ? undefined : a['one-way'] === 'project' ? consistentOneWays(noisy).probabilities : noisy;
  if (oneWays !== undefined) init = warmStartOutputBias(spec, init, oneWays);
  if (a.calibrate && oneWays === undefined) throw new Error('--calibrate needs --warm-rho');
  const { params } = await trainVae({
    spec, params: init, rows, rounds, sampleRate: q, clipNorm: clip, rng,
    privatize: z > 0 ? TEMPORARY_floatGaussianPrivatizer(z * clip, seededRandomSource(a.seed, 'noise')) : (s) => s,
    adam: { learningRate: Number(a.lr), beta1: Number(a.beta1), beta2: 0.999, epsilon: 1e-8 },
    onRound: (t, i) => { if (t % 25 === 0) process.stderr.write(`round ${t} examples ${i.examples} clipped ${i.clipped} ${((Date.now() - t0) / 1000).toFixed(1)} s\n`); },
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  // --sampler systematic|independent; --calib-samples 0: calibrate on the sample's own latents (as Dpsgd does).
  const sampleRng = seededRandomSource(a.seed, 'sample');
  const latents = Number(a['calib-samples']) === 0 ? drawNormals(sampleRng, rows.rows * spec.latent) : undefined;
  const calibration = { ...DEFAULT_CALIBRATION, latentSamples: Number(a['calib-samples']) || DEFAULT_CALIBRATION.latentSamples, latents };
  const trained = a.calibrate && oneWays !== undefined ? await calibrateOutputBias(spec, params, oneWays, seededRandomSource(a.seed, 'calibrate'), calibration) : params;
  const synth = await sampleVaeRows(spec, trained, rows.rows, sampleRng, { latents, method: a.sampler as VaeSampleMethod });
  const result: Record<string, unknown> = { rows: rows.rows, params: layout.size, q, rounds, clip, noiseMultiplier: z, warmRho, oneWay: a['one-way'], calibrate: a.calibrate, bound: a.bound, epsilon: eps, delta, hidden: spec.hidden, latent: spec.latent, offsetMeans: spec.offsetMeans, offsets: encoding.offsetScale, sigma: spec.offsetSigma, klWeight: spec.klWeight, lr: Number(a.lr), beta1: Number(a.beta1), trainSeconds };
  const w: Record<string, number> = {};
  const wBins: Record<string, number> = {};
  const wCompared: Record<string, number> = {};
  encoding.columns.forEach((b, j) => {
    if (b.kind !== 'continuous') return;
    const real = rows.values[j]!.filter((v) => !Number.isNaN(v));
    const fake = synth.values[j]!.filter((v) => !Number.isNaN(v));
    const range = b.edges[b.edges.length - 1] - b.edges[0];
    w[b.name] = wasserstein1(real, fake, range);
    // The marginal path's best case: the exact bin histogram, decoded uniformly within each bin.
    const binRng = seededRandomSource(a.seed, `bins/${b.name}`);
    const decoded = real.map((v) => {
      const code = rows.codes[j][0] >= 0 ? binOf(b.edges, v) : 0;
      return TabularEncoding.valueOf(b, code, 2 * (Number(binRng.nextUint32()) / 2 ** 32) - 1);
    });
    wBins[b.name] = wasserstein1(real, decoded, range);
    if (compared) wCompared[b.name] = wasserstein1(real, compared.values[j]!.filter((v) => !Number.isNaN(v)), range);
  });
  if (Object.keys(w).length > 0) Object.assign(result, { wasserstein: w, wassersteinExactBinsUniform: wBins });
  if (compared) Object.assign(result, { compare: a.compare, wassersteinCompared: wCompared });
  if (a.out) {
    const lines = [header.join(',')];
    for (let r = 0; r < synth.rows; r++) lines.push(synth.codes.map((c) => c[r]).join(','));
    writeFileSync(a.out, lines.join('\n') + '\n');
  }
  // Raw cells under the schema (labels, values), e.g. for `fedsynth evaluate --schema ... --target`.
  if (a['out-raw'] && schema) {
    const cells = decodeTabularRows(schema, encoding, synth, seededRandomSource(a.seed, 'decode'));
    writeFileSync(a['out-raw'], [header.map((h) => csvField(h)).join(','), ...cells.map((r) => r.map((c) => csvField(c)).join(','))].join('\n') + '\n');
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function binOf(edges: readonly number[], v: number): number {
  let b = 0;
  while (b < edges.length - 2 && v >= edges[b + 1]) b++;
  return b;
}

void main();
