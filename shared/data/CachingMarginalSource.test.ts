import { describe, expect, it } from 'vitest';
import type { MarginalSource } from './MarginalSource.js';
import { CachingMarginalSource } from './CachingMarginalSource.js';

class CountingSource implements MarginalSource {
  calls: string[][] = [];
  async rowCount(): Promise<number> {
    return 3;
  }
  async marginals(sets: readonly (readonly string[])[]): Promise<Float64Array[]> {
    this.calls.push(sets.map((s) => s.join('+')));
    return sets.map((s) => Float64Array.from([s.length, 1]));
  }
  async close(): Promise<void> {}
}

describe('CachingMarginalSource', () => {
  it('asks the inner source only for sets it has not seen, and returns copies', async () => {
    const inner = new CountingSource();
    const c = new CachingMarginalSource(inner);
    const a = await c.marginals([['a'], ['a', 'b']]);
    const b = await c.marginals([['a', 'b'], ['c'], ['c']]);
    expect(inner.calls).toEqual([['a', 'a+b'], ['c']]);
    expect([...b[0]]).toEqual([2, 1]);
    a[1][0] = 99;
    expect([...(await c.marginals([['a', 'b']]))[0]]).toEqual([2, 1]);
  });
  it('does not cache beyond its cell budget but still answers', async () => {
    const inner = new CountingSource();
    const c = new CachingMarginalSource(inner, 2);
    await c.marginals([['a'], ['b']]);
    const r = await c.marginals([['b']]);
    expect([...r[0]]).toEqual([1, 1]);
    expect(inner.calls).toEqual([['a', 'b'], ['b']]);
  });
});
