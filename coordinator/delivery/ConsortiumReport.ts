// ConsortiumReport: the operator's report.json / report.html of a study, from what the coordinator may
// see (noisy measurements, synthetic rows, charges); fetched with the outputs, never sent to the parties.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Domain } from '../../shared/pgm/Domain.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import type { ManifestPrivacy } from '../../shared/manifest/Manifest.js';
import type { RoundAccount } from '../../shared/study/RoundAccount.js';
import type { MeasurementFidelity } from '../../shared/eval/fidelityToMeasurements.js';
import type { MeasuredMarginalTally } from '../../shared/eval/MeasuredMarginalTally.js';
import type { StudyPartyRecord } from '../store/CoordinatorStore.js';
import { escapeHtml } from '../console/consolePages.js';
import type { AttackRisk } from '../../shared/eval/RiskFigures.js';
import type { PooledRateVsControl, PooledRiskFigures } from '../../shared/eval/risk/pooledRiskFigures.js';
import type { PooledSubgroupFidelity } from '../../shared/eval/pooledSubgroupFidelity.js';

/** The operator's report files (not in OUTPUT_FILES: each party writes its own local report under these names). */
export const REPORT_FILES = ['report.json', 'report.html'] as const;

export const CONSORTIUM_REPORT_NOTE =
  "Computed at the coordinator from what it may see: the study's noisy (differentially private) measurements, the synthetic " +
  "rows and the parties' charges; no party's rows. Fidelity here is to the noisy measurements; each party's local-only " +
  'report (report.html in its outputs directory) scores the synthetic data against its own rows.';

export interface ConsortiumReportInput {
  readonly dir: string;
  readonly spec: StudySpec;
  readonly domain: Domain;
  /**
   * The synthetic rows' counts of every noisy marginal the mechanism measured on the study's own
   * columns, tallied chunk by chunk as the rows were drawn (the table is never held whole).
   */
  readonly synthetic: MeasuredMarginalTally;
  /** Marginals measured on recoded (compressed) columns: counted, not scored. */
  readonly notScored: number;
  readonly privacy: ManifestPrivacy;
  readonly parties: readonly StudyPartyRecord[];
  readonly accounts: readonly RoundAccount[];
}

