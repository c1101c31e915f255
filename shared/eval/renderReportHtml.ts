// renderReportHtml: the evaluation report as one self-contained HTML page — inline CSS and inline
// SVG charts only (no scripts, no external URLs), so it can be archived and opened offline.
import type { EvaluationReport } from './buildReportJson.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fmt = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits));
const pct = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(1)}%`);

const REAL = '#3b6fb6';
const SYNTH = '#e08a2c';

/** Grouped bars real vs synthetic for one column's category shares. */
function distributionChart(column: string, real: readonly number[], synth: readonly number[]): string {
  const w = 300;
  const h = 130;
  const pad = 22;
  const k = real.length;
  const max = Math.max(1e-9, ...real, ...synth);
  const bw = (w - 2 * pad) / k;
  let bars = '';
  for (let i = 0; i < k; i++) {
    const x = pad + i * bw;
    const hr = ((h - 2 * pad) * real[i]) / max;
    const hs = ((h - 2 * pad) * synth[i]) / max;
    bars += `<rect x="${(x + bw * 0.08).toFixed(2)}" y="${(h - pad - hr).toFixed(2)}" width="${(bw * 0.42).toFixed(2)}" height="${hr.toFixed(2)}" fill="${REAL}"><title>${esc(column)}=${i} real ${pct(real[i])}</title></rect>`;
    bars += `<rect x="${(x + bw * 0.5).toFixed(2)}" y="${(h - pad - hs).toFixed(2)}" width="${(bw * 0.42).toFixed(2)}" height="${hs.toFixed(2)}" fill="${SYNTH}"><title>${esc(column)}=${i} synthetic ${pct(synth[i])}</title></rect>`;
  }
  return (
    `<figure class="small"><svg class="chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(column)}">` +
    `<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#999"/>${bars}` +
    `<text x="${pad}" y="${h - 6}" class="axis">0</text><text x="${w - pad}" y="${h - 6}" class="axis" text-anchor="end">${k - 1}</text>` +
    `<text x="${pad}" y="14" class="axis">max ${pct(max)}</text></svg><figcaption>${esc(column)}</figcaption></figure>`
  );
}

function colour(v: number, diverging: boolean): string {
  if (diverging) {
    const t = Math.max(-1, Math.min(1, v / 0.3));
    const [r, g, b] = t >= 0 ? [255, Math.round(255 - 170 * t), Math.round(255 - 200 * t)] : [Math.round(255 + 200 * t), Math.round(255 + 120 * t), 255];
    return `rgb(${r},${g},${b})`;
  }
  const t = Math.max(0, Math.min(1, Math.abs(v)));
  return `rgb(${Math.round(247 - 200 * t)},${Math.round(251 - 150 * t)},${Math.round(255 - 75 * t)})`;
}

/** A column-by-column heatmap; `diverging` for differences (clipped at +-0.3). */
function heatmap(title: string, columns: readonly string[], values: readonly number[], diverging: boolean): string {
  const m = columns.length;
  const cell = 18;
  const left = 110;
  const top = 110;
  const size = left + m * cell + 10;
  let cells = '';
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j];
      cells += `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${colour(v, diverging)}"><title>${esc(columns[i])} x ${esc(columns[j])}: ${fmt(v)}</title></rect>`;
    }
  }
  let labels = '';
  columns.forEach((c, i) => {
    const short = esc(c.length > 15 ? `${c.slice(0, 14)}…` : c);
    labels += `<text x="${left - 4}" y="${top + i * cell + 13}" text-anchor="end" class="axis">${short}</text>`;
    labels += `<text transform="translate(${left + i * cell + 12},${top - 4}) rotate(-60)" class="axis">${short}</text>`;
  });
  return `<figure><svg class="chart" viewBox="0 0 ${size} ${top + m * cell + 10}" width="${size}" height="${top + m * cell + 10}" role="img" aria-label="${esc(title)}">${cells}${labels}</svg><figcaption>${esc(title)}</figcaption></figure>`;
}

