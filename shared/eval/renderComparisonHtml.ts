// renderComparisonHtml: the model comparison as one self-contained HTML page — the budget and the
// ledgers first, then every model side by side (verdicts, fidelity, utility, risk, column charts).
import type { EvaluationReport } from './EvaluationReport.js';
import type { ComparisonReport } from './ComparisonReport.js';
import { badge, esc, fmt, pct, table } from './htmlFormat.js';
import type { AttackRisk } from './RiskFigures.js';
import { REPORT_CSS } from './renderReportHtml.js';
import { categoryBars } from './svgCharts.js';

const REAL = '#3b6fb6';
const MODEL_COLOURS = ['#e08a2c', '#4f9a6a', '#7a5fc4', '#c0392b', '#8c6d31'];

const eps = (x: number): string => Number(x.toPrecision(4)).toString();
const del = (x: number): string => x.toExponential(2);
const attack = (a: AttackRisk | null | undefined): string => (a ? `${fmt(a.risk)} [${fmt(a.ci[0])}, ${fmt(a.ci[1])}]` : 'n/a');

/** A table with one row per figure and one column per model (cells are escaped text, or HTML when marked). */
function sideBySide(r: ComparisonReport, rows: readonly { label: string; cell: (m: EvaluationReport) => string; html?: boolean }[]): string {
  const head = `<tr><th>figure</th>${r.models.map((m) => `<th>${esc(m.mechanism)}</th>`).join('')}</tr>`;
  const body = rows
    .map((row) => `<tr><td>${esc(row.label)}</td>${r.models.map((m) => `<td>${row.html ? row.cell(m.report) : esc(row.cell(m.report))}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="compare"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function budgetSection(r: ComparisonReport): string {
  const b = r.budget;
  const perModel = r.models.map((m) => [
    m.mechanism,
    `${eps(m.budget.epsilon)} / ${del(m.budget.delta)}`,
    `${eps(m.spent.epsilon)} / ${del(m.spent.delta)}`,
    fmt(m.spent.rho, 5),
    m.studyId,
    fmt(m.studySeconds, 1),
  ]);
  perModel.push([`all ${r.models.length} (basic composition)`, `${eps(b.combined.epsilon)} / ${del(b.combined.delta)}`, `${eps(r.models.reduce((s, m) => s + m.spent.epsilon, 0))} / ${del(r.models.reduce((s, m) => s + m.spent.delta, 0))}`, '', '', '']);
  const ledgerRows = r.ledgers.map((l) => [
    l.party,
    ...l.studies.map((s) => `${s.charges} charges${s.rdpCharges ? ` (${s.rdpCharges} RDP)` : ''}, epsilon ${eps(s.epsilon)} at ${del(s.delta)}`),
    `${eps(l.composedEpsilon)} at ${del(l.composedDelta)}`,
  ]);
  return `<section id="budget"><h2>Privacy budget, stated before anything was spent</h2>
<p class="${b.split === 'each' ? 'warn' : 'help'}">${esc(b.statement)}.</p>
${table(perModel, ['model', 'budget epsilon / delta', 'spent epsilon / delta (signed run.json)', 'rho (zCDP part)', 'study', 'study seconds'], (i) => (i === perModel.length - 1 ? 'overall' : ''))}
<h3>What each party's ledger was charged</h3>
${table(ledgerRows, ['party', ...r.models.map((m) => `${m.mechanism} study`), 'all charges composed'])}
<p class="help">Read back from each party's durable ledger after the run. Every study's charges composed (Renyi composition) and converted at that study's delta stay within its share; all charges together, composed and converted at the combined delta, stay within the combined cost above (basic composition is the looser of the two bounds; both hold). Each party's ledger capped the comparison at epsilon ${eps(b.ledgerCap.epsilon)} read at delta ${del(b.ledgerCap.delta)}.</p></section>`;
}

/** Renders the comparison as a complete HTML document (a string). */
export function renderComparisonHtml(r: ComparisonReport): string {
  const ways = [1, 2, 3];
  const tvRow = (w: number, key: 'avg' | 'max') => ({
    label: `${w}-way TV, ${key === 'avg' ? 'mean' : 'max'}`,
    cell: (m: EvaluationReport) => fmt(m.fidelity.tv.find((t) => t.way === w)?.[key] ?? null, 4),
  });
  const verdicts = sideBySide(r, [
    { label: 'overall', cell: (m) => badge(m.summary.verdict), html: true },
    ...r.models[0].report.summary.criteria.map((c) => ({
      label: c.label,
      cell: (m: EvaluationReport) => {
        const x = m.summary.criteria.find((y) => y.id === c.id);
        return x ? `${badge(x.verdict)} ${esc(x.value)}` : 'n/a';
      },
      html: true,
    })),
  ]);
  const fidelity = sideBySide(r, [
    ...ways.flatMap((w) => [tvRow(w, 'avg'), tvRow(w, 'max')]),
    ...ways.map((w) => ({ label: `${w}-way TV, holdout ceiling (control rows)`, cell: (m: EvaluationReport) => fmt(m.fidelity.tvHoldoutCeiling?.find((t) => t.way === w)?.avg ?? null, 4) })),
    { label: 'correlation gap (mean |Δ|)', cell: (m) => fmt(m.fidelity.correlation.meanAbsDifference) },
    { label: 'discriminator AUC (0.5 = indistinguishable)', cell: (m) => fmt(m.privacy.discriminatorAuc) },
  ]);
  const target = r.models[0].report.utility?.target;
  const utility = sideBySide(r, [
    { label: 'TSTR accuracy', cell: (m) => fmt(m.utility?.tstr.accuracy) },
    { label: 'TSTR macro-F1', cell: (m) => fmt(m.utility?.tstr.macroF1) },
    { label: 'TSTR AUC', cell: (m) => fmt(m.utility?.tstr.auc) },
    { label: 'TRTR accuracy (real-data reference)', cell: (m) => fmt(m.utility?.trtr.accuracy) },
    { label: 'TRTR AUC (real-data reference)', cell: (m) => fmt(m.utility?.trtr.auc) },
  ]);
  const risk = sideBySide(r, [
    { label: 'singling out risk [CI]', cell: (m) => attack(m.privacy.risk?.singlingOut) },
    { label: 'linkability risk [CI]', cell: (m) => attack(m.privacy.risk?.linkability) },
    { label: 'inference risk, worst column [CI]', cell: (m) => `${attack(m.privacy.risk?.inference)}${m.privacy.risk?.inference?.column ? ` (${m.privacy.risk.inference.column})` : ''}` },
    { label: 'membership inference AUC', cell: (m) => fmt(m.privacy.risk?.mia?.auc ?? m.privacy.miaAuc) },
    { label: 'exact copies: training vs control rows', cell: (m) => (m.privacy.risk?.exactMatch ? `${pct(m.privacy.risk.exactMatch.rate)} vs ${pct(m.privacy.risk.exactMatch.controlRate)}` : pct(m.privacy.exactMatchRate)) },
    { label: 'close to a record (DCR): training vs control rows', cell: (m) => (m.privacy.risk?.dcr ? `${pct(m.privacy.risk.dcr.rate)} vs ${pct(m.privacy.risk.dcr.controlRate)}` : 'n/a') },
    { label: 'mean NNDR', cell: (m) => fmt(m.privacy.nndrMean) },
  ]);
  const charts = r.columns
    .map((col, c) =>
      categoryBars(col, r.labels[c], [
        { name: 'real', colour: REAL, values: r.models[0].report.fidelity.distributions[c].real },
        ...r.models.map((m, i) => ({ name: m.mechanism, colour: MODEL_COLOURS[i % MODEL_COLOURS.length], values: m.report.fidelity.distributions[c].synth })),
      ]),
    )
    .join('');
  const files = table(
    r.models.map((m) => [m.mechanism, m.files.synthetic, m.files.model, `${m.files.signedOutputs} (fedsynth verify ${m.files.signedOutputs})`]),
    ['model', 'synthetic rows', 'model', 'signed outputs'],
  );
  const params = Object.entries(r.parameters).map(([k, v]) => [k, String(v)]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${REPORT_CSS}table.compare td:first-child{font-weight:600}</style></head>
<body><header><h1>${esc(r.title)}</h1><p>${r.models.length} models side by side; ${r.rows.training} training rows, ${r.rows.control} control rows held back, ${r.columns.length} columns</p></header>
<main>
${budgetSection(r)}
<section id="verdicts"><h2>Release verdicts</h2><p class="help">Each model judged by the same criteria and thresholds as the single-model report (report.json models[i].report.summary).</p>${verdicts}</section>
<section id="fidelity"><h2>Fidelity</h2><p class="help">Total variation over every 1-, 2- and 3-way marginal of the training rows (0 identical, 1 disjoint); the holdout ceiling is the control rows' own TV, the sampling floor no synthetic table can beat.</p>${fidelity}</section>
<section id="utility"><h2>Machine-learning utility</h2><p class="help">Target <b>${esc(target ?? 'n/a')}</b>: train on synthetic, test on real (TSTR) against train on real, test on real (TRTR); logistic regression on one-hot features.</p>${utility}</section>
<section id="risk"><h2>Re-identification risk</h2><p class="help">Anonymeter-style attacks on the training rows, judged against the control rows the models never saw (risk = (success on training − success on control) / (1 − success on control)).</p>${risk}</section>
<section id="distributions"><h2>Column distributions</h2><p class="help">Share of rows in each category: the training rows and every model.</p><div class="grid">${charts}</div></section>
<section id="files"><h2>Files</h2>${files}</section>
<section id="parameters"><h2>Run parameters</h2>${table(params, ['parameter', 'value'])}</section>
<section id="notes"><h2>Notes</h2>${r.notes.map((n) => `<p class="warn">${esc(n)}</p>`).join('')}</section>
</main></body></html>
`;
}
