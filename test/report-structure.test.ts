// report.html checked in headless Chromium (the system /usr/bin/chromium through playwright-core):
// structure, not pixels — every chart has axis labels and, where needed, a legend; category charts
// name every category from the schema; no label overlaps another or is clipped by its chart; the
// one-page summary fits an A4 page; risk figures stand beside their control-rate reference.
// Screenshots go to a temporary directory (FEDSYNTH_KEEP_REPORT_DIR keeps them elsewhere).
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRawTables } from '../cli/evaluation/loadRawTables.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { selectRows } from '../shared/eval/CodeTable.js';
import { buildReportJson } from '../shared/eval/buildReportJson.js';
import type { EvaluationReport } from '../shared/eval/EvaluationReport.js';
import { evaluateParty } from '../shared/eval/evaluateParty.js';
import { renderReportHtml } from '../shared/eval/renderReportHtml.js';
import type { AttackRisk, RiskFigures } from '../shared/eval/RiskFigures.js';
import { codeLabels } from '../shared/schema/codeLabels.js';

const ROOT = new URL('../', import.meta.url).pathname;
const CHROMIUM = '/usr/bin/chromium'; // installed by scripts/ensure-chromium.sh (scripts/test.sh runs it)

const attack = (attackRate: number, controlRate: number, risk: number, ci: [number, number]): AttackRisk => ({
  risk,
  ci,
  confidence: 0.95,
  attack: { successes: Math.round(attackRate * 500), attacks: 500, rate: attackRate },
  control: { successes: Math.round(controlRate * 500), attacks: 500, rate: controlRate },
  baseline: { successes: 3, attacks: 500, rate: 0.006 },
});

/** Risk figures shaped as the risk evaluation fills them (values made up for the rendering test). */
function riskFigures(party: string | null, scope: RiskFigures['scope']): RiskFigures {
  return {
    scope,
    party,
    trainRows: 3000,
    controlRows: 1000,
    singlingOut: attack(0.031, 0.027, 0.004, [0, 0.021]),
    linkability: attack(0.052, 0.05, 0.002, [0, 0.03]),
    inference: { ...attack(0.61, 0.6, 0.025, [0, 0.08]), column: 'income', perColumn: [] },
    mia: { auc: 0.512, ci: [0.49, 0.53], method: 'density-ratio', members: 1000, nonMembers: 1000 },
    exactMatch: { rate: 0.114, controlRate: 0.109, synthRows: 3000 },
    dcr: { rate: 0.2, controlRate: 0.19, synthRows: 3000 },
    notes: [],
  };
}

function buildReport(): EvaluationReport {
  const schemaFile = join(ROOT, 'data/adult-raw.schema.json');
  const t = loadRawTables(schemaFile, { real: join(ROOT, 'data/adult-raw.csv') });
  const train = selectRows(t.real, Array.from({ length: 3000 }, (_, i) => i));
  const holdout = selectRows(t.real, Array.from({ length: 3000 }, (_, i) => 3000 + i));
  // "Synthetic": training rows with one cell in three redrawn uniformly (seeded).
  const rng = seededRandomSource('report-structure', 'synth');
  const synth = selectRows(train, Array.from({ length: 3000 }, (_, i) => i));
  for (let r = 0; r < synth.rows; r++) {
    for (let c = 0; c < synth.columns.length; c++) if (uniformInt(rng, 3) === 0) synth.data[c][r] = uniformInt(rng, synth.sizes[c]);
  }
  const categorical = t.schema.columns.map((c) => c.type === 'categorical');
  const evaluation = evaluateParty({ train, holdout, synth, target: 'income', seed: 'report-structure', categorical });
  return buildReportJson({
    title: 'Adult slice: report structure',
    evaluation,
    labels: codeLabels(t.schema),
    privacySpent: { rho: 0.0417, epsilon: 1, delta: 1e-9 },
    parameters: { mechanism: 'test-perturbation', seed: 'report-structure' },
    risk: { risk: riskFigures(null, 'aggregate'), riskPerSilo: [riskFigures('hospital-a', 'silo'), riskFigures('hospital-b', 'silo')] },
  });
}

