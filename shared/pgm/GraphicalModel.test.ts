// Tests for GraphicalModel sampling (chi-square goodness of fit, alpha = 1e-6 per check),
// conditional sampling, and the model.json round trip.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GraphicalModel } from './GraphicalModel.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { cliqueSets, randomPotentials, smallDomain as d } from './testing/cliqueSets.js';

/**
 * Upper 1e-6 quantiles of the chi-square distribution, from scipy.stats.chi2.ppf(1 - 1e-6, df)
 * (SciPy 1.x). With alpha = 1e-6 per check and ~10 checks, a false failure has probability
 * below 1e-5 (and with the fixed seed the test is deterministic anyway).
 */
const CRIT: Readonly<Record<number, number>> = { 2: 27.631, 3: 30.665, 5: 35.888, 7: 40.522, 11: 48.866, 23: 70.55 };

function counts(cols: Int32Array[], attrs: readonly string[]): Float64Array {
  const idx = attrs.map((a) => d.indexOf(a));
  const out = new Float64Array(d.size(attrs));
  const n = cols[0].length;
  for (let r = 0; r < n; r++) {
    let k = 0;
    for (const i of idx) k = k * d.shape[i] + cols[i][r];
    out[k]++;
  }
  return out;
}

/** Pearson statistic of observed counts against expected probabilities (cells with p > 0). */
function chiSquare(obs: Float64Array, expectedMass: Float64Array, n: number): { stat: number; df: number } {
  const tot = expectedMass.reduce((s, x) => s + x, 0);
  let stat = 0;
  let cells = 0;
  for (let k = 0; k < obs.length; k++) {
    const e = (n * expectedMass[k]) / tot;
    if (e <= 0) continue;
    cells++;
    stat += ((obs[k] - e) * (obs[k] - e)) / e;
  }
  return { stat, df: cells - 1 };
}

describe('GraphicalModel', () => {
  const model = GraphicalModel.fromPotentials(d, randomPotentials(d, cliqueSets.mixed, 11), 5000);
  const N = 20000;
  const cols = model.sample(N, seededRandomSource('pgm-test', 'coordinator/sample'));
  const checks = [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['a', 'e'], ['b', 'd'], ['c', 'e'], ['a', 'd'], ['b', 'c', 'd']];

  it('draws exactly n rows with codes in range', () => {
    expect(cols.length).toBe(d.attrs.length);
    cols.forEach((c, i) => {
      expect(c.length).toBe(N);
      expect(c.every((v) => v >= 0 && v < d.shape[i])).toBe(true);
    });
  });

  it('samples match the model marginals (chi-square, alpha = 1e-6 each)', () => {
    for (const a of checks) {
      const { stat, df } = chiSquare(counts(cols, a), model.project(a), N);
      expect(stat, `${a.join(',')}`).toBeLessThan(CRIT[df]);
    }
  });

  it('independent sampling also matches the model marginals (chi-square, alpha = 1e-6 each)', () => {
    const ind = model.sample(N, seededRandomSource('pgm-test', 'independent'), { method: 'independent' });
    for (const a of checks) {
      const { stat, df } = chiSquare(counts(ind, a), model.project(a), N);
      expect(stat, `${a.join(',')}`).toBeLessThan(CRIT[df]);
    }
  });

  it('systematic sampling: root-clique counts are floor or ceil of n·p (known answer)', () => {
    const root = model.tree.cliques[model.tree.order[0]];
    const exp = model.project(root);
    const obs = counts(cols, root);
    for (let k = 0; k < obs.length; k++) {
      const e = (N * exp[k]) / model.total;
      expect(obs[k] >= Math.floor(e) && obs[k] <= Math.ceil(e), `cell ${k}: ${obs[k]} vs ${e}`).toBe(true);
    }
  });

  it('systematic sampling: any single row is an exact draw (row 3 of 7 over 6000 samples; chi-square, alpha = 1e-6)', () => {
    const reps = 6000;
    const one = d.attrs.map(() => new Int32Array(reps));
    const rng = seededRandomSource('pgm-test', 'row-marginal');
    for (let t = 0; t < reps; t++) {
      const c = model.sample(7, rng);
      c.forEach((col, i) => (one[i][t] = col[3]));
    }
    for (const a of [['a', 'b'], ['c', 'e'], ['b', 'c', 'd']]) {
      const { stat, df } = chiSquare(counts(one, a), model.project(a), reps);
      expect(stat, `${a.join(',')}`).toBeLessThan(CRIT[df]);
    }
  });

  it('the chi-square check detects samples from a different model (planted fault)', () => {
    const other = GraphicalModel.fromPotentials(d, randomPotentials(d, cliqueSets.mixed, 12), 5000);
    const detected = checks.filter((a) => chiSquare(counts(cols, a), other.project(a), N).stat >= CRIT[d.size(a) - 1]);
    expect(detected.length).toBeGreaterThan(0);
  });

  it('conditional sampling fixes the evidence and matches the conditional marginal', () => {
    const n = 10000;
    const c = model.sample(n, seededRandomSource('pgm-test', 'conditional'), { where: { c: 2 } });
    expect(c[d.indexOf('c')].every((v) => v === 2)).toBe(true);
    const joint = model.project(['a', 'b', 'c']);
    const cond = new Float64Array(6);
    for (let k = 0; k < 6; k++) cond[k] = joint[k * 4 + 2];
    const { stat, df } = chiSquare(counts(c, ['a', 'b']), cond, n);
    expect(stat).toBeLessThan(CRIT[df]);
    const e = model.project(['c', 'e']);
    const { stat: s2, df: df2 } = chiSquare(counts(c, ['e']), e.slice(2 * 3, 3 * 3), n);
    expect(s2).toBeLessThan(CRIT[df2]);
    expect(() => model.sample(1, seededRandomSource('x', 'y'), { where: { c: 9 } })).toThrow();
  });

  it('is deterministic for a fixed seed', () => {
    const again = model.sample(N, seededRandomSource('pgm-test', 'coordinator/sample'));
    expect(again.every((col, i) => col.every((v, r) => v === cols[i][r]))).toBe(true);
  });

  it('round-trips through toJSON / fromJSON', () => {
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    const back = GraphicalModel.fromJSON(json);
    expect(back.total).toBe(model.total);
    expect(back.cliques).toEqual(model.cliques);
    for (const a of [['a', 'b', 'c'], ['b', 'e'], d.attrs]) {
      const x = back.project(a);
      const y = model.project(a);
      for (let k = 0; k < x.length; k++) expect(x[k]).toBeCloseTo(y[k], 9);
    }
    expect(() => GraphicalModel.fromJSON({ ...json, format: 'nope' })).toThrow();
    expect(() => GraphicalModel.fromJSON({ ...json, potentials: json.potentials.slice(1) })).toThrow();
  });
});

