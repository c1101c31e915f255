// renderRiskSection: the report's risk section — Anonymeter-style singling-out, linkability and
// inference risks, membership inference, exact copies and DCR, each beside its control-rate reference.
//
// Filled from report.json `privacy.risk` (the evaluated data's figures) and `privacy.riskPerSilo`
// (shared/eval/RiskFigures.ts), produced by the risk evaluation in shared/eval/risk/. When they are
// absent the section says so and what is needed, instead of showing figures without a reference.
import type { EvaluationReport } from './EvaluationReport.js';
import { badge, esc, fmt, pct } from './htmlFormat.js';
import { RISK_MEANING, riskCriteria } from './judgeReport.js';
import type { Criterion } from './EvaluationReport.js';
import type { AttackRate, AttackRisk, RiskFigures } from './RiskFigures.js';

/** Counts are integers, except a control count rescaled to the training set's size (shown to 1 decimal). */
const count = (n: number): string => (Number.isInteger(n) ? String(n) : `≈${n.toFixed(1)}`);
const rate = (a: AttackRate | null): string => (a ? `${pct(a.rate)} (${count(a.successes)}/${a.attacks})` : 'n/a');
const interval = (a: AttackRisk): string => `${fmt(a.risk)} [${fmt(a.ci[0])}, ${fmt(a.ci[1])}]`;

function verdictOf(criteria: readonly Criterion[], id: string): string {
  const c = criteria.find((x) => x.id === id);
  return c ? badge(c.verdict) : '';
}

function row(cells: readonly string[]): string {
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

/** One silo's (or the aggregate's) figures as a table with references and meanings. */
function figuresTable(r: RiskFigures, criteria: readonly Criterion[]): string {
  const rows: string[] = [];
  const attack = (id: 'singlingOut' | 'linkability' | 'inference', name: string, a: AttackRisk | null): void => {
    if (!a) {
      rows.push(row([esc(name), 'not measured', '', '', '', verdictOf(criteria, id), esc(RISK_MEANING[id])]));
      return;
    }
    rows.push(row([esc(name), interval(a), rate(a.attack), rate(a.control), rate(a.baseline), verdictOf(criteria, id), esc(RISK_MEANING[id])]));
  };
  attack('singlingOut', 'Singling out', r.singlingOut);
  attack('linkability', 'Linkability', r.linkability);
  attack('inference', r.inference?.column ? `Inference (worst column: ${r.inference.column})` : 'Inference', r.inference);
  const mia = r.mia;
  rows.push(
    row([
      'Membership inference',
      mia ? `AUC ${fmt(mia.auc)}${mia.ci ? ` [${fmt(mia.ci[0])}, ${fmt(mia.ci[1])}]` : ''}` : 'not measured',
      mia ? `${mia.members} training rows` : '',
      mia ? `${mia.nonMembers} control rows` : '',
      mia ? esc(mia.method) : '',
      verdictOf(criteria, 'mia'),
      esc(RISK_MEANING.mia),
    ]),
  );
  for (const [id, name, v] of [
    ['exactMatch', 'Exact copies', r.exactMatch],
    ['dcr', 'Distance to closest record', r.dcr],
  ] as const) {
    rows.push(row([esc(name), v ? pct(v.rate) : 'not measured', v ? pct(v.rate) : '', v ? pct(v.controlRate) : '', '', verdictOf(criteria, id), esc(RISK_MEANING[id])]));
  }
  return (
    `<table class="risk"><thead><tr><th>criterion</th><th>risk [CI] / figure</th><th>on training rows</th><th>on control rows (reference)</th><th>baseline</th><th>verdict</th><th>what it means</th></tr></thead><tbody>${rows.join('')}</tbody></table>` +
    `<p class="help">${r.trainRows} training rows attacked, ${r.controlRows} control rows held back before training and never used in it. Risk = (success on training − success on control) / (1 − success on control) (Giomi et al., PETS 2023); the baseline attack ignores the synthetic data.</p>` +
    r.notes.map((n) => `<p class="warn">${esc(n)}</p>`).join('')
  );
}

function perSiloTable(silos: readonly RiskFigures[]): string {
  const cell = (a: AttackRisk | null): string => (a ? interval(a) : 'n/a');
  const rows = silos.map((s) =>
    row([
      esc(s.party ?? '(unnamed)'),
      String(s.trainRows),
      String(s.controlRows),
      cell(s.singlingOut),
      cell(s.linkability),
      cell(s.inference),
      s.mia ? fmt(s.mia.auc) : 'n/a',
      s.exactMatch ? `${pct(s.exactMatch.rate)} vs ${pct(s.exactMatch.controlRate)}` : 'n/a',
    ]),
  );
  return `<h3>Per silo</h3><table><thead><tr><th>silo</th><th>training rows</th><th>control rows</th><th>singling out</th><th>linkability</th><th>inference</th><th>MIA AUC</th><th>exact copies vs control</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const NOT_RUN =
  '<p class="warn">Not run: the Anonymeter-style evaluation (singling out, linkability, inference, membership inference against control rows) needs control rows held back before training — ' +
  '<code>fedsynth evaluate --real TRAIN.csv --control HOLDOUT.csv --synth S.csv --privacy</code>, or <code>dataset.controlRows</code> at each agent. Without them no risk figure can be judged against its reference.</p>';

/** The risk section (always present; says what is missing when the risk evaluation was not run). */
export function renderRiskSection(r: EvaluationReport): string {
  const risk = r.privacy.risk;
  const silos = r.privacy.riskPerSilo;
  let body: string;
  if (risk) {
    const where = risk.scope === 'aggregate' ? 'Aggregated over the silos (attack counts added by secure aggregation).' : `Measured at ${esc(risk.party ?? 'this silo')} against its own rows.`;
    body = `<p class="help">${where}</p>${figuresTable(risk, r.summary.criteria)}`;
  } else if (silos.length) {
    body =
      '<p class="help">Measured at each silo against its own training and control rows. There is no consortium aggregate: the attack counts are not released across silos ' +
      '(that needs a DP release through secure aggregation, not built). The summary judges each criterion at its worst silo.</p>';
  } else {
    body = NOT_RUN;
  }
  const perSilo = silos.length
    ? perSiloTable(silos) +
      silos
        .map((s) => `<details${risk ? '' : ' open'}><summary>${esc(s.party ?? '(unnamed silo)')}: every figure with its reference</summary>${figuresTable(s, riskCriteria(r, s))}</details>`)
        .join('')
    : '';
  return `<!-- RISK SECTION: rendered from report.json privacy.risk and privacy.riskPerSilo (shared/eval/RiskFigures.ts) -->
<section id="risk"><h2>Re-identification risk (Article 29 WP criteria, measured as Anonymeter does)</h2>${body}${perSilo}</section>`;
}
