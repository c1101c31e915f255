// A normal `fedsynth simulate` shutdown is orderly: no agent handles a coordinator message after its
// store closed (once: many "The database connection is not open" / "error handling coordinator message").
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { runSimulation } from '../simulation/runSimulation.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-sim-shutdown-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('simulate stops its agents without one error line (MST, 3 parties, 300,000 rows delivered in chunks)', async () => {
  const domain = Domain.fromJson(JSON.parse(readFileSync('data/adult-domain.json', 'utf8')) as Record<string, number>);
  const text = readFileSync('data/adult.csv', 'utf8').split('\n').slice(0, 2001).join('\n') + '\n';
  const lines: { level: number; msg: string; err?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string; err?: string });
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const { status } = await runSimulation({
    table: EncodedTable.fromCsv(text, domain),
    domain,
    parties: 3,
    split: parsePartySplit('random'),
    splitText: 'random',
    epsilon: 1,
    delta: 1e-9,
    mechanism: 'mst',
    aggregation: 'plain',
    rows: 300_000,
    seed: '1',
    out: join(root, 'out'),
    drop: 0,
    colluders: 0,
    log,
  });
  expect(status.state).toBe('done');
  await new Promise((r) => setTimeout(r, 200)); // late log lines of the stopped agents, if any
  expect(lines.length).toBeGreaterThan(0);
  const errors = lines.filter((l) => l.level >= 50 || /database connection is not open/.test(`${l.msg} ${l.err ?? ''}`));
  expect(errors.map((l) => `${l.msg}: ${l.err ?? ''}`)).toEqual([]);
}, 120_000);
