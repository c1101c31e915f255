// Tests of `fedsynth evaluate --schema`: raw-value CSVs encoded with the consortium schema, the report
// written, and the --domain/--schema choice enforced.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runMain } from '../../test/support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-eval-schema-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('evaluates raw CSVs under a schema and writes report.json/report.html', async () => {
  const lines = readFileSync('data/adult-raw.csv', 'utf8').split('\n');
  const real = join(root, 'real.csv');
  const synth = join(root, 'synth.csv');
  writeFileSync(real, lines.slice(0, 1501).join('\n') + '\n');
  writeFileSync(synth, [lines[0], ...lines.slice(1501, 2501)].join('\n') + '\n');
  const report = join(root, 'report');
  const r = await runMain(['evaluate', '--real', real, '--synth', synth, '--schema', 'data/adult-raw.schema.json', '--target', 'income', '--max-way', '2', '--report', report, '--epsilon', '1']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const line = JSON.parse(r.out) as { rows_real: number; rows_synth: number; tv1_avg: number };
  expect(line.rows_real).toBe(1500);
  expect(line.rows_synth).toBe(1000);
  // Two disjoint samples of the same data: 1-way TV is small (not a statistical claim, a sanity bound).
  expect(line.tv1_avg).toBeLessThan(0.1);
  const json = JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')) as { utility: { target: string }; privacySpent: { epsilon: number } };
  expect(json.utility.target).toBe('income');
  expect(json.privacySpent.epsilon).toBe(1);
  expect(existsSync(join(report, 'report.html'))).toBe(true);

  const both = await runMain(['evaluate', '--real', real, '--synth', synth, '--schema', 'data/adult-raw.schema.json', '--domain', 'data/adult-domain.json']);
  expect(both.code).toBe(64);
  expect((await runMain(['evaluate', '--real', real, '--synth', synth])).code).toBe(64);
});
