// simulationSamplers: floating-point random variates for simulations (splits, generated tables):
// shuffles, normals, Gamma and Dirichlet draws. Never used for privacy noise (see shared/dp).
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat, uniformInt } from '../dp/random/uniform.js';

/** Fisher-Yates shuffle of `a` in place (returns `a`). */
export function shuffleInPlace<T>(a: T[], rng: RandomSource): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const k = uniformInt(rng, i + 1);
    const t = a[i];
    a[i] = a[k];
    a[k] = t;
  }
  return a;
}

/** Standard normal by Box-Muller (two uniforms per draw). */
export function standardNormal(rng: RandomSource): number {
  const u1 = 1 - uniformFloat(rng);
  const u2 = uniformFloat(rng);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Gamma(shape, 1): Marsaglia & Tsang (2000); shape < 1 through Gamma(shape+1) * U^(1/shape). */
export function gammaVariate(shape: number, rng: RandomSource): number {
  if (shape < 1) {
    const u = 1 - uniformFloat(rng);
    return gammaVariate(shape + 1, rng) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - uniformFloat(rng);
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Dirichlet(alpha,...,alpha) of dimension n from normalized Gamma(alpha) draws. */
export function symmetricDirichlet(alpha: number, n: number, rng: RandomSource): number[] {
  const g = Array.from({ length: n }, () => gammaVariate(alpha, rng));
  const s = g.reduce((a, b) => a + b, 0);
  if (!(s > 0)) return g.map(() => 1 / n);
  return g.map((x) => x / s);
}
