// judgeReport: the release summary a data steward signs — pass / review / fail per criterion
// (fidelity, subgroups, utility, each privacy risk, the formal guarantee), thresholds stated beside each verdict.
//
// The thresholds are policy, not science: they are the defaults below (REPORT_THRESHOLDS), written
// out in every criterion so a steward can see what was applied and a consortium can replace them.
// A figure that was not measured is never a pass: it is 'review' with the reason.
import type { Criterion, EvaluationReport, ReportSummary, Verdict } from './EvaluationReport.js';
import { fmt, pct } from './htmlFormat.js';
import { epsilonFromRho } from '../dp/accounting/cdpConversion.js';
import type { AttackRisk, RiskFigures } from './RiskFigures.js';

/**
 * The zCDP rho beside epsilon: the whole guarantee when epsilon is rho's conversion, only its zCDP
 * part when epsilon is larger (a dpsgd study: its gradient rounds are RDP curves, not in rho).
 */
function rhoText(spent: EvaluationReport['privacySpent']): string {
  if (spent?.rho === undefined) return '';
  const { rho, epsilon, delta } = spent;
  const partOnly = epsilon !== undefined && delta !== undefined && delta > 0 && delta < 1 && epsilonFromRho(Math.max(rho, 1e-300), delta) < epsilon * (1 - 1e-6);
  return partOnly ? `, ρ = ${fmt(rho, 4)} (zCDP part; ε also counts RDP charges)` : `, ρ = ${fmt(rho, 4)} (zCDP)`;
}

/** A band on a number: pass at or beyond `pass`, review at or beyond `review`, fail otherwise. */
interface Band {
  readonly pass: number;
  readonly review: number;
}

export interface ReportThresholds {
  /** 1 - mean 2-way TV (higher is better). */
  readonly accuracy2: Band;
  /** TRTR minus TSTR (AUC for a binary target, else accuracy), lower is better. */
  readonly utilityGap: Band;
  /** Discriminator AUC, lower is better. */
  readonly discriminatorAuc: Band;
  /** Anonymeter risks: pass when the CI lies at or below this, fail when it lies entirely above, review when it straddles. */
  readonly attackRisk: number;
  /** Membership-inference AUC, lower is better. */
  readonly miaAuc: Band;
  /** Exact-copy rate minus its control rate, lower is better. */
  readonly exactExcess: Band;
  /** DCR rate minus its control rate (or DCR share against a holdout minus 0.5), lower is better. */
  readonly dcrExcess: Band;
  /** An absent or distorted subgroup holding at least this share of the real rows fails the subgroup criterion. */
  readonly subgroupFailShare: number;
  /** epsilon, lower is better; delta must also be below 1/rows for a pass. */
  readonly epsilon: Band;
}

export const REPORT_THRESHOLDS: ReportThresholds = {
  accuracy2: { pass: 0.93, review: 0.85 },
  utilityGap: { pass: 0.03, review: 0.08 },
  discriminatorAuc: { pass: 0.65, review: 0.8 },
  attackRisk: 0.05,
  miaAuc: { pass: 0.55, review: 0.6 },
  exactExcess: { pass: 0.01, review: 0.03 },
  dcrExcess: { pass: 0.05, review: 0.1 },
  subgroupFailShare: 0.05,
  epsilon: { pass: 2, review: 10 },
};

const RANK: Readonly<Record<Verdict, number>> = { pass: 0, review: 1, fail: 2 };
const higher = (v: number, b: Band): Verdict => (v >= b.pass ? 'pass' : v >= b.review ? 'review' : 'fail');
const lower = (v: number, b: Band): Verdict => (v <= b.pass ? 'pass' : v <= b.review ? 'review' : 'fail');
const points = (v: number): string => `${(v * 100).toFixed(0)} pt`;
const lowerText = (b: Band, f: (v: number) => string): string => `pass ≤ ${f(b.pass)}, review ≤ ${f(b.review)}, fail above`;

