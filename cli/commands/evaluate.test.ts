// Tests for `fedsynth evaluate`: output identical to the reference scorer, and clear errors
// (file, line, column; exit code 65) on a value that does not fit the domain.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMain } from '../../test/support/captureCli.js';
import { runCommand } from '../../test/support/runCommand.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const REF = join(ROOT, 'test/reference/tvscore.mjs'); // copy of ../shared/tools/tvscore.mjs

const run = (args: string[]) => runMain(args);

describe('fedsynth evaluate', () => {
  afterEach(() => vi.restoreAllMocks());
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-eval-cli-'));
  const domain = join(dir, 'd.json');
  writeFileSync(domain, JSON.stringify({ a: 3, b: 2, c: 4 }));
  const real = join(dir, 'real.csv');
  writeFileSync(real, 'a,b,c\n0,0,0\n1,1,3\n2,0,1\n2,1,2\n0,1,1\n');
  const synth = join(dir, 'synth.csv');
  writeFileSync(synth, 'c,b,a\n0,0,0\n3,1,1\n3,0,2\n2,1,2\n');

  it.skipIf(!existsSync(REF))('prints exactly the reference line', async () => {
    const r = await run(['evaluate', '--real', real, '--synth', synth, '--domain', domain]);
    expect(r.code).toBe(0);
    const ref = await runCommand(process.execPath, [REF, '--real', real, '--synth', synth, '--domain', domain]);
    expect(r.out).toBe(ref);
  });

  it('names file, line and column of an out-of-domain value and exits 65', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'a,b,c\n0,0,0\n1,2,0\n');
    const r = await run(['evaluate', '--real', real, '--synth', bad, '--domain', domain]);
    expect(r.code).toBe(65);
    expect(r.err).toContain('INVALID_DATA');
    expect(r.err).toContain(`synthetic ${bad}: line 3 column b: value 2 outside [0,2)`);
  });

  it('reports a missing file as NOT_FOUND', async () => {
    const r = await run(['evaluate', '--real', join(dir, 'nope.csv'), '--synth', synth, '--domain', domain]);
    expect(r.code).toBe(66);
    expect(r.err).toContain('nope.csv');
  });
});

describe('fedsynth evaluate --report', () => {
  it('writes report.json and report.html and still prints the TV line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsynth-eval-report-'));
    const domain = join(dir, 'd.json');
    writeFileSync(domain, JSON.stringify({ a: 3, b: 2, c: 4 }));
    const rows = (n: number, k: number) => Array.from({ length: n }, (_, i) => `${(i * k) % 3},${(i * (k + 1)) % 2},${(i * (k + 2)) % 4}`).join('\n');
    const real = join(dir, 'real.csv');
    const synth = join(dir, 'synth.csv');
    const hold = join(dir, 'hold.csv');
    writeFileSync(real, `a,b,c\n${rows(60, 1)}\n`);
    writeFileSync(synth, `a,b,c\n${rows(60, 2)}\n`);
    writeFileSync(hold, `a,b,c\n${rows(60, 5)}\n`);
    const out = join(dir, 'rep');
    const r = await run(['evaluate', '--real', real, '--synth', synth, '--domain', domain, '--holdout', hold, '--target', 'b', '--report', out, '--epsilon', '1', '--delta', '1e-9']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).rows_real).toBe(60);
    const { readFileSync } = await import('node:fs');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.privacySpent.epsilon).toBe(1);
    expect(report.utility.target).toBe('b');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
  });
});

