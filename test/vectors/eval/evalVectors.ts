// evalVectors: seeded evaluation inputs (tables of a random Bayesian network, with duplicate rows,
// ordinal columns and unequal sides) and the figures the local evaluation and the risk attacks give.
import { seededRandomSource } from '../../../shared/dp/random/RandomSource.js';
import { randomBayesNet, sampleBayesNet } from '../../../shared/data/RandomBayesNet.js';
import { makeCodeTable, type CodeTable } from '../../../shared/eval/CodeTable.js';
import { tableChunks } from '../../../shared/eval/RowChunks.js';
import { evaluateSynthetic } from '../../../shared/eval/evaluateSynthetic.js';
import { evaluateRisk } from '../../../shared/eval/risk/evaluateRisk.js';

function table(columns: number, sizes: { min: number; max: number }, rows: number, stream: string): CodeTable {
  const net = randomBayesNet({ columns, sizes, maxParents: 2, strength: 1 }, seededRandomSource('eval-vectors', `net/${columns}/${sizes.min}-${sizes.max}`));
  const t = sampleBayesNet(net, rows, seededRandomSource('eval-vectors', stream));
  return makeCodeTable(net.domain.attrs, net.domain.shape, t.columns.map((c) => Int32Array.from(c)));
}

/** `t` with its first `k` rows appended again (duplicate rows). */
function withRepeats(t: CodeTable, k: number): CodeTable {
  return makeCodeTable(t.columns, t.sizes, t.data.map((col) => {
    const out = new Int32Array(t.rows + k);
    out.set(col);
    out.set(col.subarray(0, k), t.rows);
    return out;
  }));
}

/** The figures without their timings (`seconds` fields), as plain JSON. */
function figures(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v: unknown) => (k === 'seconds' ? undefined : v)));
}

/** Every case's figures, by name. */
export function evalVectors(): Record<string, unknown> {
  const wide = { min: 3, max: 12 };
  const train = table(10, wide, 3000, 'train');
  const control = table(10, wide, 1200, 'control');
  const synth = table(10, wide, 2500, 'synth');
  const ordinal = train.columns.map((_, c) => c % 3 === 0);
  const binTrain = table(12, { min: 2, max: 2 }, 2000, 'bin-train');
  const binControl = table(12, { min: 2, max: 2 }, 2600, 'bin-control');
  const binSynth = withRepeats(table(12, { min: 2, max: 2 }, 1500, 'bin-synth'), 200);
  const out: Record<string, unknown> = {
    riskFresh: figures(evaluateRisk(train, control, synth, { seed: 'v1', attacks: 400, ordinal })),
    riskLeaky: figures(evaluateRisk(train, control, withRepeats(train, 700), { seed: 'v2', attacks: 300, ordinal })),
    riskDuplicates: figures(evaluateRisk(binTrain, binControl, binSynth, { seed: 'v3', attacks: 300 })),
  };
  for (const [name, o] of [
    ['synthetic', { control: control.data, controlAsHoldout: false }],
    ['syntheticHoldout', { control: control.data, controlAsHoldout: true }],
    ['syntheticNoControl', { control: null, controlAsHoldout: false }],
  ] as const) {
    out[name] = figures(
      evaluateSynthetic({
        columns: train.columns,
        sizes: train.sizes,
        schema: null,
        synthetic: tableChunks(withRepeats(synth, 300), 700),
        rows: train.data,
        control: o.control,
        controlAsHoldout: o.controlAsHoldout,
        target: train.columns[train.columns.length - 1],
        seed: `v/${name}`,
        maxRows: 1000,
        attacks: 250,
        maxAttackedRows: 2000,
        party: 'party-1',
      }),
    );
  }
  return out;
}