interface Box {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

interface ChartInfo {
  readonly kind: string;
  readonly series: number;
  readonly categories: number;
  readonly label: string;
  readonly box: { x: number; y: number; w: number; h: number };
  readonly xTitles: number;
  readonly yTitles: number;
  readonly xTicks: string[];
  readonly yTicks: string[];
  readonly legends: number;
  readonly legendEntries: number;
  readonly texts: Box[];
}

/** Reads every chart's structure and the boxes of its rendered labels. */
async function charts(page: Page): Promise<ChartInfo[]> {
  return page.$$eval('svg.chart', (svgs) =>
    svgs.map((svg) => {
      const own = (el: { readonly firstChild: { readonly nodeValue: string | null } | null }): string => (el.firstChild?.nodeValue ?? '').trim();
      const r = svg.getBoundingClientRect();
      return {
        kind: svg.getAttribute('data-chart') ?? '',
        series: Number(svg.getAttribute('data-series')),
        categories: Number(svg.getAttribute('data-categories') ?? 0),
        label: svg.getAttribute('aria-label') ?? '',
        box: { x: r.x, y: r.y, w: r.width, h: r.height },
        xTitles: svg.querySelectorAll('.axis-title.x').length,
        yTitles: svg.querySelectorAll('.axis-title.y').length,
        xTicks: [...svg.querySelectorAll('.tick.x')].map(own),
        yTicks: [...svg.querySelectorAll('.tick.y')].map(own),
        legends: svg.querySelectorAll('.legend').length,
        legendEntries: svg.querySelectorAll('.legend .legend-label').length,
        texts: [...svg.querySelectorAll('text')].map((t) => {
          const b = t.getBoundingClientRect();
          return { text: own(t), x: b.x, y: b.y, w: b.width, h: b.height };
        }),
      };
    }),
  );
}

const overlap = (a: Box, b: Box): number => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

/** Pairs of labels that overlap (more than 1 px²), and labels reaching outside their chart. */
function layoutProblems(c: ChartInfo): string[] {
  const out: string[] = [];
  const t = c.texts.filter((b) => b.w > 0 && b.h > 0);
  for (let i = 0; i < t.length; i++) {
    const b = t[i];
    if (b.x < c.box.x - 0.5 || b.y < c.box.y - 0.5 || b.x + b.w > c.box.x + c.box.w + 0.5 || b.y + b.h > c.box.y + c.box.h + 0.5) {
      out.push(`${c.label}: "${b.text}" is clipped by the chart`);
    }
    for (let j = i + 1; j < t.length; j++) if (overlap(b, t[j]) > 1) out.push(`${c.label}: "${b.text}" overlaps "${t[j].text}"`);
  }
  return out;
}

describe.skipIf(!existsSync(CHROMIUM))('report.html in headless Chromium (structure, not pixels)', () => {
  const report = buildReport();
  const dir = process.env.FEDSYNTH_KEEP_REPORT_DIR ?? mkdtempSync(join(tmpdir(), 'fedsynth-report-structure-'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReportHtml(report));
  let browser: Browser;
  let page: Page;
  let found: ChartInfo[];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    await page.goto(`file://${file}`);
    found = await charts(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('has every section and the expected number of charts', async () => {
    const sections = await page.$$eval('main > section', (s) => s.map((e) => e.id));
    expect(sections).toEqual(['summary', 'fidelity', 'distributions', 'subgroups', 'correlations', 'marginals', 'utility', 'risk', 'privacy', 'spent', 'parameters', 'notes']);
    const m = report.columns.length;
    expect(found.filter((c) => c.kind === 'category').length).toBe(m);
    expect(found.filter((c) => c.kind === 'heatmap').length).toBe(3);
    expect(found.filter((c) => c.kind === 'histogram').length).toBe(4); // 2-way and 3-way TV, DCR, NNDR
    expect(found.length).toBe(m + 3 + 4);
  });

  it('titles both axes of every chart and names every category from the schema', () => {
    for (const c of found) {
      if (c.kind === 'heatmap') {
        expect(c.xTicks, c.label).toEqual(report.columns.map((n) => (n.length > 16 ? `${n.slice(0, 15)}…` : n)));
        expect(c.yTicks, c.label).toEqual(c.xTicks);
        continue;
      }
      expect(c.xTitles, `${c.label} x-axis title`).toBe(1);
      expect(c.yTitles, `${c.label} y-axis title`).toBe(1);
      expect(c.yTicks.length, `${c.label} y ticks`).toBeGreaterThanOrEqual(2);
      if (c.kind === 'category') {
        const labels = report.labels[report.columns.indexOf(c.label)];
        expect(c.categories).toBe(labels.length);
        expect(c.yTicks, c.label).toEqual(labels.map((l) => (l.length > 22 ? `${l.slice(0, 21)}…` : l)));
        expect(c.xTicks.length).toBe(3);
      }
    }
    const workclass = found.find((c) => c.label === 'workclass');
    expect(workclass?.yTicks).toContain('Self-emp-not-inc');
  });

  it('gives a legend to every chart with more than one series or a colour scale', () => {
    for (const c of found) {
      if (c.kind === 'heatmap') expect(c.legends, `${c.label} colour legend`).toBe(1);
      if (c.series > 1) expect(c.legendEntries, `${c.label} legend entries`).toBe(c.series);
    }
  });

  it('has no overlapping or clipped label in any chart', () => {
    const problems = found.flatMap(layoutProblems);
    expect(problems).toEqual([]);
    expect(found.reduce((s, c) => s + c.texts.length, 0)).toBeGreaterThan(300);
  });

  it('opens with a summary a steward can sign: one line per criterion with value, reference, threshold and verdict', async () => {
    const rows = await page.$$eval('#summary tr.criterion', (trs) => trs.map((tr) => ({ id: tr.getAttribute('data-criterion'), verdict: tr.getAttribute('data-verdict'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '') })));
    expect(rows.map((r) => r.id)).toEqual(report.summary.criteria.map((c) => c.id));
    expect(rows.length).toBe(11);
    for (const r of rows) {
      expect(['pass', 'review', 'fail']).toContain(r.verdict);
      expect(r.cells).toHaveLength(5);
      for (const cell of r.cells) expect(cell.length, `${r.id}: ${JSON.stringify(r.cells)}`).toBeGreaterThan(1);
      expect(r.cells[3], `${r.id} threshold`).toMatch(/pass/);
    }
    expect(await page.textContent('#summary .sign')).toContain('Data steward');
    // Exact copies: shown with its control rate and its threshold, never alone.
    const exact = rows.find((r) => r.id === 'exactMatch');
    expect(exact?.cells.slice(1, 4)).toEqual(['11.4%', 'control rate 10.9%', 'excess over the control rate: pass ≤ 1 pt, review ≤ 3 pt, fail above']);
    const card = await page.textContent('#privacy [data-criterion="exactMatch"]');
    expect(card).toContain('11.4%');
    expect(card).toContain('control rate 10.9%');
    expect(card).toContain('Threshold:');
  });

  it('fits the summary on one printed A4 page', async () => {
    const print = await browser.newPage({ viewport: { width: 718, height: 1047 } }); // A4 less 10 mm margins, at 96 dpi
    await print.goto(`file://${file}`);
    await print.emulateMedia({ media: 'print' });
    const bottom = await print.$eval('#summary', (s) => s.getBoundingClientRect().bottom);
    await print.close();
    expect(bottom).toBeLessThanOrEqual(1047);
  });

  it('shows each risk figure with its control-rate reference and meaning, aggregated and per silo', async () => {
    const risk = await page.$$eval('#risk > table.risk tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
    expect(risk.map((r) => r[0])).toEqual(['Singling out', 'Linkability', 'Inference (worst column: income)', 'Membership inference', 'Exact copies', 'Distance to closest record']);
    expect(risk[0].slice(1, 4)).toEqual(['0.004 [0.000, 0.021]', '3.1% (16/500)', '2.7% (14/500)']);
    for (const r of risk) expect(r[6].split(' ').length, `meaning of ${r[0]}`).toBeGreaterThan(8);
    const silos = await page.$$eval('#risk h3 + table tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')?.textContent));
    expect(silos).toEqual(['hospital-a', 'hospital-b']);
    // Each silo's figures in full, with their own control rates and verdicts.
    const siloRows = await page.$$eval('#risk details table.risk tbody tr', (trs) => trs.map((tr) => tr.querySelector('td:nth-child(4)')?.textContent));
    expect(siloRows.length).toBe(12);
    expect(siloRows[0]).toBe('2.7% (14/500)');
  });

  it('takes screenshots (full page and summary) into the temporary directory', async () => {
    const full = join(dir, 'report.png');
    const summary = join(dir, 'summary.png');
    await page.screenshot({ path: full, fullPage: true });
    await page.locator('#summary').screenshot({ path: summary });
    for (const f of [full, summary]) expect(statSync(f).size).toBeGreaterThan(30_000);
  });
});