/** Writes report.json and report.html into `dir`; returns the report. */
export function writeConsortiumReport(o: ConsortiumReportInput): ConsortiumReport {
  const marginals = o.synthetic.fidelity();
  const ways = [...new Set(marginals.map((m) => m.attrs.length))].sort((a, b) => a - b);
  const unreleased = new Map<string, number>();
  for (const a of o.accounts) for (const [p, r] of a.unreleasedRho) unreleased.set(p, (unreleased.get(p) ?? 0) + r);
  const report: ConsortiumReport = {
    format: 'fedsynth-consortium-report/v1',
    studyId: o.spec.studyId,
    title: o.spec.title,
    mechanism: o.spec.mechanism,
    aggregation: o.spec.aggregation,
    scope: CONSORTIUM_REPORT_NOTE,
    syntheticRows: o.synthetic.rows,
    privacy: o.privacy,
    parties: o.parties.map((p) => ({ id: p.partyId, decision: p.decision, rhoCharged: p.rhoCharged, rhoChargedNotReleased: unreleased.get(p.partyId) ?? 0, dropped: p.dropped })),
    rounds: { asked: o.accounts.length, released: o.accounts.filter((a) => a.outcome === 'released').length, notReleased: o.accounts.filter((a) => a.outcome !== 'released' || a.unreleasedRho.size > 0).map((a) => a.summary) },
    fidelityToMeasurements: {
      byWay: ways.map((way) => {
        const ms = marginals.filter((m) => m.attrs.length === way);
        const avg = (f: (m: MeasurementFidelity) => number) => ms.reduce((s, m) => s + f(m), 0) / ms.length;
        return { way, count: ms.length, avgTv: avg((m) => m.tv), maxTv: Math.max(...ms.map((m) => m.tv)), avgNoiseFloorTv: avg((m) => m.noiseFloorTv) };
      }),
      marginals,
      notScored: o.notScored,
    },
  };
  writeFileSync(join(o.dir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(o.dir, 'report.html'), renderConsortiumReportHtml(report));
  return report;
}

export interface ConsortiumReport {
  readonly format: 'fedsynth-consortium-report/v1';
  readonly studyId: string;
  readonly title: string;
  readonly mechanism: string;
  readonly aggregation: string;
  readonly scope: string;
  readonly syntheticRows: number;
  readonly privacy: ManifestPrivacy;
  readonly parties: readonly { id: string; decision: string; rhoCharged: number; rhoChargedNotReleased: number; dropped: boolean }[];
  readonly rounds: { readonly asked: number; readonly released: number; readonly notReleased: readonly string[] };
  readonly fidelityToMeasurements: {
    readonly byWay: readonly { way: number; count: number; avgTv: number; maxTv: number; avgNoiseFloorTv: number }[];
    readonly marginals: readonly MeasurementFidelity[];
    readonly notScored: number;
  };
  /**
   * The consortium-wide risk figures from the post-delivery pooled risk release (secure sum of every
   * silo's noisy attack counts; docs/evaluation.md "Pooled risk"); absent when the study has none,
   * `released: false` with the reason when the round did not complete.
   */
  readonly pooledRisk?: PooledRiskSection;
}

/** The report's pooled risk part: the figures, or why there are none. */
export type PooledRiskSection =
  | {
      readonly released: true;
      readonly figures: PooledRiskFigures;
      /** The noisy sum itself (a DP release; layout shared/eval/risk/pooledRiskCounts), so anyone can recompute the figures. */
      readonly noisySum: readonly number[];
      /** Pooled subgroup shares and within-subgroup 1-way fidelity (a second, `marginals` round), with the rho it cost. */
      readonly subgroups?: PooledSubgroupFidelity & { readonly rho: number };
    }
  | { readonly released: false; readonly reason: string };

/** Adds the pooled risk section to the study's report.json and re-renders report.html (after delivery). */
export function addPooledRisk(dir: string, section: PooledRiskSection): ConsortiumReport {
  const report: ConsortiumReport = { ...(JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ConsortiumReport), pooledRisk: section };
  writeFileSync(join(dir, 'report.json'), JSON.stringify(report, null, 2));
  writeFileSync(join(dir, 'report.html'), renderConsortiumReportHtml(report));
  return report;
}

/** The pooled risk section of report.html: each figure with its interval and reference, the noise and the method. */
function renderPooledRisk(p: PooledRiskSection | undefined, row: (cells: readonly (string | number)[]) => string, table: (id: string, head: readonly string[], rows: readonly string[]) => string): string {
  if (p === undefined) return '';
  const head = '<h2>Consortium-wide risk (pooled, differentially private)</h2>';
  if (!p.released) return `${head}<p class="warn">Not released: ${escapeHtml(p.reason)}</p>`;
  const f = p.figures;
  const ci = (c: readonly [number, number] | null) => (c ? `[${num(c[0], 3)}, ${num(c[1], 3)}]` : 'n/a');
  const risk = (name: string, r: AttackRisk | null, meaning: string) =>
    r ? row([name, num(r.risk, 3), ci(r.ci), `${num(r.attack.rate, 3)} (${r.attack.successes} / ${r.attack.attacks})`, `${num(r.control.rate, 3)} (${r.control.successes} / ${r.control.attacks})`, meaning]) : row([name, 'n/a', '', '', '', meaning]);
  const rate = (name: string, r: PooledRateVsControl | null) => (r ? row([name, `${num(r.rate, 3)} ${ci(r.ci)}`, `${num(r.controlRate, 3)} ${ci(r.controlCi)}`, r.basis]) : row([name, 'n/a', 'n/a', '']));
  return `${head}
<p class="note">Every silo ran the attacks on all its training and control rows against the delivered synthetic data and sent only its attack counts, with its share of discrete Gaussian noise, through secure aggregation (${escapeHtml(String(f.noise.parties))} parties; rho ${num(f.noise.rho)} charged to every ledger; L2 sensitivity ${num(f.noise.l2Sensitivity)}; noise standard deviation ${num(f.noise.stddev)} per count). Pooled rows: ${f.trainRows} training, ${f.controlRows} control (noisy). Intervals: ${escapeHtml(f.method)}</p>
${table('pooled-risk', ['criterion', 'risk', `interval (${Math.round(100 * (f.linkability?.confidence ?? 0.95))}%)`, 'success on training rows', 'success on control rows (reference)', 'meaning'], [
    risk('linkability', f.linkability, 'how often the synthetic data joins two halves of a training record beyond what it does for non-members'),
    risk(`inference (worst column: ${f.inference?.column ?? 'n/a'})`, f.inference, "how much better a training person's secret is guessed than a non-member's (interval simultaneous over the columns)"),
  ])}
${table('pooled-singling-out', ['criterion', 'risk', `interval (${Math.round(100 * (f.singlingOut?.confidence ?? 0.95))}%)`, 'success on training rows', 'success on control rows (reference)', 'meaning'], [
    risk('singling out', f.singlingOut, 'how often a predicate read off the synthetic data isolates exactly one training row at a silo, beyond how often it isolates one of as many control rows'),
  ])}
${table('pooled-mia', ['membership inference AUC', 'interval', 'members', 'non-members'], [row([num(f.mia?.auc ?? NaN, 3), ci(f.mia?.ci ?? null), f.mia?.members ?? 0, f.mia?.nonMembers ?? 0])])}
${table('pooled-copies', ['figure', 'training rows', 'control rows (reference)', 'counted'], [rate('exact copies', f.exactMatch), rate('distance to closest record', f.dcr)])}
<ul class="note">${f.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>${renderPooledSubgroups(p.subgroups, row, table)}`;
}

/** The pooled subgroup tables: share (real, noisy; synthetic), 1-/2-way TV within the group beside the noise, and the flag. */
function renderPooledSubgroups(s: (PooledSubgroupFidelity & { readonly rho: number }) | undefined, row: (cells: readonly (string | number)[]) => string, table: (id: string, head: readonly string[], rows: readonly string[]) => string): string {
  if (!s) return '';
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const tv = (x: number | null) => (x === null ? 'n/a' : num(x, 3));
  return `<h3>Subgroup fidelity (pooled, differentially private)</h3>
<p class="note">From ${s.marginals} noisy marginals summed over the silos (rho ${num(s.rho)}; noise standard deviation ${num(s.noiseStddev)} per count). ${escapeHtml(s.method)}</p>
<p>${s.flagged} subgroup${s.flagged === 1 ? '' : 's'} flagged. Rule: ${escapeHtml(s.rule)}</p>
${s.columns
  .map((c) =>
    table(
      `pooled-subgroups-${escapeHtml(c.column)}`,
      [`${c.column} (code)`, 'real rows (noisy)', 'real share', 'synthetic share', '1-way TV within the group', 'its noise floor', '2-way TV within the group', 'its noise floor (95% bound)', 'sampling floor', 'flag'],
      [
        row(['all rows', '', '', '', '', '', tv(c.overall.tv2), '', tv(c.overall.floor2), `excess ${num(c.overall.excess, 3)}`]),
        ...c.groups.map((g) => row([g.code, Math.round(g.realRows), pct(g.realShare), pct(g.synthShare), tv(g.tv1), tv(g.noiseFloor1), tv(g.tv2), `${tv(g.noiseFloor2)} (${tv(g.noiseBound2)})`, tv(g.floor2), g.flag])),
      ],
    ),
  )
  .join('\n')}`;
}

const num = (x: number, digits = 4): string => (Number.isFinite(x) ? x.toPrecision(digits) : 'n/a');

/** A self-contained page (inline CSS, no scripts, no external resources). */
export function renderConsortiumReportHtml(r: ConsortiumReport): string {
  const row = (cells: readonly (string | number)[]) => `<tr>${cells.map((c) => `<td>${typeof c === 'number' ? c : escapeHtml(c)}</td>`).join('')}</tr>`;
  const table = (id: string, head: readonly string[], rows: readonly string[]) => `<table id="${id}"><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>\n${rows.join('\n')}</table>`;
  const f = r.fidelityToMeasurements;
  const worst = [...f.marginals].sort((a, b) => b.tv - a.tv).slice(0, 20);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.studyId)} · fedsynth consortium report</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}.note{color:#555}.warn{color:#b00}</style></head>
<body><h1>Study ${escapeHtml(r.studyId)}: ${escapeHtml(r.title)}</h1>
<p class="note">${escapeHtml(r.scope)}</p>
<h2>Study</h2>${table('study', ['mechanism', 'aggregation', 'synthetic rows', 'epsilon spent', 'delta', 'rho spent / budget'], [row([r.mechanism, r.aggregation, r.syntheticRows, num(r.privacy.epsilon), num(r.privacy.delta, 3), `${num(r.privacy.rho)} / ${num(r.privacy.rhoBudget ?? NaN)}`])])}
<h2>Parties and charges</h2>${table('parties', ['party', 'decision', 'rho charged (released rounds)', 'rho charged, not released', 'dropped out'], r.parties.map((p) => row([p.id, p.decision, num(p.rhoCharged), num(p.rhoChargedNotReleased), p.dropped ? 'yes' : 'no'])))}
<p>${r.rounds.released} of ${r.rounds.asked} rounds asked were released.</p>${r.rounds.notReleased.length > 0 ? `<ul class="warn">${r.rounds.notReleased.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>` : ''}
<h2>Fidelity to the noisy measurements</h2>
<p class="note">Total variation (TV, 0 = identical, 1 = disjoint) between each synthetic marginal and the study's noisy measurement of it, beside the noise floor: the TV the noise alone puts between a measurement and the truth, in expectation. Near the floor, the model fits the measurements as well as the noise allows.${f.notScored > 0 ? ` ${f.notScored} measurements on recoded (compressed) domains are not scored.` : ''}</p>
${table('by-way', ['marginal size', 'measurements', 'mean TV', 'max TV', 'mean noise floor'], f.byWay.map((w) => row([`${w.way}-way`, w.count, num(w.avgTv), num(w.maxTv), num(w.avgNoiseFloorTv)])))}
<h3>Largest TVs</h3>${table('marginals', ['columns', 'cells', 'noise stddev', 'TV', 'noise floor'], worst.map((m) => row([m.attrs.join(' × '), m.cells, num(m.noiseStddev), num(m.tv), num(m.noiseFloorTv)])))}
${renderPooledRisk(r.pooledRisk, row, table)}
</body></html>
`;
}
