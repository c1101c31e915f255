// Tests for totalVariation, tvScoreRecord, parseCodeCsv and attrSubsets: hand-computed tables,
// a bit-for-bit cross-check against ../shared/tools/tvscore.mjs on Adult, and planted faults.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../test/support/runCommand.js';
import { isFedsynthError } from '../errors/FedsynthError.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { attrSubsets } from './attrSubsets.js';
import { makeCodeTable } from './CodeTable.js';
import { parseCodeCsv } from './parseCodeCsv.js';
import { parseDomainJson } from './parseDomainJson.js';
import { totalVariation, tvOfCounts } from './totalVariation.js';
import { tvScoreRecord } from './tvScoreRecord.js';

const ROOT = new URL('../../', import.meta.url).pathname;
// The reference scorer, copied from ../shared/tools/tvscore.mjs (provided material) so CI needs no sibling checkout.
const REF = join(ROOT, 'test/reference/tvscore.mjs');

describe('attrSubsets', () => {
  it('enumerates C(m,k) subsets in lexicographic order', () => {
    expect(attrSubsets(4, 2)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect(attrSubsets(14, 1).length).toBe(14);
    expect(attrSubsets(14, 2).length).toBe(91);
    expect(attrSubsets(14, 3).length).toBe(364);
  });
});

describe('totalVariation on a hand-computed table', () => {
  // real: (0,0),(0,1),(1,1),(1,1); synth: (0,0),(0,0),(1,0),(1,1)
  const real = makeCodeTable(['a', 'b'], [2, 2], [Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 1, 1])]);
  const synth = makeCodeTable(['a', 'b'], [2, 2], [Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 0, 0, 1])]);
  it('matches the hand computation', () => {
    const s = totalVariation(real, synth, 2);
    // a: identical -> 0. b: real (1/4, 3/4), synth (3/4, 1/4) -> 1/2.
    // ab: real (1/4,1/4,0,1/2), synth (1/2,0,1/4,1/4) -> (1/4+1/4+1/4+1/4)/2 = 1/2.
    expect(s.marginals.map((m) => m.tv)).toEqual([0, 0.5, 0.5]);
    expect(s.byWay[0]).toEqual({ avg: 0.25, max: 0.5, count: 2 });
    expect(s.byWay[1]).toEqual({ avg: 0.5, max: 0.5, count: 1 });
  });
  it('is zero for identical tables and 1 for disjoint supports', () => {
    expect(totalVariation(real, real, 2).byWay[1].max).toBe(0);
    const other = makeCodeTable(['a', 'b'], [2, 2], [Int32Array.from([1]), Int32Array.from([0])]);
    const only00 = makeCodeTable(['a', 'b'], [2, 2], [Int32Array.from([0]), Int32Array.from([0])]);
    expect(totalVariation(only00, other, 2).byWay[1].max).toBe(1);
  });
  it('tvOfCounts normalises by different totals', () => {
    expect(tvOfCounts([2, 2], 4, [1, 3], 4)).toBeCloseTo(0.25, 15);
    expect(tvOfCounts([1, 1], 2, [10, 10], 20)).toBe(0);
  });
  it('planted fault: a fault that swaps one synthetic cell is detected', () => {
    const faulty = makeCodeTable(['a', 'b'], [2, 2], [Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 1, 0])]);
    expect(totalVariation(real, faulty, 2).marginals[2].tv).toBeGreaterThan(0);
  });
});

describe('parseCodeCsv', () => {
  const domain = parseDomainJson('{"x": 3, "y": 2}', 'd.json');
  it('reads columns in domain order whatever the header order', () => {
    const t = parseCodeCsv('\uFEFFy,x\r\n1,2\n0,0\n\n', domain, 'f.csv');
    expect(t.rows).toBe(2);
    expect([...t.data[0]]).toEqual([2, 0]);
    expect([...t.data[1]]).toEqual([1, 0]);
  });
  const cases: [string, RegExp][] = [
    ['x,y\n1,2\n', /f\.csv: line 2 column y: value 2 outside \[0,2\)/],
    ['x,y\n0,0\n1,a\n', /f\.csv: line 3 column y: value "a" is not an integer code/],
    ['x,y\n0\n', /line 2 has 1 fields, expected 2/],
    ['x,z\n0,0\n', /line 1: columns/],
    ['x,y\n', /no rows/],
    ['', /empty file/],
  ];
  for (const [text, re] of cases) {
    it(`rejects ${JSON.stringify(text)} with InvalidData`, () => {
      try {
        parseCodeCsv(text, domain, 'f.csv');
        expect.unreachable();
      } catch (e) {
        expect(isFedsynthError(e) && e.code).toBe('INVALID_DATA');
        expect((e as Error).message).toMatch(re);
      }
    });
  }
  it('rejects bad domains with InvalidDomain', () => {
    for (const text of ['[1]', '{"a": 0}', '{"a": 1.5}', '{}', 'nope']) {
      expect(() => parseDomainJson(text, 'd.json')).toThrow(/domain d\.json/);
    }
  });
});

describe('cross-check against the reference scorer on Adult', () => {
  const adult = join(ROOT, 'data/adult.csv');
  const domainFile = join(ROOT, 'data/adult-domain.json');
  it.skipIf(!existsSync(REF))('prints the same JSON line as tvscore.mjs for a perturbed copy', async () => {
    const domain = parseDomainJson(readFileSync(domainFile, 'utf8'), domainFile);
    const real = parseCodeCsv(readFileSync(adult, 'utf8'), domain, adult);
    // Perturb: each row with probability ~1/4 gets one column redrawn uniformly; drop 1000 rows.
    const rng = seededRandomSource('eval-test', 'perturb');
    const lines = [domain.columns.join(',')];
    for (let r = 1000; r < real.rows; r++) {
      const cells = real.data.map((col) => col[r]);
      if (uniformInt(rng, 4) === 0) {
        const c = uniformInt(rng, cells.length);
        cells[c] = uniformInt(rng, domain.sizes[c]);
      }
      lines.push(cells.join(','));
    }
    const dir = mkdtempSync(join(tmpdir(), 'fedsynth-tv-'));
    const synthFile = join(dir, 'synth.csv');
    writeFileSync(synthFile, lines.join('\n') + '\n');
    const synth = parseCodeCsv(readFileSync(synthFile, 'utf8'), domain, synthFile);
    const ours = JSON.stringify(tvScoreRecord(totalVariation(real, synth, 3), real.rows, synth.rows));
    // The reference scorer runs as a child process without blocking this worker (see runCommand).
    const ref = (await runCommand(process.execPath, [REF, '--real', adult, '--synth', synthFile, '--domain', domainFile])).trim();
    expect(ours).toBe(ref);
    expect(JSON.parse(ours).tv3_avg).toBeGreaterThan(0);
  });
});
