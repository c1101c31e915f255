// Tests of SyntheticCsvWriter and MeasuredMarginalTally: rows written chunk by chunk give the file the
// one-shot encoders give (codes, and values decoded with a schema), and the report's counts.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Domain } from '../../shared/pgm/Domain.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { encodeCsv } from '../../shared/data/encodeCsv.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';
import { decodeCsv } from '../../shared/schema/decodeRows.js';
import { makeCodeTable } from '../../shared/eval/CodeTable.js';
import { fidelityToMeasurements } from '../../shared/eval/fidelityToMeasurements.js';
import { MeasuredMarginalTally } from '../../shared/eval/MeasuredMarginalTally.js';
import { decodeTabularCsv } from '../../shared/neural/decodeTabularRows.js';
import { TabularEncoding } from '../../shared/neural/TabularEncoding.js';
import { SyntheticCsvWriter } from './SyntheticCsvWriter.js';

const schema = parseSchema({
  version: 1,
  columns: [
    { name: 'c', type: 'categorical', categories: ['a', 'b, "quoted"'], missing: 'bin', outOfDomain: 'other' },
    { name: 'x', type: 'numeric', edges: [0, 0.5, 10], outOfDomain: 'clamp', decimals: 3 },
    { name: 'd', type: 'date', granularity: 'month', min: '2020-01-15', max: '2020-03-01' },
  ],
});
const shape = schema.columns.map((c) => columnLayout(c).size);
const domain = new Domain(schema.columns.map((c) => c.name), shape);

/** `n` rows of random codes, one Int32Array per column. */
function codes(n: number): Int32Array[] {
  const rng = seededRandomSource('writer', 'codes');
  return shape.map((s) => Int32Array.from({ length: n }, () => uniformInt(rng, s)));
}
const slice = (cols: Int32Array[], a: number, b: number): Int32Array[] => cols.map((c) => c.slice(a, b));
const chunksOf = (cols: Int32Array[], sizes: number[]): Int32Array[][] => {
  let at = 0;
  return sizes.map((k) => slice(cols, at, (at += k)));
};

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'fedsynth-writer-'));
  dirs.push(d);
  return join(d, 'study');
};

describe('SyntheticCsvWriter', () => {
  const all = codes(1000);
  for (const [name, sch] of [['codes', undefined], ['values decoded with the schema', schema]] as const) {
    it(`writes chunks byte for byte as the one-shot ${name} file, only after finish`, () => {
      const whole = sch ? decodeCsv(sch, all, seededRandomSource('seed', 'coordinator/decode')) : encodeCsv(domain.attrs, all);
      const dir = freshDir();
      const w = new SyntheticCsvWriter(dir, domain, sch, 'seed');
      for (const chunk of chunksOf(all, [1, 400, 0, 599])) w.write(chunk);
      expect(existsSync(join(dir, 'synthetic.csv'))).toBe(false);
      expect(w.rows).toBe(1000);
      const path = w.finish();
      expect(readFileSync(path, 'utf8')).toBe(whole);
      expect(() => w.write(all)).toThrow(/after finish/);
    });
  }

  it("writes a generator's sampled values (dpsgd on a schema) chunk by chunk as decodeTabularCsv does whole", () => {
    const rng = seededRandomSource('writer', 'values');
    const values = schema.columns.map((c) => (c.type === 'numeric' ? Float64Array.from({ length: 1000 }, (_, r) => (r % 7 === 0 ? NaN : uniformInt(rng, 10_000) / 1000)) : null));
    const whole = decodeTabularCsv(schema, TabularEncoding.fromSchema(schema), { rows: 1000, codes: all, values }, seededRandomSource('seed', 'coordinator/decode'));
    const dir = freshDir();
    const w = new SyntheticCsvWriter(dir, domain, schema, 'seed');
    let at = 0;
    for (const k of [250, 750]) {
      w.write(slice(all, at, at + k), values.map((v) => v && v.slice(at, at + k)));
      at += k;
    }
    expect(readFileSync(w.finish(), 'utf8')).toBe(whole);
  });

  it('writes the same bytes whatever the slice of rows encoded at a time (slice boundaries inside and across chunks)', () => {
    const rng = seededRandomSource('writer', 'values');
    const values = schema.columns.map((c) => (c.type === 'numeric' ? Float64Array.from({ length: 1000 }, (_, r) => (r % 7 === 0 ? NaN : uniformInt(rng, 10_000) / 1000)) : null));
    const wholes = {
      codes: encodeCsv(domain.attrs, all),
      schema: decodeCsv(schema, all, seededRandomSource('seed', 'coordinator/decode')),
      values: decodeTabularCsv(schema, TabularEncoding.fromSchema(schema), { rows: 1000, codes: all, values }, seededRandomSource('seed', 'coordinator/decode')),
    };
    for (const sliceRows of [1, 7, 400, 1000, 4096]) {
      for (const kind of ['codes', 'schema', 'values'] as const) {
        const dir = freshDir();
        const w = new SyntheticCsvWriter(dir, domain, kind === 'codes' ? undefined : schema, 'seed', sliceRows);
        let at = 0;
        for (const k of [1, 400, 0, 599]) {
          w.write(slice(all, at, at + k), kind === 'values' ? values.map((v) => v && v.slice(at, at + k)) : undefined);
          at += k;
        }
        expect(w.rows).toBe(1000);
        expect(readFileSync(w.finish(), 'utf8'), `${kind}, ${sliceRows} rows a slice`).toBe(wholes[kind]);
      }
    }
    expect(() => new SyntheticCsvWriter(freshDir(), domain, undefined, 'seed', 0)).toThrow(/sliceRows/);
  });

  it('an empty table is the header alone; abort leaves nothing', () => {
    const dir = freshDir();
    const w = new SyntheticCsvWriter(dir, domain, undefined, 'seed');
    expect(readFileSync(w.finish(), 'utf8')).toBe(encodeCsv(domain.attrs, codes(0)));
    const dir2 = freshDir();
    const a = new SyntheticCsvWriter(dir2, domain, schema, 'seed');
    a.write(all.map((c) => c.slice(0, 3)));
    a.abort();
    expect(existsSync(join(dir2, 'synthetic.csv')) || existsSync(join(dir2, '.synthetic.csv.part'))).toBe(false);
  });
});

describe('MeasuredMarginalTally', () => {
  it('scores chunks as fidelityToMeasurements scores their concatenation', () => {
    const all = codes(700);
    const measured = [
      { attrs: ['c'], values: [100, 200, 300, 100], stddev: 2 },
      { attrs: ['c', 'd'], values: Array.from({ length: shape[0] * shape[2] }, (_, i) => (i * 7) % 50), stddev: 3 },
    ];
    const tally = new MeasuredMarginalTally(domain.attrs, domain.shape, measured);
    for (const chunk of chunksOf(all, [300, 300, 100])) tally.add(chunk);
    expect(tally.rows).toBe(700);
    expect(tally.fidelity()).toEqual(fidelityToMeasurements(makeCodeTable(domain.attrs, domain.shape, all), measured));
  });
});
