// Benchmark of the exact noise samplers: discrete Gaussian draws per second for sigma in {1, 10, 1000}
// and the gradient path's sigma^2 (one core, seeded AES-CTR PRG and OS CSPRNG), Laplace and Skellam too.
import { loadavg } from 'node:os';
import { cryptoRandomSource, seededRandomSource, type RandomSource } from '../shared/dp/random/RandomSource.js';
import { DiscreteGaussianSampler } from '../shared/dp/samplers/DiscreteGaussianSampler.js';
import { DiscreteLaplaceSampler } from '../shared/dp/samplers/DiscreteLaplaceSampler.js';
import { SkellamSampler } from '../shared/dp/samplers/SkellamSampler.js';

function measure(draw: (rng: RandomSource) => number, rng: RandomSource, seconds: number): { draws: number; perSecond: number; checksum: number } {
  for (let i = 0; i < 20_000; i++) draw(rng); // warm-up and fill lazy caches
  let n = 0;
  let checksum = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(seconds * 1e9));
  for (;;) {
    for (let i = 0; i < 50_000; i++) checksum += draw(rng);
    n += 50_000;
    if (process.hrtime.bigint() - start >= budget) break;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  return { draws: n, perSecond: n / elapsed, checksum };
}

/** The per-party variance of the measured dpsgd run (Adult, 3 parties, eps 1, 20 rounds: ~8.5e8), integer and not. */
const GRADIENT_SIGMA2 = [8.5e8, 849823742.37];
/** One gradient round's noise vector (the padded dimension of the Adult VAE). */
const ROUND_COORDINATES = 131_072;

/**
 * Milliseconds for one round's worth of draws from a FRESH sampler (cold tables), then the next
 * three rounds: wall clock and this process's CPU time (user + sys; the machine is shared, so CPU
 * time is the figure to compare across runs).
 */
function rounds(sigma2: number, rng: RandomSource): { wallMs: number[]; cpuMs: number[] } {
  const s = new DiscreteGaussianSampler(sigma2);
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let r = 0; r < 4; r++) {
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (let i = 0; i < ROUND_COORDINATES; i++) s.sample(rng);
    const used = process.cpuUsage(cpu);
    cpuMs.push(Math.round((used.user + used.system) / 1000));
    wallMs.push(Math.round(Number(process.hrtime.bigint() - start) / 1e6));
  }
  return { wallMs, cpuMs };
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  for (const sigma2 of GRADIENT_SIGMA2) {
    const r = rounds(sigma2, seededRandomSource('bench', 'gradient-round'));
    emit({ bench: 'samplers', distribution: 'discrete-gaussian', sigma2, coordinates: ROUND_COORDINATES, rng: 'seeded', roundsWallMs: r.wallMs, roundsCpuMs: r.cpuMs, loadAverage1m: loadavg()[0] });
    const s = new DiscreteGaussianSampler(sigma2);
    const m = measure((g) => s.sample(g), cryptoRandomSource(), 2);
    emit({ bench: 'samplers', distribution: 'discrete-gaussian', sigma2, rng: 'crypto', draws: m.draws, drawsPerSecond: Math.round(m.perSecond) });
  }
  for (const sigma of [1, 10, 1000]) {
    for (const source of ['seeded', 'crypto'] as const) {
      const s = new DiscreteGaussianSampler(sigma * sigma);
      const rng = source === 'seeded' ? seededRandomSource('bench', 'samplers') : cryptoRandomSource();
      const r = measure((g) => s.sample(g), rng, 2);
      emit({ bench: 'samplers', distribution: 'discrete-gaussian', sigma, rng: source, draws: r.draws, drawsPerSecond: Math.round(r.perSecond) });
    }
  }
  const lap = new DiscreteLaplaceSampler(10);
  const rl = measure((g) => lap.sample(g), seededRandomSource('bench', 'laplace'), 1);
  emit({ bench: 'samplers', distribution: 'discrete-laplace', scale: 10, rng: 'seeded', draws: rl.draws, drawsPerSecond: Math.round(rl.perSecond) });
  const sk = new SkellamSampler(100);
  const rs = measure((g) => sk.sample(g), seededRandomSource('bench', 'skellam'), 1);
  emit({ bench: 'samplers', distribution: 'skellam', variance: 100, rng: 'seeded', draws: rs.draws, drawsPerSecond: Math.round(rs.perSecond) });
}

// Run directly: node dist/bench/samplers.js
if (import.meta.url === `file://${process.argv[1]}`) {
  void run((rec) => process.stdout.write(JSON.stringify(rec) + '\n'));
}