/** Meanings of the risk figures, one sentence each (shown in the summary and the risk section). */
export const RISK_MEANING = {
  singlingOut:
    'How often an attacker using only the synthetic data can pick out a predicate that fits exactly one training person, beyond the same attack on people the model never saw.',
  linkability:
    'How often an attacker holding two separate parts of a person’s record can link them through the synthetic data, beyond the rate for people the model never saw.',
  inference:
    'How often an attacker who knows a person’s other columns guesses the secret column from the synthetic data, beyond the rate for people the model never saw.',
  mia: 'Chance that the attack ranks a random training row above a random control row: 0.5 means it cannot tell who was in the training data.',
  exactMatch:
    'Share of synthetic rows identical to a training row, judged against the share identical to a control row (identical rows also arise by chance on coarse columns).',
  dcr: 'Share of synthetic rows closer to a training row than to fresh rows of the same population: above the control rate, the generator stays near the rows it saw.',
} as const;

function attackCriterion(id: 'singlingOut' | 'linkability' | 'inference', label: string, a: AttackRisk | null | undefined, t: ReportThresholds): Criterion {
  const b = t.attackRisk;
  const threshold = `pass if the ${pct(a?.confidence ?? 0.95, 0)} CI’s upper end ≤ ${pct(b, 0)}; fail if its lower end > ${pct(b, 0)}; review if it straddles ${pct(b, 0)}`;
  if (!a) {
    return { id, group: 'privacy', label, value: 'not measured', reference: 'needs control rows held back before training', threshold, verdict: 'review', meaning: RISK_MEANING[id] };
  }
  const verdict: Verdict = a.ci[1] <= b ? 'pass' : a.ci[0] > b ? 'fail' : 'review';
  return {
    id,
    group: 'privacy',
    label,
    value: `${fmt(a.risk)} [${fmt(a.ci[0])}, ${fmt(a.ci[1])}]`,
    reference: `attack success ${pct(a.attack.rate)} on training rows vs ${pct(a.control.rate)} on control rows`,
    threshold,
    verdict,
    meaning: RISK_MEANING[id],
  };
}

/** The six risk criteria of one silo's (or the aggregate's) figures; null: only the distance-based fallbacks. */
export function riskCriteria(r: Omit<EvaluationReport, 'summary'>, f: RiskFigures | null, t: ReportThresholds = REPORT_THRESHOLDS): Criterion[] {
  return [
    attackCriterion('singlingOut', 'Singling out', f?.singlingOut, t),
    attackCriterion('linkability', 'Linkability', f?.linkability, t),
    attackCriterion('inference', 'Attribute inference', f?.inference, t),
    (() => {
      const mia = f?.mia ?? null;
      const miaAuc = mia?.auc ?? r.privacy.miaAuc;
      return {
        id: 'mia',
        group: 'privacy',
        label: 'Membership inference',
        value: miaAuc === null ? 'not measured' : `AUC ${fmt(miaAuc)}`,
        reference: mia ? `${mia.method} attack, ${mia.members} training vs ${mia.nonMembers} control rows` : miaAuc === null ? 'needs control (holdout) rows' : 'distance attack, training vs holdout rows',
        threshold: lowerText(t.miaAuc, (v) => fmt(v, 2)),
        verdict: miaAuc === null ? 'review' : lower(miaAuc, t.miaAuc),
        meaning: RISK_MEANING.mia,
      };
    })(),
    (() => {
      const ex = f?.exactMatch ?? null;
      return {
        id: 'exactMatch',
        group: 'privacy',
        label: 'Exact copies',
        value: pct(ex?.rate ?? r.privacy.exactMatchRate),
        reference: ex ? `control rate ${pct(ex.controlRate)}` : 'no control rows: the rate expected by chance is unknown',
        threshold: `excess over the control rate: ${lowerText(t.exactExcess, points)}`,
        verdict: ex ? lower(ex.rate - ex.controlRate, t.exactExcess) : 'review',
        meaning: RISK_MEANING.exactMatch,
      };
    })(),
    (() => {
      const dcr = f?.dcr ?? null;
      const dcrShare = r.privacy.dcrShare;
      return {
        id: 'dcr',
        group: 'privacy',
        label: 'Distance to closest record',
        value: dcr ? pct(dcr.rate) : dcrShare === null ? 'not measured' : `${pct(dcrShare)} closer to training`,
        reference: dcr ? `control rate ${pct(dcr.controlRate)}` : dcrShare === null ? 'needs control (holdout) rows' : '50% when synthetic rows are no closer to training than to holdout rows',
        threshold: `excess over the reference: ${lowerText(t.dcrExcess, points)}`,
        verdict: dcr ? lower(dcr.rate - dcr.controlRate, t.dcrExcess) : dcrShare === null ? 'review' : lower(dcrShare - 0.5, t.dcrExcess),
        meaning: RISK_MEANING.dcr,
      };
    })(),
  ];
}

