// Renders an evaluation report for a small slice of Adult and opens it in headless Chromium:
// the screenshot must be a non-trivial PNG and the dumped DOM must hold the rendered SVG charts.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { selectRows } from '../shared/eval/CodeTable.js';
import { buildReportJson } from '../shared/eval/buildReportJson.js';
import { evaluateParty } from '../shared/eval/evaluateParty.js';
import { parseCodeCsv } from '../shared/eval/parseCodeCsv.js';
import { parseDomainJson } from '../shared/eval/parseDomainJson.js';
import { renderReportHtml } from '../shared/eval/renderReportHtml.js';
import { runCommand } from './support/runCommand.js';

const ROOT = new URL('../', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium'; // installed by scripts/ensure-chromium.sh

function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'fedsynth-chromium-'));
  return runCommand(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, ...args],
    { timeoutMs: 60_000 },
  );
}

describe('evaluation report', () => {
  const domainFile = join(ROOT, 'data/adult-domain.json');
  const domain = parseDomainJson(readFileSync(domainFile, 'utf8'), domainFile);
  const adult = parseCodeCsv(readFileSync(join(ROOT, 'data/adult.csv'), 'utf8'), domain, 'adult.csv');
  const train = selectRows(adult, Array.from({ length: 3000 }, (_, i) => i));
  const holdout = selectRows(adult, Array.from({ length: 3000 }, (_, i) => 3000 + i));
  // "Synthetic": training rows with one column in three redrawn uniformly (seeded).
  const rng = seededRandomSource('report-test', 'synth');
  const synth = selectRows(train, Array.from({ length: 3000 }, (_, i) => i));
  for (let r = 0; r < synth.rows; r++) {
    for (let c = 0; c < synth.columns.length; c++) if (uniformInt(rng, 3) === 0) synth.data[c][r] = uniformInt(rng, synth.sizes[c]);
  }
  const evaluation = evaluateParty({ train, holdout, synth, target: 'income>50K', seed: 'report-test' });
  const report = buildReportJson({
    title: 'Adult slice: evaluation report',
    evaluation,
    privacySpent: { rho: 0.0417, epsilon: 1, delta: 1e-9 },
    parameters: { mechanism: 'test-perturbation', parties: 3, seed: 'report-test' },
  });
  const html = renderReportHtml(report);

  it('is self-contained: no scripts, no external URLs', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:|\/\/)/i);
    expect(html).not.toMatch(/url\(/i);
    expect(JSON.parse(JSON.stringify(report)).fidelity.tv[2].count).toBe(364);
  });

  it('says what it could not evaluate instead of failing', () => {
    const e = evaluateParty({ train, synth, seed: 'report-test', maxWay: 2 });
    const page = renderReportHtml(buildReportJson({ evaluation: e }));
    expect(page).toContain('no target column');
    expect(page).toContain('need a holdout');
    expect(page).toContain('No privacy accounting');
  });

  it.skipIf(!existsSync(CHROMIUM))('renders in headless Chromium with its SVG charts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsynth-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, html);
    writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
    const png = join(dir, 'report.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,2000', `file://${file}`]);
    expect(existsSync(png)).toBe(true);
    const bytes = readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(statSync(png).size).toBeGreaterThan(50_000); // a blank 1280x2000 page compresses to a few KB
    const dom = await chromium(['--dump-dom', `file://${file}`]);
    const svgs = dom.match(/<svg /g) ?? [];
    expect(svgs.length).toBe(14 + 3 + 2 + 2); // distributions, heatmaps, TV charts, privacy charts
    expect((dom.match(/<rect /g) ?? []).length).toBeGreaterThan(1000);
    expect(dom).toContain('Privacy spent');
    if (process.env.FEDSYNTH_KEEP_REPORT) writeFileSync(process.env.FEDSYNTH_KEEP_REPORT, bytes);
  });
});
