// renderSummarySection: the one-page release summary a data steward signs — overall verdict, one
// line per criterion (measured value, its reference, the threshold applied, the verdict), a signature block.
import type { EvaluationReport } from './EvaluationReport.js';
import { badge, esc } from './htmlFormat.js';

const GROUP_NAME = { fidelity: 'Fidelity', utility: 'Utility', privacy: 'Privacy risk', guarantee: 'Guarantee' } as const;

/** The summary section (first in the page; printed on its own page). */
export function renderSummarySection(r: EvaluationReport): string {
  const s = r.summary;
  const rows = s.criteria
    .map(
      (c) =>
        `<tr class="criterion" data-criterion="${esc(c.id)}" data-verdict="${c.verdict}"><td><span class="group">${GROUP_NAME[c.group]}</span> <b>${esc(c.label)}</b><div class="meaning">${esc(c.meaning)}</div></td>` +
        `<td>${esc(c.value)}</td><td>${esc(c.reference)}</td><td class="rule">${esc(c.threshold)}</td><td>${badge(c.verdict)}</td></tr>`,
    )
    .join('');
  const counts = (['pass', 'review', 'fail'] as const).map((v) => `${s.criteria.filter((c) => c.verdict === v).length} ${v}`).join(', ');
  const scope = r.parameters.scope ?? r.parameters.evaluatedAgainst;
  return `<section id="summary" class="summary"><h2>Release summary</h2>
<p class="overall">Overall: ${badge(s.verdict)} <span class="counts">${counts}. A criterion that was not measured is never a pass.</span></p>
${scope === undefined ? '' : `<p class="help">Scope: ${esc(String(scope))}</p>`}
<table class="criteria"><colgroup><col style="width:36%"><col style="width:12%"><col style="width:18%"><col style="width:26%"><col style="width:8%"></colgroup><thead><tr><th>criterion</th><th>measured</th><th>reference</th><th>threshold</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>
<div class="sign"><div>Decision: ☐ release ☐ release with conditions ☐ do not release</div><div>Data steward: ______________________</div><div>Date: ____________</div><div>Signature: ______________________</div></div>
</section>`;
}
