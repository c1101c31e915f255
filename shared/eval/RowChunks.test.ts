// Tests of the synthetic rows read in chunks: every evaluation that reads them chunk by chunk gives the
// same figures, bit for bit, as from the whole table in memory; the attacked rows are bounded; the
// sparse sampleRows draws the same indices as the dense shuffle. Seeded and deterministic.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { randomBayesNet, sampleBayesNet } from '../data/RandomBayesNet.js';
import { makeCodeTable, selectRows, type CodeTable } from './CodeTable.js';
import { countChunkRows, selectChunkRows, tableChunks, type RowChunks } from './RowChunks.js';
import { evaluateSynthetic } from './evaluateSynthetic.js';
import { sampleRows } from './sampleRows.js';
import { pooledSinglingOutFamilies, type SinglingOutFamily } from './risk/pooledSinglingOut.js';
import type { Predicate } from './risk/PredicateBitsets.js';
import { pooledSubgroupFidelity, subgroupSets } from './pooledSubgroupFidelity.js';
import { marginalCounts } from './marginalCounts.js';

const net = randomBayesNet({ columns: 6, sizes: { min: 3, max: 9 }, maxParents: 2, strength: 1 }, seededRandomSource('chunks', 'net'));

function table(rows: number, stream: string): CodeTable {
  const t = sampleBayesNet(net, rows, seededRandomSource('chunks', stream));
  return makeCodeTable(net.domain.attrs, net.domain.shape, t.columns.map((c) => Int32Array.from(c)));
}

/** Chunks that record how many rows each handed out, and how many passes were made. */
function spied(t: CodeTable, rows: number): RowChunks & { readonly largest: number; readonly passes: number } {
  const inner = tableChunks(t, rows);
  const state = { largest: 0, passes: 0 };
  return {
    columns: inner.columns,
    sizes: inner.sizes,
    get largest() {
      return state.largest;
    },
    get passes() {
      return state.passes;
    },
    *chunks() {
      state.passes++;
      for (const c of inner.chunks()) {
        state.largest = Math.max(state.largest, c.rows);
        yield c;
      }
    },
  };
}

/** The evaluation's figures without its timings (seconds vary between runs). */
function figures(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'seconds' ? undefined : v)));
}

