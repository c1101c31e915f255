// Benchmark of the exact noise samplers: discrete Gaussian draws per second for sigma in {1, 10, 1000}
// (one core, seeded AES-CTR PRG and OS CSPRNG), plus discrete Laplace and Skellam for reference.
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

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
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
