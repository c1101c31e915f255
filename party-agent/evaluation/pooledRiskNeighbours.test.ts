// The pooled risk release's sensitivity under the agent's real split: one record added to a silo's
// rows, both datasets split by ControlHoldout's own rule (k smallest keyed digests), the count vector
// of each (with and without singling-out families) compared. Seeded and deterministic (no
// false-positive rate: nothing is random at test time).
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { randomBayesNet, sampleBayesNet } from '../../shared/data/RandomBayesNet.js';
import { makeCodeTable, selectRows, type CodeTable } from '../../shared/eval/CodeTable.js';
import { oneSideSquaredChange, pooledRiskCounts, pooledRiskSensitivity } from '../../shared/eval/risk/pooledRiskCounts.js';
import { pooledSinglingOutFamilies } from '../../shared/eval/risk/pooledSinglingOut.js';
import { controlRowIndices } from './ControlHoldout.js';

const net = randomBayesNet({ columns: 6, sizes: { min: 3, max: 6 }, maxParents: 2, strength: 1 }, seededRandomSource('pooled-neighbours', 'net'));
const m = net.domain.attrs.length;

function sample(rows: number, stream: string): CodeTable {
  const t = sampleBayesNet(net, rows, seededRandomSource('pooled-neighbours', stream));
  return makeCodeTable(net.domain.attrs, net.domain.shape, t.columns.map((c) => Int32Array.from(c)));
}

function concat(a: CodeTable, b: CodeTable): CodeTable {
  return makeCodeTable(a.columns, a.sizes, a.data.map((col, c) => Int32Array.from([...col, ...b.data[c]])));
}

/** The silo's (training, control) split, as holdOutControl makes it. */
function split(rows: CodeTable, k: number): { train: CodeTable; control: CodeTable } {
  const control = Array.from(controlRowIndices({ rows: rows.rows, codes: rows.data.map((c) => Int32Array.from(c)), values: rows.data.map(() => null) }, k, 'control-seed'));
  const inControl = new Set(control);
  const train = Array.from({ length: rows.rows }, (_, i) => i).filter((i) => !inControl.has(i));
  return { train: selectRows(rows, train), control: selectRows(rows, control) };
}

/** The table's rows as one sorted string (a multiset key). */
function rowKeys(t: CodeTable): string {
  return Array.from({ length: t.rows }, (_, i) => t.data.map((c) => c[i]).join(',')).sort().join(';');
}

describe('pooled risk sensitivity under the control split', () => {
  const silo = sample(240, 'silo');
  const extra = sample(40, 'extra');
  // A leaky release (the silo's rows themselves, plus others): every attack succeeds on a row of the
  // silo, so a control row pushed into training moves every count it can.
  const synth = concat(silo, sample(200, 'other'));
  const k = 80;

  for (const F of [0, 4]) {
    it(`stays within pooledRiskSensitivity (F = ${F}) when a record is added${F === 0 ? ', though the one-side bound is exceeded' : ''}`, () => {
      const families = F > 0 ? pooledSinglingOutFamilies(synth, 'seed', F) : [];
      const before = split(silo, k);
      const base = pooledRiskCounts(before.train, before.control, synth, 's', families);
      let worst = 0;
      let shifted = 0;
      for (let r = 0; r < extra.rows; r++) {
        const after = split(concat(silo, selectRows(extra, [r])), k);
        if (rowKeys(after.control) !== rowKeys(before.control)) shifted++; // x went to control, a control row to training
        const v = pooledRiskCounts(after.train, after.control, synth, 's', families);
        let d2 = 0;
        for (let i = 0; i < v.length; i++) d2 += (v[i] - base[i]) ** 2;
        worst = Math.max(worst, Math.sqrt(d2));
      }
      // About k / n of the added records land in control (the case that moves two rows).
      expect(shifted).toBeGreaterThan(3);
      expect(worst).toBeLessThanOrEqual(pooledRiskSensitivity(m, F) + 1e-12);
      // The split's second move matters: the one-side bound sqrt(m + 2) is exceeded here (so planted,
      // pooledRiskSensitivity returning it fails the line above). With families this table's
      // singling-out block moves little, so only the bound is checked.
      if (F === 0) expect(worst).toBeGreaterThan(Math.sqrt(oneSideSquaredChange(m, F)));
    });
  }
});
