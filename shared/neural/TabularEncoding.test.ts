import { describe, expect, it } from 'vitest';
import { parseSchema } from '../schema/ConsortiumSchema.js';
import { TabularEncoding } from './TabularEncoding.js';
import { tabularRowsFromRecords } from './tabularRowsFromRecords.js';

const schema = parseSchema({
  version: 1,
  columns: [
    { name: 'age', type: 'integer', edges: [0, 10, 20], outOfDomain: 'clamp' },
    { name: 'amount', type: 'numeric', edges: [0, 1, 100], missing: 'bin' },
    { name: 'kind', type: 'categorical', categories: ['a', 'b'] },
    { name: 'grade', type: 'integer', min: 1, max: 3 },
  ],
});

describe('TabularEncoding', () => {
  it('lays out one-hot blocks then one offset per continuous column (public edges only)', () => {
    const enc = TabularEncoding.fromSchema(schema);
    expect(enc.columns.map((c) => c.kind)).toEqual(['continuous', 'continuous', 'categorical', 'categorical']);
    expect(enc.columns.map((c) => c.size)).toEqual([2, 3, 2, 3]);
    expect(enc.codeStart).toEqual([0, 2, 5, 7]);
    expect(enc.valueIndex).toEqual([0, 1, -1, -1]);
    expect(enc.width).toBe(12);
  });

  it('offsets invert to the same value (integers exactly, reals within rounding)', () => {
    const enc = TabularEncoding.fromSchema(schema);
    const age = enc.columns[0];
    const amount = enc.columns[1];
    if (age.kind !== 'continuous' || amount.kind !== 'continuous') throw new Error('layout');
    for (let v = 0; v <= 20; v++) {
      const code = v < 10 ? 0 : 1;
      expect(TabularEncoding.valueOf(age, code, TabularEncoding.offsetOf(age, code, v))).toBe(v);
    }
    for (const v of [0, 0.25, 0.999, 1, 37.5, 100]) {
      const code = v < 1 ? 0 : 1;
      expect(TabularEncoding.valueOf(amount, code, TabularEncoding.offsetOf(amount, code, v))).toBeCloseTo(v, 9);
    }
    expect(TabularEncoding.valueOf(amount, 2, 0)).toBeNaN(); // the "missing" code has no value
  });

  it('encodes raw records: one-hot codes, offsets masked on the missing code, clamped values', () => {
    const enc = TabularEncoding.fromSchema(schema);
    const { rows, dropped } = tabularRowsFromRecords(schema, enc, [
      ['kind', 'amount', 'age', 'grade'],
      ['b', '', '25', '2'],
      ['a', '50.5', '3', '1'],
      ['c', '1', '1', '1'], // unknown category: invalid, dropped
    ]);
    expect(dropped).toBe(1);
    expect(rows.rows).toBe(2);
    expect(Array.from(rows.codes[0])).toEqual([1, 0]);
    expect(Array.from(rows.values[0]!)).toEqual([20, 3]);
    expect(rows.values[1]![0]).toBeNaN();
    const { x, valueMask } = enc.encode(rows, 0, 2);
    expect(Array.from(x.subarray(0, 10))).toEqual([0, 1, 0, 0, 1, 0, 1, 0, 1, 0]);
    expect(x[10]).toBeCloseTo(2 * (10.5 / 11) - 1, 6); // 20 in the closed last bin [10, 20]: 11 integers
    expect(x[11]).toBe(0); // missing amount: no offset
    expect(Array.from(valueMask)).toEqual([1, 0, 1, 1]);
    expect(x[12 + 10]).toBeCloseTo(2 * (3.5 / 10) - 1, 6);
    expect(x[12 + 11]).toBeCloseTo(2 * (49.5 / 99) - 1, 6);
  });
});

describe('decodeTabularRows', () => {
  it('writes continuous values as numbers, categorical codes as labels, the missing code as an empty cell', async () => {
    const { decodeTabularRows } = await import('./decodeTabularRows.js');
    const { seededRandomSource } = await import('../dp/random/RandomSource.js');
    const enc = TabularEncoding.fromSchema(schema);
    const rows = {
      rows: 2,
      codes: [Int32Array.from([1, 0]), Int32Array.from([2, 1]), Int32Array.from([0, 1]), Int32Array.from([2, 0])],
      values: [Float64Array.from([17, 3]), Float64Array.from([Number.NaN, 42.1234567891]), null, null],
    };
    expect(decodeTabularRows(schema, enc, rows, seededRandomSource('d', 'd'))).toEqual([
      ['17', '', 'a', '3'],
      ['3', '42.123457', 'b', '1'],
    ]);
  });

  it('as CSV: a header and the same cells; a schema decoding to labels keeps the bin labels', async () => {
    const { decodeTabularCsv, decodeTabularRows } = await import('./decodeTabularRows.js');
    const { decodeRows } = await import('../schema/decodeRows.js');
    const { seededRandomSource } = await import('../dp/random/RandomSource.js');
    const enc = TabularEncoding.fromSchema(schema);
    const rows = { rows: 1, codes: [Int32Array.from([1]), Int32Array.from([0]), Int32Array.from([1]), Int32Array.from([0])], values: [Float64Array.from([12]), Float64Array.from([0.5]), null, null] };
    expect(decodeTabularCsv(schema, enc, rows, seededRandomSource('d', 'd'))).toBe('age,amount,kind,grade\n12,0.5,b,1\n');
    const labels = parseSchema({ ...schema, decode: 'label' });
    expect(decodeTabularRows(labels, enc, rows, seededRandomSource('d', 'd'))).toEqual(decodeRows(labels, rows.codes, seededRandomSource('d', 'd')));
  });
});