/** Vertical bars for a list of values with labels (sorted by the caller). */
function barChart(title: string, values: readonly number[], labels: readonly string[], colourOf: string, width = 1160, height = 200): string {
  const pad = 34;
  const max = Math.max(1e-9, ...values);
  const bw = (width - 2 * pad) / Math.max(1, values.length);
  let bars = '';
  values.forEach((v, i) => {
    const bh = ((height - 2 * pad) * v) / max;
    bars += `<rect x="${(pad + i * bw).toFixed(2)}" y="${(height - pad - bh).toFixed(2)}" width="${Math.max(0.5, bw - 1).toFixed(2)}" height="${bh.toFixed(2)}" fill="${colourOf}"><title>${esc(labels[i])}: ${fmt(v, 4)}</title></rect>`;
  });
  const ticks = [0, 0.5, 1]
    .map((f) => `<text x="${pad - 4}" y="${(height - pad - (height - 2 * pad) * f + 4).toFixed(1)}" class="axis" text-anchor="end">${fmt(max * f, 2)}</text>`)
    .join('');
  return `<figure><svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}"><line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/>${bars}${ticks}</svg><figcaption>${esc(title)}</figcaption></figure>`;
}

function card(label: string, value: string, note: string): string {
  return `<div class="card"><div class="label">${esc(label)}</div><div class="value">${value}</div><div class="note">${esc(note)}</div></div>`;
}