describe('sampleRows', () => {
  /** The dense partial Fisher-Yates it replaced (an array of n indices). */
  function dense(n: number, k: number, seed: string, stream: string): Int32Array {
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    if (k >= n) return idx;
    const rng = seededRandomSource(seed, stream);
    for (let i = 0; i < k; i++) {
      const j = i + uniformInt(rng, n - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, k).sort();
  }
  it('draws the same indices as the dense shuffle, holding only the moved positions', () => {
    for (const [n, k] of [[10, 3], [1000, 999], [5000, 50], [7, 7], [7, 9], [100_000, 5000]]) {
      expect(Array.from(sampleRows(n, k, 's', `t${n}`))).toEqual(Array.from(dense(n, k, 's', `t${n}`)));
    }
  });
});

describe('selectChunkRows', () => {
  it('picks the same rows as selectRows on the whole table, whatever the chunk size', () => {
    const t = table(500, 'select');
    const idx = sampleRows(500, 37, 's', 'x');
    for (const rows of [1, 7, 64, 500]) {
      const [all, some] = selectChunkRows(tableChunks(t, rows), [null, idx], 500);
      // The same codes (the columns are as narrow as the domain allows: Uint16 here).
      const codes = (x: CodeTable): number[][] => x.data.map((c) => [...c]);
      expect(codes(all)).toEqual(codes(t));
      expect(codes(some)).toEqual(codes(selectRows(t, idx)));
      expect(all.data[0]).toBeInstanceOf(Uint16Array);
    }
    expect(countChunkRows(tableChunks(t, 7))).toBe(500);
    expect(() => selectChunkRows(tableChunks(t, 7), [null], 499)).toThrow(/more than the 499 rows/);
  });
});

describe('evaluateSynthetic on chunks', () => {
  const train = table(600, 'train');
  const control = table(200, 'control');
  const synth = table(700, 'synth');
  const base = {
    columns: net.domain.attrs,
    sizes: net.domain.shape,
    schema: null,
    rows: train.data,
    control: control.data,
    target: net.domain.attrs[5],
    seed: 'eval',
    maxRows: 300,
    attacks: 150,
    party: 'p',
  };

  it('gives the same figures bit for bit as from the whole table, holding one chunk at a time', () => {
    const whole = evaluateSynthetic({ ...base, synthetic: tableChunks(synth) });
    const src = spied(synth, 64);
    const chunked = evaluateSynthetic({ ...base, synthetic: src });
    expect(figures(chunked)).toEqual(figures(whole));
    expect(src.largest).toBe(64);
    expect(whole.syntheticRowsAttacked).toBe(700);
    expect(whole.risk?.notes.join(' ')).not.toMatch(/seeded sample of/);
  });

  it('attacks a seeded sample above maxAttackedRows, the same one whatever the chunks', () => {
    const whole = evaluateSynthetic({ ...base, synthetic: tableChunks(synth), maxAttackedRows: 250 });
    const chunked = evaluateSynthetic({ ...base, synthetic: spied(synth, 33), maxAttackedRows: 250 });
    expect(figures(chunked)).toEqual(figures(whole));
    expect(whole.syntheticRowsAttacked).toBe(250);
    expect(whole.risk?.notes.join(' ')).toMatch(/seeded sample of 250 of the 700 synthetic rows/);
    expect(whole.syntheticRows).toBe(700);
    // The fidelity sample is the one drawn from all 700 rows, as without a cap.
    const uncapped = evaluateSynthetic({ ...base, synthetic: tableChunks(synth) });
    expect(figures(whole.evaluation)).toEqual(figures(uncapped.evaluation));
    expect(figures(whole.risk)).not.toEqual(figures(uncapped.risk));
  });
});

describe('the coordinator pooled pass on chunks', () => {
  const synth = table(3000, 'pooled');

  /** The families as defined row by row on the whole table (the implementation before chunks). */
  function familiesRowByRow(t: CodeTable, seed: string, families: number): SinglingOutFamily[] {
    const m = t.columns.length;
    const k = Math.min(3, m);
    const rng = seededRandomSource(seed, 'risk/pooled-singling-out/columns');
    const perFamily = Math.floor(4000 / Math.max(1, families));
    const out: SinglingOutFamily[] = [];
    const used = new Set<string>();
    for (let attempt = 0; out.length < families && attempt < 100 * families; attempt++) {
      const cols: number[] = [];
      while (cols.length < k) {
        const c = uniformInt(rng, m);
        if (!cols.includes(c)) cols.push(c);
      }
      cols.sort((a, b) => a - b);
      if (used.has(cols.join(','))) continue;
      used.add(cols.join(','));
      const counts = new Map<string, number>();
      const key = (r: number) => cols.map((c) => t.data[c][r]).join(',');
      for (let r = 0; r < t.rows; r++) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
      const family: Predicate[][] = [];
      for (let r = 0; r < t.rows && family.length < perFamily; r++) {
        if (counts.get(key(r)) === 1) family.push(cols.map((c) => ({ col: c, op: 'eq', value: t.data[c][r] })));
      }
      if (family.length > 0) out.push(family);
    }
    return out;
  }

  it('draws the singling-out families of the row-by-row definition, in one pass per round of triples', () => {
    for (const families of [1, 4, 9]) {
      const src = spied(synth, 100);
      const chunked = pooledSinglingOutFamilies(src, `pooled/s${families}`, families);
      expect(chunked).toEqual(familiesRowByRow(synth, `pooled/s${families}`, families));
      expect(chunked.length).toBe(families);
      expect(src.largest).toBe(100);
      expect(src.passes).toBeLessThanOrEqual(3);
    }
    // Few rows per cell: empty families are skipped and more triples drawn, as row by row, in one
    // pass (every candidate the draws allow fits FAMILY_SEARCH_CELLS; a pass per round of 4 before).
    const dense = table(20_000, 'dense');
    const denseSrc = spied(dense, 999);
    expect(pooledSinglingOutFamilies(denseSrc, 'd', 4)).toEqual(familiesRowByRow(dense, 'd', 4));
    expect(denseSrc.passes).toBe(1);
  });

  it('gives the subgroup figures of the whole table bit for bit', () => {
    const split = [0, 3];
    const sets = subgroupSets(synth.columns, split);
    const sums = sets.map((s) => marginalCounts(table(2000, 'real'), s).map((x, i) => x + ((i * 7) % 5) - 2));
    const whole = pooledSubgroupFidelity(synth, split, sums, 2);
    const src = spied(synth, 128);
    expect(pooledSubgroupFidelity(src, split, sums, 2)).toEqual(whole);
    expect(src.largest).toBe(128);
    expect(src.passes).toBe(1);
  });
});
