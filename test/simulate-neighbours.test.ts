// `fedsynth simulate --aggregation masking --neighbours K`: a SecAgg+ study (8 parties, k = 6)
// gives byte-identical synthetic data to the full graph, and the spec carries the k in force.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { silentLogger } from '../platform/logging/logging.js';
import { runSimulation } from '../simulation/runSimulation.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-sim-neighbours-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('simulate with k = 6 neighbours of 8 parties equals the full graph bit for bit (MST, first 4000 Adult rows)', async () => {
  const domain = Domain.fromJson(JSON.parse(readFileSync('data/adult-domain.json', 'utf8')) as Record<string, number>);
  const text = readFileSync('data/adult.csv', 'utf8').split('\n').slice(0, 4001).join('\n') + '\n';
  const table = EncodedTable.fromCsv(text, domain);
  const csv: Buffer[] = [];
  for (const neighbours of [6, 0]) {
    const out = join(root, `k${neighbours}`);
    const { status } = await runSimulation({
      table,
      domain,
      parties: 8,
      split: parsePartySplit('random'),
      splitText: 'random',
      epsilon: 1,
      delta: 1e-9,
      mechanism: 'mst',
      aggregation: 'masking',
      rows: 500,
      seed: '1',
      out,
      drop: 0,
      colluders: 0,
      neighbours,
      log: silentLogger(),
    });
    expect(status.spec?.neighbours).toBe(neighbours); // 0: full graph (automatic for 8 parties)
    csv.push(readFileSync(join(out, 'synthetic.csv')));
  }
  expect(csv[0].length).toBeGreaterThan(0);
  expect(csv[0].equals(csv[1])).toBe(true);
}, 120_000);
