// Tests: schema validation names the field path; code layouts; the reference encoder; decoding
// round-trips (encode(decode(code)) == code for every code of every column type, fixed seed).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseSchema } from './ConsortiumSchema.js';
import { columnLayout, schemaDomain } from './columnLayout.js';
import { encodeValue, binIndex } from './encodeValue.js';
import { decodeCsv, decodeRows } from './decodeRows.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { ErrorCode } from '../errors/FedsynthError.js';

const mixed = parseSchema({
  version: 1,
  columns: [
    { name: 'c', type: 'categorical', categories: ['a', 'b, "quoted"'], missing: 'bin', outOfDomain: 'other' },
    { name: 'x', type: 'numeric', edges: [0, 0.5, 10], outOfDomain: 'clamp', decimals: 3 },
    { name: 'i', type: 'integer', edges: [0, 5, 10, 20], missing: 'other' },
    { name: 'r', type: 'integer', min: -2, max: 2 },
    { name: 'dy', type: 'date', granularity: 'year', min: '2019-06-01', max: '2021-02-01' },
    { name: 'dm', type: 'date', granularity: 'month', min: '2020-01-15', max: '2020-03-01', missing: 'bin' },
    { name: 'dd', type: 'date', granularity: 'day', min: '2020-02-27', max: '2020-03-01' },
  ],
});

describe('parseSchema', () => {
  it('reports errors with the field path', () => {
    const bad = { version: 1, columns: [{ name: 'a', type: 'categorical', categories: ['x'] }, { name: 'b', type: 'numeric', edges: [3, 1] }] };
    expect(() => parseSchema(bad)).toThrow(/columns\.1\.edges: edges must be strictly increasing/);
    try {
      parseSchema({ version: 1, columns: [{ name: 'a', type: 'integer', min: 3 }] });
    } catch (e) {
      expect((e as { code: string }).code).toBe(ErrorCode.InvalidSchema);
    }
    expect(() => parseSchema({ version: 1, columns: [{ name: 'a', type: 'date', granularity: 'week', min: '2020-01-01', max: '2020-01-02' }] })).toThrow(
      /columns\.0\.granularity/,
    );
    expect(() =>
      parseSchema({ version: 1, columns: [{ name: 'a', type: 'categorical', categories: ['x'] }, { name: 'a', type: 'categorical', categories: ['y'] }] }),
    ).toThrow(/columns\.1\.name: duplicate/);
    expect(() => parseSchema({ version: 1, columns: [{ name: 'a', type: 'categorical', categories: ['x', 'x'] }] })).toThrow(/distinct/);
  });

  it('defines the Domain: sizes include other and missing bins', () => {
    expect(schemaDomain(mixed)).toEqual({ c: 4, x: 2, i: 4, r: 5, dy: 3, dm: 4, dd: 4 });
    expect(columnLayout(mixed.columns[0]!)).toEqual({ valueCodes: 2, other: 2, missing: 3, size: 4 });
    const adult = parseSchema(JSON.parse(readFileSync('data/adult-raw.schema.json', 'utf8')));
    expect(Object.keys(schemaDomain(adult))).toHaveLength(15);
    expect(schemaDomain(adult)['native-country']).toBe(43);
  });
});

