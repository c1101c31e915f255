// Tests for FitHelperThread with shared/pgm/TwoThreadFit: a mirror-descent fit on two threads is the
// one-thread fit bit for bit, and a fit without a helper that can attach runs on one thread.
import { afterAll, describe, expect, it } from 'vitest';
import { Domain } from '../../shared/pgm/Domain.js';
import { estimate } from '../../shared/pgm/Estimation.js';
import type { GraphicalModel } from '../../shared/pgm/GraphicalModel.js';
import type { Measurement } from '../../shared/pgm/Measurement.js';
import type { FitHelper, TwoThreadFit } from '../../shared/pgm/TwoThreadFit.js';
import { FitHelperThread } from './FitHelperThread.js';

// The UCI Adult domain (schema bins) and the attribute sets of one AIM run's final fit at epsilon 1
// (column indices joined by '.'): a junction tree of 10 cliques, 180,075 cells, whose root is split,
// with separators, child separators and measured marginals that lack their clique's first
// attribute (summed whole by one thread) and cliques small enough to go whole to one thread.
const SHAPE = [9, 9, 12, 16, 16, 7, 15, 6, 5, 2, 10, 7, 9, 43, 2];
const SETS =
  '0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 3.4 5.7 7.9 0.5 5.9 7.14 5.14 0.7 1.6 6.9 4.6 3.6 0.14 6.14 4.14 3.14 6.7 12.14 7.12 ' +
  '6.12 9.14 9.12 10.14 5.6 0.1 0.12 0.6 3.7 1.14 0.9 8.9.12 1.12.14 9.11.14 2.14 0.8 1.8 8.14 4.9 0.3 7.11 8.10 9.10 0.2 1.9 3.9.14 5.11 2.7';
const domain = new Domain(
  SHAPE.map((_, i) => `c${i}`),
  SHAPE,
);

/** Noisy-looking counts (a fixed LCG); a few sets measured twice at another noise level (merged groups). */
function measurements(seed: number): Measurement[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const sets = SETS.split(' ').map((k) => k.split('.').map((i) => `c${i}`));
  const out: Measurement[] = [];
  sets.forEach((attrs, q) => {
    const n = domain.size(attrs);
    const values = new Float64Array(n);
    for (let k = 0; k < n; k++) values[k] = (48842 / n) * (0.2 + 1.6 * next()) + 20 * (next() - 0.5);
    out.push({ attrs, values, stddev: 15 + (q % 7) });
    if (q % 17 === 3) out.push({ attrs, values: values.map((v) => v + 10 * (next() - 0.5)), stddev: 40 });
  });
  return out;
}

function bytes(m: GraphicalModel): Buffer {
  return Buffer.concat([...m.potentials.factors, ...m.marginals.factors].map((f) => Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength)));
}

const helper = FitHelperThread.start();
afterAll(async () => {
  await helper?.close();
});

/** The helper, counting the fits it took. */
function counting(h: FitHelper): FitHelper & { attached: number } {
  const c = {
    attached: 0,
    attach(fit: TwoThreadFit): boolean {
      const ok = h.attach(fit);
      if (ok) c.attached++;
      return ok;
    },
  };
  return c;
}

describe('two-thread mirror descent (FitHelperThread)', () => {
  it('gives the one-thread model bit for bit, cold and warm-started, the helper serving fit after fit', () => {
    expect(helper).toBeDefined();
    const h = counting(helper!);
    const ms = measurements(1);
    const one = estimate(domain, ms, { iters: 20, method: 'mirror-descent' });
    const two = estimate(domain, ms, { iters: 20, method: 'mirror-descent', helper: h });
    expect(h.attached).toBe(1);
    expect(two.tree.size()).toBe(180_075);
    expect(bytes(two).equals(bytes(one))).toBe(true);
    const more = [...ms, ...measurements(2).slice(40)];
    const oneWarm = estimate(domain, more, { iters: 8, method: 'mirror-descent', warmStart: one });
    const twoWarm = estimate(domain, more, { iters: 8, method: 'mirror-descent', warmStart: two, helper: h });
    expect(h.attached).toBe(2);
    expect(bytes(twoWarm).equals(bytes(oneWarm))).toBe(true);
    // The fit is a real one: the loss went down from the start, so a wrong split would show.
    expect(bytes(twoWarm).equals(bytes(two))).toBe(false);
  });

  it('runs on one thread when no helper can attach, and never asks for small trees or the accelerated estimator', async () => {
    const ms = measurements(3);
    const one = estimate(domain, ms, { iters: 5, method: 'mirror-descent' });
    const refusing = counting({ attach: () => false });
    expect(bytes(estimate(domain, ms, { iters: 5, method: 'mirror-descent', helper: refusing })).equals(bytes(one))).toBe(true);
    const closed = FitHelperThread.start()!;
    await closed.close();
    const afterClose = counting(closed);
    expect(bytes(estimate(domain, ms, { iters: 5, method: 'mirror-descent', helper: afterClose })).equals(bytes(one))).toBe(true);
    expect(afterClose.attached).toBe(0);
    const asked = counting(helper!);
    estimate(domain, ms.slice(0, 20), { iters: 5, method: 'mirror-descent', helper: asked });
    estimate(domain, ms, { iters: 5, helper: asked });
    expect(asked.attached).toBe(0);
  });
});
