// Tests of raw CSV reading for evaluation: RFC 4180 quoting, nulls, line numbers in errors, and schema
// encoding with invalid rows dropped and counted.
import { describe, expect, it } from 'vitest';
import { parseSchema } from '../schema/ConsortiumSchema.js';
import { parseCsvText } from './parseCsvText.js';
import { encodeRawCsv } from './encodeRawCsv.js';

describe('parseCsvText', () => {
  it('reads quoted fields, doubled quotes, embedded newlines and CRLF; empty unquoted fields are null', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",\r\n\n"multi\nline",,3\n4,5,6';
    expect(parseCsvText(text, 't.csv')).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', null],
      ['multi\nline', null, '3'],
      ['4', '5', '6'],
    ]);
  });

  it('names the line of an unterminated quote', () => {
    expect(() => parseCsvText('a\n1\n"open\n', 'bad.csv')).toThrow(/bad\.csv: line 3: unterminated quoted field/);
  });
});

describe('encodeRawCsv', () => {
  const schema = parseSchema({
    version: 1,
    columns: [
      { name: 'age', type: 'integer', edges: [0, 50, 100] },
      { name: 'sex', type: 'categorical', categories: ['F', 'M'], missing: 'bin' },
    ],
  });

  it('encodes under the schema in schema column order, dropping and counting invalid rows', () => {
    const r = encodeRawCsv('sex,extra,age\nF,1,20\nM,2,70\n,3,10\nX,4,10\nM,5,abc\n', schema, 'real.csv');
    expect(r.dropped).toBe(2);
    expect(r.table.columns).toEqual(['age', 'sex']);
    expect(r.table.sizes).toEqual([2, 3]);
    expect(r.table.rows).toBe(3);
    expect([...r.table.data[0]]).toEqual([0, 1, 0]);
    expect([...r.table.data[1]]).toEqual([0, 1, 2]);
  });

  it('names a missing column and refuses a file with no valid row', () => {
    expect(() => encodeRawCsv('age\n1\n', schema, 'real.csv')).toThrow(/real\.csv: line 1: no column sex/);
    expect(() => encodeRawCsv('age,sex\n1,X\n', schema, 'real.csv')).toThrow(/no row is valid/);
  });
});
