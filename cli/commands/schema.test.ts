// Tests: `fedsynth schema infer|check|domain` through the real CLI entry (main), exit codes and
// the leak warning on stderr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMain } from '../../test/support/captureCli.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fedsynth-cli-schema-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]): ReturnType<typeof runMain> => runMain(args);

describe('fedsynth schema', () => {
  it('infer proposes a valid schema and warns on stderr', async () => {
    const data = join(dir, 'd.csv');
    writeFileSync(data, 'city,n,x,day\nParis,1,0.5,2020-01-01\nRome,3,12.25,2020-01-20\n,2,7,2020-02-03\n');
    const r = await run('schema', 'infer', '--data', data, '--bins', '4');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/PRIVATE data leaks/);
    const s = parseSchema(JSON.parse(r.out));
    expect(s.columns.map((c) => c.type)).toEqual(['categorical', 'integer', 'numeric', 'date']);
    expect(s.columns[0]).toMatchObject({ categories: ['Paris', 'Rome'], missing: 'bin' });
    expect(s.columns[3]).toMatchObject({ granularity: 'day', min: '2020-01-01', max: '2020-02-03' });
  });

  it('infer --dp-rho: DP quantile edges over a public range, rho reported', async () => {
    const r = await run('schema', 'infer', '--data', 'data/adult-raw.csv', '--bins', '5', '--dp-rho', '0.5', '--public-range', 'age=0:100', 'hours-per-week=0:100', '--no-ledger');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/rho spent = 0\.5/);
    const s = parseSchema(JSON.parse(r.out));
    const age = s.columns.find((c) => c.name === 'age')!;
    expect(age.type).toBe('integer');
    const edges = (age as { edges: number[] }).edges;
    expect([edges[0], edges[edges.length - 1]]).toEqual([0, 100]);
    const bad = await run('schema', 'infer', '--data', 'data/adult-raw.csv', '--dp-rho', '0.5', '--public-range', 'workclass=0:1', '--no-ledger');
    expect(bad.code).toBe(64);
  });

  it('check: OK on the bundled Adult file; exit 65 naming line, column and value otherwise', async () => {
    const ok = await run('schema', 'check', '--schema', 'data/adult-raw.schema.json', '--data', 'data/adult-raw.csv');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/OK .* 32561 records/);
    const lines = readFileSync('data/adult-raw.csv', 'utf8').split('\n').slice(0, 6);
    lines[4] = lines[4]!.replace('Private', 'Pirate');
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, lines.join('\n') + '\n');
    const r = await run('schema', 'check', '--schema', 'data/adult-raw.schema.json', '--data', bad);
    expect(r.code).toBe(65);
    expect(r.out).toContain('line 5 column "workclass" value "Pirate"');
  });

  it('domain prints sizes; a broken schema file names the field path', async () => {
    const d = await run('schema', 'domain', '--schema', 'data/adult-raw.schema.json');
    expect(JSON.parse(d.out)).toMatchObject({ age: 9, workclass: 9, 'native-country': 43, income: 2 });
    const broken = join(dir, 's.json');
    writeFileSync(broken, JSON.stringify({ version: 1, columns: [{ name: 'a', type: 'numeric', edges: [1] }] }));
    const r = await run('schema', 'domain', '--schema', broken);
    expect(r.code).toBe(65);
    expect(r.err).toMatch(/INVALID_SCHEMA: .*columns\.0\.edges/);
  });
});
