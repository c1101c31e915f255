// Benchmark of the whole per-party evaluation on Adult-sized data: seconds per metric.
// Train = first half of Adult, holdout = second half, synthetic = all rows with one column in four redrawn.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './_projectRoot.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { selectRows } from '../shared/eval/CodeTable.js';
import { evaluateParty } from '../shared/eval/evaluateParty.js';
import { parseCodeCsv } from '../shared/eval/parseCodeCsv.js';
import { parseDomainJson } from '../shared/eval/parseDomainJson.js';
import { buildHammingIndex, hammingNeighbours } from '../shared/eval/hammingNeighbours.js';
import { totalVariation } from '../shared/eval/totalVariation.js';

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const root = projectRoot();
  const domain = parseDomainJson(readFileSync(join(root, 'data/adult-domain.json'), 'utf8'), 'adult-domain.json');
  let t = performance.now();
  const adult = parseCodeCsv(readFileSync(join(root, 'data/adult.csv'), 'utf8'), domain, 'adult.csv');
  const parseSeconds = (performance.now() - t) / 1000;
  const half = Math.floor(adult.rows / 2);
  const train = selectRows(adult, Array.from({ length: half }, (_, i) => i));
  const holdout = selectRows(adult, Array.from({ length: adult.rows - half }, (_, i) => half + i));
  const rng = seededRandomSource('bench-evaluate', 'synth');
  const synth = selectRows(adult, Array.from({ length: adult.rows }, (_, i) => i));
  for (let r = 0; r < synth.rows; r++) {
    if (uniformInt(rng, 4) === 0) {
      const c = uniformInt(rng, synth.columns.length);
      synth.data[c][r] = uniformInt(rng, synth.sizes[c]);
    }
  }
  t = performance.now();
  totalVariation(adult, synth, 3);
  const tvFull = (performance.now() - t) / 1000;
  t = performance.now();
  const e = evaluateParty({ train, holdout, synth, target: 'income>50K', seed: 'bench' });
  const total = (performance.now() - t) / 1000;
  emit({
    bench: 'evaluate',
    rows: { train: train.rows, holdout: holdout.rows, synth: synth.rows },
    parseSeconds: Math.round(parseSeconds * 1000) / 1000,
    tvAll364TriplesFullAdultSeconds: Math.round(tvFull * 1000) / 1000,
    totalSeconds: Math.round(total * 1000) / 1000,
    seconds: e.seconds,
  });
  // Exact nearest-neighbour search without query cap: all synthetic rows against the training half.
  t = performance.now();
  const cpu0 = process.cpuUsage();
  const idx = buildHammingIndex(train);
  hammingNeighbours(idx, synth, true);
  const cpu = process.cpuUsage(cpu0);
  emit({ bench: 'evaluate/nn-full', queries: synth.rows, reference: train.rows, seconds: Math.round(performance.now() - t) / 1000, cpuSeconds: Math.round((cpu.user + cpu.system) / 1000) / 1000 });
}
