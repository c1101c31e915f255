// riskFigures: the report-facing RiskFigures (shared/eval/RiskFigures.ts) of a risk evaluation — the
// figures `fedsynth evaluate --privacy` prints and report.json carries, with raw counts that add across silos.
import type { AttackRisk as ReportAttackRisk, RiskFigures } from '../RiskFigures.js';
import type { RiskFigure, RiskReport } from './evaluateRisk.js';

function rate(successes: number, attacks: number) {
  return { successes, attacks, rate: attacks > 0 ? successes / attacks : 0 };
}

/** One attack in the report's shape (an undefined residual, control at 100%, is shown as risk 0 with interval [0, 1]). */
export function reportAttackRisk(f: RiskFigure): ReportAttackRisk {
  const c = f.counts;
  return {
    risk: f.risk ?? 0,
    ci: f.ci ?? [0, 1],
    confidence: f.confidence,
    attack: rate(c.successes, c.attacks),
    control: rate(c.controlSuccesses, c.controlAttacks),
    baseline: rate(c.baselineSuccesses, c.baselineAttacks),
  };
}

/** Largest DCR counted as "close" in `dcr` (Hamming distance: at most this many differing columns). */
export const DCR_CLOSE = 1;

/** The figures of one silo (`party` null when unnamed, e.g. the CLI). */
export function riskFigures(r: RiskReport, party: string | null): RiskFigures {
  const h = r.closest.histogram;
  const within = (hist: readonly number[]) => hist.slice(0, DCR_CLOSE + 1).reduce((a, b) => a + b, 0) / r.closest.synthRowsCompared;
  const notes = [...r.unavailable];
  for (const [name, f] of [
    ['singling out', r.singlingOut],
    ['linkability', r.linkability],
    ['inference', r.inference],
  ] as const) {
    for (const w of f?.warnings ?? []) notes.push(`${name}: ${w}`);
  }
  return {
    scope: 'silo',
    party,
    trainRows: r.rows.train,
    controlRows: r.rows.control,
    singlingOut: r.singlingOut && reportAttackRisk(r.singlingOut),
    linkability: reportAttackRisk(r.linkability),
    inference: r.inference && {
      ...reportAttackRisk(r.inference),
      column: r.inference.secret,
      perColumn: r.inference.perColumn.map((f) => ({ ...reportAttackRisk(f), column: f.secret })),
    },
    mia: { auc: r.mia.auc, ci: r.mia.ci, method: 'distance (nearest synthetic row)', members: sum(r.mia.members), nonMembers: sum(r.mia.nonMembers) },
    exactMatch: { rate: r.closest.exactMatch.train, controlRate: r.closest.exactMatch.control, synthRows: r.closest.synthRowsCompared },
    dcr: { rate: within(h.train), controlRate: within(h.control), synthRows: r.closest.synthRowsCompared },
    notes,
  };
}

function sum(a: readonly number[]): number {
  return a.reduce((x, y) => x + y, 0);
}
