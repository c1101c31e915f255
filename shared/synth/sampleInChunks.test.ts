// Tests of sampleInChunks: up to one chunk it is bit for bit one sampler call (small tables keep
// their synthetic output), above it the chunks are consecutive calls on one random stream.
import { describe, expect, it } from 'vitest';
import { GraphicalModel } from '../pgm/GraphicalModel.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { cliqueSets, randomPotentials, smallDomain as d } from '../pgm/testing/cliqueSets.js';
import { SAMPLE_CHUNK_ROWS, sampleInChunks, type RowSampler } from './sampleInChunks.js';

const model = GraphicalModel.fromPotentials(d, randomPotentials(d, cliqueSets.mixed, 7), 5000);
const sample: RowSampler = (n, rng) => model.sample(n, rng);
const rows = (cols: Int32Array[][]): number[][] => d.attrs.map((_, j) => cols.flatMap((c) => Array.from(c[j])));

describe('sampleInChunks', () => {
  it('equals one sampler call bit for bit when the table fits in one chunk (the default chunk holds 65,536 rows)', () => {
    expect(SAMPLE_CHUNK_ROWS).toBe(65_536);
    const whole = model.sample(3000, seededRandomSource('chunks', 'coordinator/sample'));
    const chunked = [...sampleInChunks(sample, 3000, seededRandomSource('chunks', 'coordinator/sample'))];
    expect(chunked).toHaveLength(1);
    expect(rows(chunked)).toEqual(rows([whole]));
    expect(rows([...sampleInChunks(sample, 3000, seededRandomSource('chunks', 'coordinator/sample'), 3000)])).toEqual(rows([whole]));
  });

  it('above one chunk, yields consecutive calls on the same stream, the last one short', () => {
    const rng = seededRandomSource('chunks', 'coordinator/sample');
    const expected = [model.sample(400, rng), model.sample(400, rng), model.sample(200, rng)];
    const chunked = [...sampleInChunks(sample, 1000, seededRandomSource('chunks', 'coordinator/sample'), 400)];
    expect(chunked.map((c) => c[0].length)).toEqual([400, 400, 200]);
    expect(rows(chunked)).toEqual(rows(expected));
    expect([...sampleInChunks(sample, 0, rng)]).toEqual([]);
    expect(() => [...sampleInChunks(sample, -1, rng)]).toThrow(/non-negative/);
    expect(() => [...sampleInChunks(sample, 10, rng, 0)]).toThrow(/positive/);
  });
});