describe('fedsynth evaluate --schema: continuous columns', () => {
  it('prints, and writes to report.json and report.html, the range-normalized Wasserstein distance of every continuous column', async () => {
    const { readFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(tmpdir(), 'fedsynth-eval-wasserstein-'));
    const schema = join(dir, 'schema.json');
    writeFileSync(schema, JSON.stringify({
      version: 1,
      columns: [
        { name: 'age', type: 'integer', edges: [0, 50, 100] },
        { name: 'sex', type: 'categorical', categories: ['F', 'M'] },
        { name: 'hours', type: 'numeric', edges: [0, 40, 80], decimals: 1 },
      ],
    }));
    const real = join(dir, 'real.csv');
    const synth = join(dir, 'synth.csv');
    // Same bins, other values inside them: age {10, 60} against {30, 60}: W1 10 / range 100; hours
    // {0, 40} against {20, 40}: W1 10 / range 80.
    writeFileSync(real, 'age,sex,hours\n10,F,0\n60,M,40\n');
    writeFileSync(synth, 'age,sex,hours\n30,F,20\n60,M,40\n');
    const out = join(dir, 'rep');
    const r = await run(['evaluate', '--real', real, '--synth', synth, '--schema', schema, '--max-way', '2', '--report', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const line = JSON.parse(r.out);
    expect(line.tv1_avg).toBe(0);
    expect(line.wasserstein).toEqual({ age: 0.1, hours: 0.125 });
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.fidelity.wasserstein).toEqual([
      { column: 'age', distance: 0.1, low: 0, high: 100, realValues: 2, syntheticValues: 2 },
      { column: 'hours', distance: 0.125, low: 0, high: 80, realValues: 2, syntheticValues: 2 },
    ]);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('id="wasserstein"');
    expect(html).toContain('<td>hours</td><td>0.12500</td>');
  });

  it('has no Wasserstein figures for integer codes (--domain)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsynth-eval-wasserstein-codes-'));
    const domain = join(dir, 'd.json');
    writeFileSync(domain, JSON.stringify({ a: 2 }));
    const f = join(dir, 'a.csv');
    writeFileSync(f, 'a\n0\n1\n');
    const r = await run(['evaluate', '--real', f, '--synth', f, '--domain', domain]);
    expect(JSON.parse(r.out).wasserstein).toBeUndefined();
  });
});

describe('fedsynth evaluate --privacy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-eval-privacy-'));
  const domain = join(dir, 'd.json');
  writeFileSync(domain, JSON.stringify({ a: 7, b: 5, c: 11, d: 3 }));
  // Deterministic, mostly distinct rows (a mixed congruential pattern).
  const rows = (n: number, k: number) => Array.from({ length: n }, (_, i) => `${(i * k) % 7},${(i * (k + 2)) % 5},${(i * i + k) % 11},${(i + k) % 3}`);
  const real = join(dir, 'real.csv');
  const control = join(dir, 'control.csv');
  writeFileSync(real, ['a,b,c,d', ...rows(300, 1)].join('\n') + '\n');
  writeFileSync(control, ['a,b,c,d', ...rows(300, 4)].join('\n') + '\n');

  it('prints the TV keys and every risk figure with its interval (a leaky release: the training rows)', async () => {
    const r = await run(['evaluate', '--real', real, '--control', control, '--synth', real, '--domain', domain, '--privacy', '--attacks', '200']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.rows_real).toBe(300);
    for (const k of ['singlingOut', 'linkability', 'inference']) {
      expect(typeof out[k].risk).toBe('number');
      expect(out[k].ci).toHaveLength(2);
      expect(out[k].ci[0]).toBeLessThanOrEqual(out[k].risk);
      expect(out[k].ci[1]).toBeGreaterThanOrEqual(out[k].risk);
    }
    expect(out.mia.auc).toBeGreaterThan(0.8); // the patterned control rows repeat some training rows
    expect(out.exactMatch.rate).toBe(1);
  });

  it('needs --control, and names file, line and column of a bad control value', async () => {
    const r1 = await run(['evaluate', '--real', real, '--synth', real, '--domain', domain, '--privacy']);
    expect(r1.code).not.toBe(0);
    expect(r1.err).toContain('--privacy needs --control');
    const bad = join(dir, 'bad-control.csv');
    writeFileSync(bad, 'a,b,c,d\n0,0,0,0\n1,1,11,0\n');
    const r2 = await run(['evaluate', '--real', real, '--control', bad, '--synth', real, '--domain', domain, '--privacy']);
    expect(r2.code).toBe(65);
    expect(r2.err).toContain(`control ${bad}: line 3 column c: value 11 outside [0,11)`);
  });
});
