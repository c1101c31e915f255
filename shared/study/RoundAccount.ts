// RoundAccount: what each round of a study cost the parties and whether its aggregate came back,
// from the coordinator's journal of round attempts and released sums (status, console, ledgers).

/** One attempt at a round as the coordinator journaled it (agents charge before they answer the compute stage). */
export interface RoundAttempt {
  readonly roundIndex: number;
  readonly attempt: number;
  readonly roundId: string;
  readonly label: string;
  readonly rho: number;
  /** The key every agent charges this attempt under (idempotent: the same key is one charge). */
  readonly chargeKey: string;
  readonly asked: readonly string[];
  /** Parties that answered the compute stage, i.e. confirmed their charge. */
  readonly charged: readonly string[];
  readonly outcome: 'running' | 'released' | 'failed';
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** A released round as journaled (its survivors' contributions are in the sum). */
export interface ReleasedRound {
  readonly roundIndex: number;
  readonly label: string;
  readonly rho: number;
  readonly participants: readonly string[];
}

export type RoundOutcomeName = 'released' | 'failed' | 'in_progress' | 'interrupted';

/** One round, all its attempts together. */
export interface RoundAccount {
  /** 0-based, as journaled (shown 1-based). */
  readonly roundIndex: number;
  readonly label: string;
  readonly rho: number;
  readonly outcome: RoundOutcomeName;
  readonly attempts: number;
  readonly asked: readonly string[];
  readonly charged: readonly string[];
  readonly releasedTo: readonly string[];
  /** Distinct (party, charge key) charges confirmed. */
  readonly charges: number;
  /** Per party: rho charged in this round that is in no released sum. */
  readonly unreleasedRho: ReadonlyMap<string, number>;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly summary: string;
}

const list = (ps: readonly string[]): string => ps.join(', ');

/**
 * Groups `attempts` by round and joins them with the released rounds. `live` says the study is
 * still running: a `running` attempt is then in progress, otherwise it was interrupted (the
 * coordinator stopped, or the study ended, during the round) and its charges were not released.
 * Each party's unreleased rho in a round is rho times its distinct charge keys, less the one
 * in the released sum when it is among the survivors (a party dropped after its charge paid for nothing).
 */
export function roundAccounts(attempts: readonly RoundAttempt[], released: readonly ReleasedRound[], live: boolean): RoundAccount[] {
  const byIndex = new Map<number, RoundAttempt[]>();
  for (const a of attempts) byIndex.set(a.roundIndex, [...(byIndex.get(a.roundIndex) ?? []), a]);
  const journal = new Map(released.map((r) => [r.roundIndex, r]));
  const indices = [...new Set([...byIndex.keys(), ...journal.keys()])].sort((a, b) => a - b);
  return indices.map((index) => {
    const tries = (byIndex.get(index) ?? []).slice().sort((a, b) => a.attempt - b.attempt);
    const rel = journal.get(index);
    const last = tries[tries.length - 1];
    const label = rel?.label ?? last.label;
    const rho = rel?.rho ?? last.rho;
    const keys = new Map<string, Set<string>>();
    for (const t of tries) for (const p of t.charged) keys.set(p, (keys.get(p) ?? new Set()).add(t.chargeKey));
    const releasedTo = rel ? [...rel.participants].sort() : [];
    const outcome: RoundOutcomeName = rel ? 'released' : last.outcome === 'running' ? (live ? 'in_progress' : 'interrupted') : 'failed';
    const unreleasedRho = new Map<string, number>();
    if (outcome !== 'in_progress') {
      for (const [p, ks] of keys) {
        const extra = ks.size - (releasedTo.includes(p) ? 1 : 0);
        if (extra > 0) unreleasedRho.set(p, extra * rho);
      }
    }
    const charged = [...keys.keys()].sort();
    const asked = [...new Set(tries.flatMap((t) => t.asked))].sort();
    const errorCode = outcome === 'released' ? '' : (last?.errorCode ?? '');
    const errorMessage = outcome === 'released' ? '' : (last?.errorMessage ?? '');
    const head = `round ${index + 1} (${label})`;
    const attemptsNote = tries.length > 1 ? ` after ${tries.length} attempts` : '';
    const chargedNote = charged.length > 0 ? `charged at ${list(charged)}` : `asked ${list(asked)}, no charge confirmed`;
    let summary: string;
    if (outcome === 'released') {
      const paidForNothing = [...unreleasedRho.keys()].sort();
      summary = `${head}: released${attemptsNote}` + (paidForNothing.length > 0 ? `; also charged without release at ${list(paidForNothing)} (dropped out after charging, or an earlier attempt)` : '');
    } else if (outcome === 'in_progress') {
      summary = `${head}: in progress (attempt ${tries.length})` + (charged.length > 0 ? `; charged so far at ${list(charged)}` : '');
    } else if (outcome === 'interrupted') {
      summary = `${head}: ${chargedNote}; not released (interrupted: the coordinator stopped or the study ended during the round)`;
    } else {
      summary = `${head}: ${chargedNote}; not released${attemptsNote}` + (errorCode ? ` (${errorCode}: ${errorMessage})` : '');
    }
    return { roundIndex: index, label, rho, outcome, attempts: tries.length, asked, charged, releasedTo, charges: [...keys.values()].reduce((n, s) => n + s.size, 0), unreleasedRho, errorCode, errorMessage, summary };
  });
}

/** Per party, the rho charged in all rounds that is in no released sum. */
export function unreleasedRhoByParty(accounts: readonly RoundAccount[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of accounts) for (const [p, r] of a.unreleasedRho) out.set(p, (out.get(p) ?? 0) + r);
  return out;
}