describe('encodeValue', () => {
  const [c, x, i, r, dy, dm, dd] = mixed.columns as [never, never, never, never, never, never, never];
  it('maps values, missing, out-of-domain and wrong types by the column policies', () => {
    expect(encodeValue(c, ' b, "quoted" ')).toEqual({ ok: true, code: 1 });
    expect(encodeValue(c, 'zzz')).toEqual({ ok: true, code: 2 });
    expect(encodeValue(c, null)).toEqual({ ok: true, code: 3 });
    expect(encodeValue(x, '0.5')).toEqual({ ok: true, code: 1 });
    expect(encodeValue(x, '10')).toEqual({ ok: true, code: 1 });
    expect(encodeValue(x, '-1e3')).toEqual({ ok: true, code: 0 });
    expect(encodeValue(x, 'NaN')).toEqual({ ok: false, reason: 'wrong-type' });
    expect(encodeValue(x, '-Infinity')).toEqual({ ok: false, reason: 'wrong-type' });
    expect(encodeValue(x, '')).toEqual({ ok: false, reason: 'missing' });
    expect(encodeValue(i, '')).toEqual({ ok: true, code: 3 });
    expect(encodeValue(i, '20')).toEqual({ ok: true, code: 2 });
    expect(encodeValue(i, '21')).toEqual({ ok: false, reason: 'out-of-domain' });
    expect(encodeValue(i, '2.5')).toEqual({ ok: false, reason: 'wrong-type' });
    expect(encodeValue(r, '-2')).toEqual({ ok: true, code: 0 });
    expect(encodeValue(r, '2.0')).toEqual({ ok: true, code: 4 });
    expect(encodeValue(dy, '2020-12-31')).toEqual({ ok: true, code: 1 });
    expect(encodeValue(dm, '2020-03-31T10:00:00')).toEqual({ ok: true, code: 2 });
    expect(encodeValue(dd, '2020-02-29')).toEqual({ ok: true, code: 2 });
    expect(encodeValue(dd, '2021-02-29')).toEqual({ ok: false, reason: 'wrong-type' });
    expect(encodeValue(dd, '2020-03-02')).toEqual({ ok: false, reason: 'out-of-domain' });
  });

  it('binIndex agrees with a linear scan', () => {
    const edges = [-3, -1, 0, 0.25, 7, 100];
    for (let v = -5; v <= 105; v += 0.125) {
      let want = v < edges[0]! ? -1 : v > edges[5]! ? 5 : 0;
      if (want === 0) for (let k = 0; k < 5; k++) if (edges[k]! <= v) want = k;
      expect(binIndex(edges, v)).toBe(want);
    }
  });
});

describe('decodeRows', () => {
  it('round-trips every code of every column (uniform and label modes)', () => {
    const rng = seededRandomSource('decode-test', 'coordinator/sample');
    const sizes = mixed.columns.map((col) => columnLayout(col).size);
    const n = 400;
    const cols = sizes.map((s, j) => Int32Array.from({ length: n }, (_, k) => (k * (j + 3)) % s));
    const rows = decodeRows(mixed, cols, rng);
    rows.forEach((row, k) =>
      mixed.columns.forEach((col, j) => {
        const lay = columnLayout(col);
        const code = cols[j]![k]!;
        const back = encodeValue(col, row[j]!);
        // the "other" bin decodes to its label, which re-encodes as out-of-domain (or other)
        if (code === lay.other && col.outOfDomain !== 'other') return;
        expect(back, `${col.name} code ${code} -> ${row[j]}`).toEqual({ ok: true, code });
      }),
    );
    const labels = decodeRows(mixed, cols, rng, { mode: 'label' });
    expect(labels[0]).toEqual(['a', '[0, 0.5)', '0-4', '-2', '2019', '2020-01', '2020-02-27']);
    expect(labels[1]).toEqual(['', '[0, 0.5)', '5-9', '-1', '2020', '2020-01', '2020-02-28']);
  });

  it('writes CSV with quoting; missing is an empty cell; rejects bad codes', () => {
    const rng = seededRandomSource('decode-test', 'coordinator/sample');
    const one = (v: number) => Int32Array.of(v);
    const csv = decodeCsv(mixed, [one(1), one(0), one(3), one(2), one(0), one(3), one(3)], rng, { mode: 'label' });
    expect(csv).toBe('c,x,i,r,dy,dm,dd\n"b, ""quoted""","[0, 0.5)",other,0,2019,,2020-03-01\n');
    expect(() => decodeRows(mixed, [one(9), one(0), one(0), one(0), one(0), one(0), one(0)], rng)).toThrow(/out of range/);
  });
});
