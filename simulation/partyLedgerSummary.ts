// partyLedgerSummary: what a comparison's studies charged one simulated party's durable ledger, read
// back from ledger.sqlite and composed per study and over all of them (the report's "ledgers").
import { readLedger, type LedgerCharge } from '../party-agent/ledger/BudgetLedger.js';
import { composeLosses, type PrivacyLoss } from '../shared/dp/accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../shared/dp/accounting/rdpConversion.js';
import type { LedgerStudyCharges, PartyLedgerSummary } from '../shared/eval/ComparisonReport.js';
import type { MechanismName } from '../shared/study/StudySpec.js';

export interface LedgerStudy {
  readonly studyId: string;
  readonly mechanism: MechanismName;
  readonly delta: number;
}

/** The composition of ledger rows (PrivacyLoss: rho parts add, RDP curves add order by order). */
function composed(charges: readonly LedgerCharge[]): PrivacyLoss {
  let loss: PrivacyLoss = { rho: 0 };
  for (const c of charges) loss = composeLosses(loss, c.rdp !== undefined ? { rho: c.rho, rdp: c.rdp } : { rho: c.rho });
  return loss;
}

/**
 * Reads `ledgerFile` and sums, per study, its charges (count, zCDP parts, RDP rows) and the epsilon
 * of their composition at the study's delta; then composes every charge of the comparison and
 * converts at `combinedDelta`. A charge of a study not listed is composed in too (it was spent).
 */
export function partyLedgerSummary(party: string, ledgerFile: string, studies: readonly LedgerStudy[], combinedDelta: number): PartyLedgerSummary {
  const charges = readLedger(ledgerFile);
  const all = composed(charges);
  const perStudy: LedgerStudyCharges[] = studies.map((s) => {
    const mine = charges.filter((c) => c.studyId === s.studyId);
    const loss = composed(mine);
    return {
      studyId: s.studyId,
      mechanism: s.mechanism,
      charges: mine.length,
      rho: loss.rho,
      rdpCharges: mine.filter((c) => c.rdp !== undefined).length,
      epsilon: mine.length === 0 ? 0 : epsilonFromLoss(loss, s.delta),
      delta: s.delta,
    };
  });
  return {
    party,
    studies: perStudy,
    composedEpsilon: charges.length === 0 ? 0 : epsilonFromLoss(all, combinedDelta),
    composedDelta: combinedDelta,
    sumOfStudyEpsilons: perStudy.reduce((s, x) => s + x.epsilon, 0),
  };
}
