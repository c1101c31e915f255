// measureNeural: trains the TabularVae by central DP-SGD in one process and scores it (measurement
// only: a TEMPORARY float Gaussian and RDP accountant stand in for shared/dp/gradient until it lands).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { parseCsvText } from '../../shared/rawdata/parseCsvText.js';
import { seededRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import { standardNormal } from '../../shared/data/simulationSamplers.js';
import { TabularEncoding, type TabularRows } from '../../shared/neural/TabularEncoding.js';
import { tabularRowsFromRecords } from '../../shared/neural/tabularRowsFromRecords.js';
import { initParams, vaeLayout, type VaeSpec } from '../../shared/neural/TabularVae.js';
import { trainVae } from '../../shared/neural/trainVae.js';
import { sampleVaeRows } from '../../shared/neural/sampleVaeRows.js';

/**
 * TEMPORARY (measurement only, never product code): RDP of the Poisson-subsampled Gaussian at
 * integer orders (Mironov, Talwar, Zhang 2019, Sec. 3.3, exact for integer alpha):
 * eps(a) = log(sum_k C(a,k) (1-q)^(a-k) q^k exp(k(k-1)/(2 s^2))) / (a-1), times T rounds,
 * converted by Canonne-Kamath-Steinke 2020 Prop. 12 / Balle et al. 2020:
 * eps = rdp + log((a-1)/a) - (log delta + log a)/(a-1).
 */
function TEMPORARY_rdpEpsilon(q: number, sigma: number, rounds: number, delta: number): number {
  let best = Infinity;
  for (let a = 2; a <= 512; a++) {
    let logSum = -Infinity;
    let logBinom = 0;
    for (let k = 0; k <= a; k++) {
      if (k > 0) logBinom += Math.log((a - k + 1) / k);
      const term = logBinom + (a - k) * Math.log1p(-q) + k * Math.log(q) + (k * (k - 1)) / (2 * sigma * sigma);
      logSum = Math.max(logSum, term) + Math.log1p(Math.exp(-Math.abs(logSum - term)));
    }
    const rdp = (rounds * logSum) / (a - 1);
    best = Math.min(best, rdp + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1));
  }
  return best;
}

/** TEMPORARY: the smallest noise multiplier (to 1e-3) giving at most `epsilon`. */
function TEMPORARY_noiseMultiplier(q: number, rounds: number, epsilon: number, delta: number): number {
  let lo = 0.3;
  let hi = 100;
  while (hi - lo > 1e-3) {
    const mid = (lo + hi) / 2;
    if (TEMPORARY_rdpEpsilon(q, mid, rounds, delta) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** TEMPORARY float Gaussian noise N(0, (z C)^2) per coordinate (measurement only; not exact, not a CSPRNG). */
function TEMPORARY_floatGaussianPrivatizer(stddev: number, rng: RandomSource): (sum: Float64Array) => Float64Array {
  return (sum) => sum.map((v) => v + stddev * standardNormal(rng));
}

/** Normalized 1-D Wasserstein distance of two equal-size samples: mean |x_(i) - y_(i)| / range. */
function wasserstein1(a: Float64Array, b: Float64Array, range: number): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  const n = Math.min(x.length, y.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(x[Math.floor((i * x.length) / n)] - y[Math.floor((i * y.length) / n)]);
  return s / n / range;
}

async function main(): Promise<void> {
  const { values: a } = parseArgs({
    options: {
      data: { type: 'string' }, domain: { type: 'string' }, raw: { type: 'string' }, schema: { type: 'string' },
      epsilon: { type: 'string', default: '1' }, delta: { type: 'string', default: '1e-9' },
      rounds: { type: 'string', default: '200' }, q: { type: 'string', default: '0.05' }, clip: { type: 'string', default: '1' },
      hidden: { type: 'string', default: '64' }, latent: { type: 'string', default: '16' }, sigma: { type: 'string', default: '0.2' },
      lr: { type: 'string', default: '0.003' }, seed: { type: 'string', default: '1' }, out: { type: 'string' },
      'noise-multiplier': { type: 'string' },
    },
  });
  let rows: TabularRows;
  let encoding: TabularEncoding;
  let header: string[];
  if (a.data && a.domain) {
    const domain = Domain.fromJson(JSON.parse(readFileSync(a.domain, 'utf8')) as Record<string, number>);
    const table = EncodedTable.fromCsv(readFileSync(a.data, 'utf8'), domain);
    encoding = TabularEncoding.fromDomain(domain);
    rows = { rows: table.rowCount, codes: table.columns.map((c) => Int32Array.from(c)), values: table.columns.map(() => null) };
    header = [...domain.attrs];
  } else if (a.raw && a.schema) {
    const schema = parseSchema(JSON.parse(readFileSync(a.schema, 'utf8')));
    encoding = TabularEncoding.fromSchema(schema);
    rows = tabularRowsFromRecords(schema, encoding, parseCsvText(readFileSync(a.raw, 'utf8'), a.raw)).rows;
    header = schema.columns.map((c) => c.name);
  } else throw new Error('give --data and --domain, or --raw and --schema');
  const spec: VaeSpec = { encoding, hidden: a.hidden.split(',').map(Number), latent: Number(a.latent), offsetSigma: Number(a.sigma) };
  const q = Number(a.q);
  const rounds = Number(a.rounds);
  const clip = Number(a.clip);
  const eps = Number(a.epsilon);
  const delta = Number(a.delta);
  const z = a['noise-multiplier'] !== undefined ? Number(a['noise-multiplier']) : eps > 0 ? TEMPORARY_noiseMultiplier(q, rounds, eps, delta) : 0;
  const layout = vaeLayout(spec);
  process.stderr.write(`rows ${rows.rows} width ${encoding.width} params ${layout.size} q ${q} rounds ${rounds} noise multiplier ${z}\n`);
  const t0 = Date.now();
  const rng = seededRandomSource(a.seed, 'train');
  const { params } = await trainVae({
    spec, params: initParams(spec, seededRandomSource(a.seed, 'init')), rows, rounds, sampleRate: q, clipNorm: clip, rng,
    privatize: z > 0 ? TEMPORARY_floatGaussianPrivatizer(z * clip, seededRandomSource(a.seed, 'noise')) : (s) => s,
    adam: { learningRate: Number(a.lr), beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    onRound: (t, i) => { if (t % 25 === 0) process.stderr.write(`round ${t} examples ${i.examples} clipped ${i.clipped} ${((Date.now() - t0) / 1000).toFixed(1)} s\n`); },
  });
  const trainSeconds = (Date.now() - t0) / 1000;
  const synth = await sampleVaeRows(spec, params, rows.rows, seededRandomSource(a.seed, 'sample'));
  const result: Record<string, unknown> = { rows: rows.rows, params: layout.size, q, rounds, clip, noiseMultiplier: z, epsilon: eps, delta, trainSeconds };
  const w: Record<string, number> = {};
  const wBins: Record<string, number> = {};
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
  });
  if (Object.keys(w).length > 0) Object.assign(result, { wasserstein: w, wassersteinExactBinsUniform: wBins });
  if (a.out) {
    const lines = [header.join(',')];
    for (let r = 0; r < synth.rows; r++) lines.push(synth.codes.map((c) => c[r]).join(','));
    writeFileSync(a.out, lines.join('\n') + '\n');
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function binOf(edges: readonly number[], v: number): number {
  let b = 0;
  while (b < edges.length - 2 && v >= edges[b + 1]) b++;
  return b;
}

void main();