/** Judges every criterion of a report (everything but its summary). */
export function judgeReport(r: Omit<EvaluationReport, 'summary'>, t: ReportThresholds = REPORT_THRESHOLDS): ReportSummary {
  const out: Criterion[] = [];
  const f = r.fidelity;
  const acc2 = f.accuracy.find((a) => a.way === 2) ?? f.accuracy[f.accuracy.length - 1];
  out.push({
    id: 'fidelity',
    group: 'fidelity',
    label: `${acc2?.way ?? 2}-way marginal accuracy`,
    value: fmt(acc2?.synthetic),
    reference: acc2?.holdoutCeiling == null ? 'no holdout: the sampling ceiling is unknown' : `holdout ceiling ${fmt(acc2.holdoutCeiling)}`,
    threshold: `pass ≥ ${t.accuracy2.pass}, review ≥ ${t.accuracy2.review}, fail below`,
    verdict: acc2 ? higher(acc2.synthetic, t.accuracy2) : 'review',
    meaning: '1 − mean total variation over every pair of columns: the share of each two-column table the synthetic data gets right.',
  });

  const sg = f.subgroups;
  if (sg) {
    const all = sg.columns.flatMap((c) => c.groups.map((g) => ({ c, g })));
    const flagged = all.filter((x) => x.g.flag === 'low' || x.g.flag === 'absent' || x.g.distorted);
    // Fail only on what a steward should act on: a group of >= subgroupFailShare of the rows that the
    // synthetic data erased, or describes worse than ignoring it would. 'low' alone is the degradation DP
    // synthesizers show on healthy runs (docs/evaluation.md): review.
    const broken = flagged.filter((x) => (x.g.flag === 'absent' || x.g.distorted) && x.g.realShare >= t.subgroupFailShare);
    const distorted = all.filter((x) => x.g.distorted).length;
    out.push({
      id: 'subgroups',
      group: 'fidelity',
      label: 'Subgroup fidelity',
      value: `${flagged.length} of ${all.length} subgroups flagged${distorted ? `, ${distorted} distorted` : ''}${broken.length ? ` (${broken.map((x) => `${x.c.column}=${x.g.code}`).slice(0, 3).join(', ')}${broken.length > 3 ? ', …' : ''} ≥ ${pct(t.subgroupFailShare, 0)} of rows)` : ''}`,
      reference: 'each subgroup against the same columns over all rows, its sampling floor, and the whole table’s rows as a stand-in for it',
      threshold: `pass: none flagged; fail: a subgroup holding ≥ ${pct(t.subgroupFailShare, 0)} of the rows is absent or distorted; review otherwise (rules under Subgroup fidelity)`,
      verdict: flagged.length === 0 ? 'pass' : broken.length ? 'fail' : 'review',
      meaning: 'Whether every group (each value of the categorical columns) is represented about as faithfully as the table as a whole; fail when a sizeable group is erased or misrepresented.',
    });
  } else {
    out.push({ id: 'subgroups', group: 'fidelity', label: 'Subgroup fidelity', value: 'not measured', reference: 'no subgroup column chosen', threshold: 'pass: no subgroup flagged', verdict: 'review', meaning: 'Whether every group is represented about as faithfully as the table as a whole.' });
  }

  const u = r.utility;
  const useAuc = !!u && u.tstr.auc !== null && u.trtr.auc !== null;
  const gap = u ? (useAuc ? (u.trtr.auc as number) - (u.tstr.auc as number) : u.trtr.accuracy - u.tstr.accuracy) : null;
  out.push({
    id: 'utility',
    group: 'utility',
    label: 'ML utility (TSTR vs TRTR)',
    value: u ? `${useAuc ? 'AUC' : 'accuracy'} ${fmt(useAuc ? u.tstr.auc : u.tstr.accuracy)}` : 'not measured',
    reference: u ? `trained on real rows: ${fmt(useAuc ? u.trtr.auc : u.trtr.accuracy)} (predicting ${u.target})` : 'no target column',
    threshold: `gap to real: ${lowerText(t.utilityGap, (v) => fmt(v, 2))}`,
    verdict: gap === null ? 'review' : lower(gap, t.utilityGap),
    meaning: 'A model trained on the synthetic data and tested on real rows, against the same model trained on real rows.',
  });
  out.push({
    id: 'discriminator',
    group: 'fidelity',
    label: 'Real vs synthetic discriminator',
    value: `AUC ${fmt(r.privacy.discriminatorAuc)}`,
    reference: '0.5 = indistinguishable',
    threshold: lowerText(t.discriminatorAuc, (v) => fmt(v, 2)),
    verdict: lower(r.privacy.discriminatorAuc, t.discriminatorAuc),
    meaning: 'How well a classifier tells real rows from synthetic ones.',
  });

  // The evaluated data's own figures; without them, every silo's, each criterion at its worst silo.
  const own = r.privacy.risk;
  const silos = own ? [own] : r.privacy.riskPerSilo;
  const judged = silos.length ? silos.map((f) => ({ f, cs: riskCriteria(r, f, t) })) : [{ f: null, cs: riskCriteria(r, null, t) }];
  judged[0].cs.forEach((_, i) => {
    const all = judged.map((x) => ({ f: x.f, c: x.cs[i] }));
    if (all.length === 1) return out.push(all[0].c);
    const worst = all.reduce((w, x) => (RANK[x.c.verdict] > RANK[w.c.verdict] ? x : w));
    const party = worst.f?.party ?? 'unnamed silo';
    const same = all.every((x) => x.c.verdict === worst.c.verdict);
    return out.push({ ...worst.c, value: `${worst.c.value} (${same ? `${party}; all ${all.length} silos ${worst.c.verdict}` : `${party}, the worst of ${all.length} silos`})` });
  });

  const spent = r.privacySpent;
  const eps = spent?.epsilon;
  const delta = spent?.delta;
  const deltaOk = delta !== undefined && delta < 1 / Math.max(1, r.rows.real);
  const epsVerdict = eps === undefined ? 'review' : lower(eps, t.epsilon);
  out.push({
    id: 'guarantee',
    group: 'guarantee',
    label: 'Formal guarantee (differential privacy)',
    value: eps === undefined ? 'not supplied' : `ε = ${fmt(eps, 2)}, δ = ${delta === undefined ? 'n/a' : delta.toExponential(0)}${rhoText(spent)}`,
    reference: `δ against 1/rows = ${(1 / Math.max(1, r.rows.real)).toExponential(1)}`,
    threshold: `${lowerText(t.epsilon, (v) => `ε ${v}`)}; a pass also needs δ < 1/rows`,
    verdict: epsVerdict === 'pass' && !deltaOk ? 'review' : epsVerdict,
    meaning: 'The proven bound on what any attacker can learn about one person from everything released, whatever the attack.',
  });
  const verdict: Verdict = out.some((c) => c.verdict === 'fail') ? 'fail' : out.some((c) => c.verdict === 'review') ? 'review' : 'pass';
  return { verdict, criteria: out };
}