function table(rows: readonly (readonly string[])[], header: readonly string[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 "DejaVu Sans",system-ui,sans-serif;color:#1d2733;background:#f4f6f9}
header{background:#1f3a5f;color:#fff;padding:22px 40px}header h1{margin:0;font-size:24px}header p{margin:4px 0 0;opacity:.85}
main{padding:10px 40px 40px;max-width:1280px}section{background:#fff;border-radius:8px;padding:18px 22px;margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:0 0 12px;font-size:18px;color:#1f3a5f}.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 160px;border:1px solid #dde3ea;border-radius:6px;padding:10px 14px}.card .label{font-size:12px;color:#5b6b7c;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:24px;font-weight:600;margin:2px 0}.card .note{font-size:12px;color:#5b6b7c}
.grid{display:flex;flex-wrap:wrap;gap:8px}figure{margin:6px}figure.small{width:300px}figcaption{text-align:center;font-size:12px;color:#33414f}
table{border-collapse:collapse;margin:6px 0}th,td{border-bottom:1px solid #e3e8ee;padding:5px 12px;text-align:left}th{background:#f0f3f7;font-weight:600}
.axis{font-size:10px;fill:#5b6b7c}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px -2px 12px;border-radius:2px}
.warn{background:#fff6e5;border-left:4px solid #e0a030;padding:8px 12px;margin:6px 0}p.help{color:#5b6b7c;margin:4px 0 10px}
`;

/** Renders the report as a complete HTML document (a string). */
export function renderReportHtml(r: EvaluationReport): string {
  const f = r.fidelity;
  const acc = f.accuracy
    .map((a) => card(`${a.way}-way accuracy`, fmt(a.synthetic), a.holdoutCeiling === null ? '1 - mean TV; no holdout ceiling' : `1 - mean TV; holdout ceiling ${fmt(a.holdoutCeiling)}`))
    .join('');
  const p = r.privacy;
  const privacyCards =
    card('Exact copies', pct(p.exactMatchRate), `${p.exactCopies} synthetic rows equal a real row`) +
    card('DCR share', pct(p.dcrShare), 'closer to training than holdout; ideal ~50%') +
    card('MIA AUC', fmt(p.miaAuc), 'distance attack; ideal 0.5') +
    card('Discriminator AUC', fmt(p.discriminatorAuc), 'real vs synthetic; ideal 0.5') +
    card('Mean NNDR', fmt(p.nndrMean), 'nearest / 2nd nearest; low = copies');
  const util = r.utility
    ? table(
        [
          ['TSTR (train synthetic, test real)', fmt(r.utility.tstr.accuracy), fmt(r.utility.tstr.macroF1), fmt(r.utility.tstr.auc)],
          ['TRTR (train real, test real)', fmt(r.utility.trtr.accuracy), fmt(r.utility.trtr.macroF1), fmt(r.utility.trtr.auc)],
        ],
        ['model', 'accuracy', 'macro-F1', 'AUC'],
      ) + `<p class="help">Target <b>${esc(r.utility.target)}</b>, ${r.utility.testRows} real test rows; logistic regression on one-hot features.</p>`
    : '<p class="warn">Utility was not evaluated (see the notes below).</p>';
  const sorted = [2, 3].map((k) => f.marginals.filter((mv) => mv.attrs.length === k).sort((a, b) => b.tv - a.tv));
  const tvCharts = sorted
    .map((list, i) =>
      list.length === 0
        ? ''
        : barChart(
            `TV of every ${i + 2}-way marginal, sorted (hover a bar for its columns)`,
            list.map((mv) => mv.tv),
            list.map((mv) => mv.attrs.join(' × ')),
            i === 0 ? '#5a8dd6' : '#7a5fc4',
          ),
    )
    .join('');
  const worst = sorted[0].slice(0, 5).map((mv) => [mv.attrs.join(' × '), fmt(mv.tv, 4)]);
  const spent = r.privacySpent
    ? table([[fmt(r.privacySpent.rho ?? null, 4), fmt(r.privacySpent.epsilon ?? null, 3), r.privacySpent.delta === undefined ? 'n/a' : r.privacySpent.delta.toExponential(1)]], ['rho (zCDP)', 'epsilon', 'delta'])
    : '<p class="warn">No privacy accounting was supplied with this evaluation.</p>';
  const params = Object.entries(r.parameters).map(([k, v]) => [k, String(v)]);
  const notes = r.unavailable.length ? r.unavailable.map((u) => `<p class="warn">${esc(u)}</p>`).join('') : '<p>Every metric was evaluated.</p>';
  const tvRows = f.tv.map((t, i) => [`${t.way}-way (${t.count})`, fmt(t.avg, 4), fmt(t.max, 4), fmt(f.tvHoldoutCeiling?.[i]?.avg ?? null, 4)]);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title><style>${CSS}</style></head>
<body><header><h1>${esc(r.title)}</h1><p>${r.rows.real} real rows, ${r.rows.holdout} holdout rows, ${r.rows.synthetic} synthetic rows, ${r.columns.length} columns</p></header>
<main>
<section id="summary"><h2>Fidelity at a glance</h2><div class="cards">${acc}${card('Correlation gap', fmt(f.correlation.meanAbsDifference), `mean |Δ|; max ${fmt(f.correlation.maxAbsDifference)}`)}</div>
${table(tvRows, ['marginals', 'mean TV', 'max TV', 'holdout ceiling (mean TV)'])}
<p class="help">TV = ½ Σ |p<sub>real</sub> − p<sub>synthetic</sub>| over the cells of a marginal: 0 identical, 1 disjoint. Worst 2-way marginals: ${worst.map((w) => `${esc(w[0])} (${w[1]})`).join(', ') || 'n/a'}.</p></section>
<section id="distributions"><h2>Column distributions</h2><p class="legend"><span style="background:${REAL}"></span>real<span style="background:${SYNTH}"></span>synthetic</p>
<div class="grid">${f.distributions.map((d) => distributionChart(d.column, d.real, d.synth)).join('')}</div></section>
<section id="correlations"><h2>Associations</h2><p class="help">Cramér's V for categorical pairs, Pearson on codes for ordinal pairs. Difference = synthetic − real (blue negative, red positive, clipped at ±0.3).</p>
<div class="grid">${heatmap('real', r.columns, f.correlation.real, false)}${heatmap('synthetic', r.columns, f.correlation.synth, false)}${heatmap('difference', r.columns, f.correlation.difference, true)}</div></section>
<section id="marginals"><h2>Total variation per marginal</h2>${tvCharts}</section>
<section id="utility"><h2>Machine-learning utility</h2>${util}</section>
<section id="privacy"><h2>Privacy checks</h2><div class="cards">${privacyCards}</div>
<div class="grid">${barChart('Distance to closest training record (Hamming), synthetic rows', p.dcrHistogram, p.dcrHistogram.map((_, i) => `distance ${i}`), '#4f9a6a', 560, 180)}${barChart('NNDR histogram (bins of 0.1)', p.nndrHistogram, p.nndrHistogram.map((_, i) => `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`), '#4f9a6a', 560, 180)}</div></section>
<section id="spent"><h2>Privacy spent</h2>${spent}</section>
<section id="parameters"><h2>Run parameters</h2>${params.length ? table(params, ['parameter', 'value']) : '<p>None recorded.</p>'}
${table(Object.entries(r.seconds).map(([k, v]) => [k, fmt(v, 2)]), ['metric', 'seconds'])}</section>
<section id="notes"><h2>Notes</h2>${notes}</section>
</main></body></html>
`;
}
