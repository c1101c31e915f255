// Tests for codeLabels: category names, bin ranges, integers, periods, the other and missing bins,
// and agreement with decodeRows' label mode.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { parseSchema } from './ConsortiumSchema.js';
import { codeLabels, MISSING_LABEL } from './codeLabels.js';
import { decodeRows } from './decodeRows.js';

const schema = parseSchema({
  version: 1,
  columns: [
    { name: 'c', type: 'categorical', categories: ['x', 'y'], missing: 'bin', outOfDomain: 'other', otherLabel: 'else' },
    { name: 'n', type: 'numeric', edges: [0, 1.5, 3] },
    { name: 'i', type: 'integer', edges: [0, 10, 20] },
    { name: 'r', type: 'integer', min: 5, max: 7 },
    { name: 'm', type: 'date', granularity: 'month', min: '2020-11-15', max: '2021-01-31' },
  ],
});

describe('codeLabels', () => {
  const labels = codeLabels(schema);
  it('names every code of every column', () => {
    expect(labels).toEqual([['x', 'y', 'else', MISSING_LABEL], ['[0, 1.5)', '[1.5, 3]'], ['0-9', '10-20'], ['5', '6', '7'], ['2020-11', '2020-12', '2021-01']]);
  });
  it('agrees with the decoder in label mode (missing decodes to an empty cell)', () => {
    const cols = labels.map((l, j) => Int32Array.from(l.map((_, code) => code).concat(new Array(4 - Math.min(4, l.length)).fill(0)).slice(0, 4)));
    const rows = decodeRows(schema, cols, seededRandomSource('codeLabels', 'x'), { mode: 'label' });
    rows.forEach((row, r) => row.forEach((v, j) => expect(v === '' ? MISSING_LABEL : v).toBe(labels[j][cols[j][r]])));
  });
});