/**
 * SHA-256 of the rows drawn (calls of 1, 999 and 5,000 rows on one stream, each call's Int32
 * columns in domain order) per clique set and method, computed with the sampler as it was before its
 * per-row scratch was shared across cliques (main at 6fed1af): the rows must stay bit for bit the same.
 */
const SAMPLE_DIGESTS: Readonly<Record<string, Record<'systematic' | 'independent', string>>> = {
  tree: { systematic: '367369f93dc582933a3df6a3378ac3328eca96516ac39ed37d897067826fa336', independent: '0c0e97995f660f22215a680d7febfa8ea6124fc842feb49fb2fc91a4483a91f1' },
  triangle: { systematic: 'c1e6a61b9a326fd8fd3c4ecee262a7be73415a35c6431f6b776130ce29957798', independent: '610868abe190b6caf4a374d91b1661087615b0756c5c6139f1eb45f74154266d' },
  fourCycle: { systematic: '04e8ee2b19a874d26924d51144274b779be8c9390a436aa4eca973264cde6f37', independent: '37ac2f40c973329205b3c7396c1d1a4cd8d1a89e7fa01bbea5aeb69f78c8891b' },
  singletons: { systematic: '064a98e072f99f56403e592ccc7c6f2fdf7be5601894026e32ebc34502458d6a', independent: 'f6d90ddd8a34aab122b9e0344ca2a6abb53b9032501d1842af470a47d5444c5c' },
  duplicates: { systematic: '3278d6380136d590b7fbd31d2fa4af836d6ea77e53a7639ef809fe9302e0151c', independent: '38611a3f7c1a169cf2934ac931bcddba6c494606850f6d9e7753b5d9cb25f104' },
  mixed: { systematic: 'ac7ca9bae268a1e7dc92d62610c3b664342d0b791955ecaed78563651920781f', independent: 'c873b4baa80c48fb693c533ca8b86dcddaf2dcac85ece1d6e3a9b569342e7df8' },
};

describe('GraphicalModel.sample known answers', () => {
  for (const [name, sets] of Object.entries(cliqueSets)) {
    for (const method of ['systematic', 'independent'] as const) {
      it(`${name}, ${method}: the same rows as before`, () => {
        const m = GraphicalModel.fromPotentials(d, randomPotentials(d, sets, 11), 5000);
        const h = createHash('sha256');
        const rng = seededRandomSource('pgm-kat', 'coordinator/sample');
        for (const n of [1, 999, 5000]) for (const c of m.sample(n, rng, { method })) h.update(new Uint8Array(c.buffer, c.byteOffset, c.byteLength));
        expect(h.digest('hex')).toBe(SAMPLE_DIGESTS[name]?.[method]);
      });
    }
  }
});
