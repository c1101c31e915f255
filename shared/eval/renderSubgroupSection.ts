// renderSubgroupSection: the report's subgroup-fidelity section — for each value of the chosen columns,
// its share (real, synthetic) and the 1-/2-way TV within it against the overall figure, flagged rows first.
import type { EvaluationReport } from './EvaluationReport.js';
import { esc, fmt, pct } from './htmlFormat.js';
import type { SubgroupColumn, SubgroupFlag } from './subgroupFidelity.js';

const FLAG_TEXT: Readonly<Record<SubgroupFlag, string>> = {
  ok: 'ok',
  low: 'LOW fidelity',
  absent: 'ABSENT from synthetic',
  small: 'too small to judge',
  unobserved: 'no real rows',
};

function columnTable(col: SubgroupColumn, labels: readonly string[]): string {
  const flagged = col.groups.filter((g) => g.flag === 'low' || g.flag === 'absent' || g.distorted).length;
  const rows = col.groups
    .map((g) => {
      const cls = g.flag === 'low' || g.flag === 'absent' || g.distorted ? ' class="flagged"' : g.flag === 'ok' ? '' : ' class="muted"';
      const status = g.distorted ? `${FLAG_TEXT[g.flag]}; DISTORTED (worse than the whole table's rows)` : FLAG_TEXT[g.flag];
      const cells = [esc(labels[g.code] ?? String(g.code)), String(g.realRows), pct(g.realShare), pct(g.synthShare), fmt(g.tv1), fmt(g.tv2), fmt(g.floor2), status];
      return `<tr${cls}>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    })
    .join('');
  const overall = `<tr class="overall"><td>all rows</td><td></td><td>100%</td><td>100%</td><td>${fmt(col.overall.tv1)}</td><td>${fmt(col.overall.tv2)}</td><td>${fmt(col.overall.floor2)}</td><td>reference</td></tr>`;
  return (
    `<details${flagged ? ' open' : ''}><summary>${esc(col.column)}: ${col.groups.length} subgroups, ${flagged} flagged</summary>` +
    `<table class="subgroups"><thead><tr><th>${esc(col.column)}</th><th>real rows</th><th>real share</th><th>synthetic share</th><th>1-way TV</th><th>2-way TV</th><th>sampling floor (2-way)</th><th>status</th></tr></thead><tbody>${overall}${rows}</tbody></table></details>`
  );
}

/** The subgroup section, or a note that no column was chosen. */
export function renderSubgroupSection(r: EvaluationReport): string {
  const sg = r.fidelity.subgroups;
  const body = sg
    ? `<p class="help">Within each subgroup (the rows with one value of the column), the other columns' 1-way and 2-way tables are compared, real vs synthetic (mean TV), next to the same figures over all rows. ` +
      `The sampling floor is the TV two independent samples of this size would show by chance. Rule: ${esc(sg.rule)} ${sg.flagged} subgroups flagged.</p>` +
      sg.columns.map((c) => columnTable(c, r.labels[r.columns.indexOf(c.column)] ?? [])).join('')
    : '<p class="warn">Not evaluated: no subgroup column was chosen.</p>';
  return `<section id="subgroups"><h2>Subgroup fidelity</h2>${body}</section>`;
}
