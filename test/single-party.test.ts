// A consortium of one: secure aggregation is refused at study creation with a clear error naming
// the field (a sum of one vector is that vector), and the same study in plain mode completes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { silentLogger } from '../platform/logging/logging.js';
import { runSimulation } from '../simulation/runSimulation.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-single-party-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const domain = Domain.fromJson(JSON.parse(readFileSync('data/adult-domain.json', 'utf8')) as Record<string, number>);
const table = EncodedTable.fromCsv(readFileSync('data/adult.csv', 'utf8').split('\n').slice(0, 2001).join('\n') + '\n', domain);

function run(aggregation: 'masking' | 'plain', out: string): ReturnType<typeof runSimulation> {
  return runSimulation({
    table,
    domain,
    parties: 1,
    split: parsePartySplit('random'),
    splitText: 'random',
    epsilon: 1,
    delta: 1e-9,
    mechanism: 'mst',
    aggregation,
    rows: 200,
    seed: '1',
    out: join(root, out),
    drop: 0,
    colluders: 0,
    log: silentLogger(),
  });
}

it('one party with masking is refused up front, naming the aggregation field', async () => {
  await expect(run('masking', 'masking')).rejects.toThrow(/aggregation.*at least 2 parties/);
});

it('one party in plain mode completes', async () => {
  await run('plain', 'plain');
  expect(readFileSync(join(root, 'plain', 'synthetic.csv'), 'utf8').trim().split('\n').length).toBe(201);
});
