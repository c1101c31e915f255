// renderPlanHtml: the privacy-utility plan page (plan.html) — fidelity, utility and risk against epsilon
// as inline SVG line charts with every tested epsilon labelled, and the numbers in a table.
import type { PlanPoint } from './PlanPoint.js';
import { esc, fmt, table } from './htmlFormat.js';
import { lineChart } from './svgCharts.js';

export interface PlanPageInput {
  readonly points: readonly PlanPoint[];
  /** What the curve was computed on (file name or generator description). */
  readonly source: string;
  readonly parties: number;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** The standalone HTML page: no script, no external resource. */
export function renderPlanHtml(input: PlanPageInput): string {
  const p = input.points;
  const x = p.map((q) => q.epsilon);
  const xTitle = 'epsilon (log scale)';
  const charts: string[] = [];
  charts.push(
    lineChart({
      title: 'Fidelity: mean total variation distance of k-way marginals (lower is better)',
      x,
      series: [
        { name: '2-way TV', colour: COLOURS[0], values: p.map((q) => q.tv2) },
        { name: '1-way TV', colour: COLOURS[1], values: p.map((q) => q.tv1) },
        { name: '3-way TV', colour: COLOURS[2], values: p.map((q) => q.tv3) },
      ],
      xTitle,
      yTitle: 'mean TV',
      labelFirst: true,
    }),
  );
  if (p.some((q) => q.utility !== null)) {
    const target = p.find((q) => q.utility !== null)?.utility?.target ?? '';
    charts.push(
      lineChart({
        title: `Utility: accuracy predicting ${target} on held-out real rows, trained on synthetic (TSTR) or real (TRTR) rows`,
        x,
        series: [
          { name: 'TSTR accuracy', colour: COLOURS[0], values: p.map((q) => q.utility?.tstrAccuracy ?? null) },
          { name: 'TRTR accuracy (reference)', colour: COLOURS[3], values: p.map((q) => q.utility?.trtrAccuracy ?? null) },
        ],
        xTitle,
        yTitle: 'accuracy',
        yMax: 1,
        labelFirst: true,
      }),
    );
  }
  charts.push(
    lineChart({
      title: 'Risk (Anonymeter, training vs control rows): 0 = no more than the control rows, 1 = every attack succeeds',
      x,
      series: [
        { name: 'singling out', colour: COLOURS[0], values: p.map((q) => q.risk.singlingOut) },
        { name: 'linkability', colour: COLOURS[1], values: p.map((q) => q.risk.linkability) },
        { name: 'inference', colour: COLOURS[2], values: p.map((q) => q.risk.inference) },
      ],
      xTitle,
      yTitle: 'risk',
      yMax: 1,
      labelFirst: true,
    }),
  );
  charts.push(
    lineChart({
      title: 'Membership inference AUC (0.5 = cannot tell training rows from control rows)',
      x,
      series: [
        { name: 'MIA AUC', colour: COLOURS[0], values: p.map((q) => q.risk.miaAuc) },
        { name: 'random guess', colour: '#999', values: p.map(() => 0.5) },
      ],
      xTitle,
      yTitle: 'AUC',
      yMax: 1,
      labelFirst: true,
    }),
  );
  const rows = p.map((q) => [
    String(q.epsilon),
    fmt(q.rho, 4),
    fmt(q.tv1),
    fmt(q.tv2),
    fmt(q.tv3),
    q.utility ? `${fmt(q.utility.tstrAccuracy)} / ${fmt(q.utility.trtrAccuracy)}` : 'n/a',
    fmt(q.risk.singlingOut),
    fmt(q.risk.linkability),
    fmt(q.risk.inference),
    fmt(q.risk.miaAuc),
    `${fmt(q.risk.exactMatchTrain)} / ${fmt(q.risk.exactMatchControl)}`,
  ]);
  const first = p[0];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fedsynth privacy-utility plan</title>
<style>
body{font-family:DejaVu Sans,Arial,sans-serif;max-width:1180px;margin:1.5em auto;color:#222}
.charts{display:flex;flex-wrap:wrap;gap:16px} figure{margin:0} figcaption{font-size:12px;max-width:560px}
.tick,.legend-label,.point-label{font-size:10px;fill:#333} .axis-title{font-size:11px;fill:#222}
table{border-collapse:collapse;font-size:12px;margin-top:1em} td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
</style></head><body>
<h1>Privacy-utility plan</h1>
<p>The ${esc(first?.mechanism ?? '')} mechanism run on <b>${esc(input.source)}</b> (stand-in data of the consortium's schema, not the parties' data)
split among ${input.parties} simulated parties, with the same exact per-party noise as a study, at each epsilon (delta ${first ? String(first.delta) : ''});
${first ? `${first.rows.train} rows used, ${first.rows.control} held back as control and test rows` : ''}. No budget of any party was spent.
The curve shows what each epsilon buys on data of this shape; on the real data the figures will differ, most for small or skewed silos.</p>
<div class="charts">${charts.join('\n')}</div>
${table(rows, ['epsilon', 'rho', '1-way TV', '2-way TV', '3-way TV', 'TSTR / TRTR accuracy', 'singling out', 'linkability', 'inference', 'MIA AUC', 'exact copies train / control'])}
</body></html>
`;
}
