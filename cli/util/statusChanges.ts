// statusChanges: what happened between two statuses of a study, as lines an operator reads while
// watching — state changes, decisions, parties going offline or back, dropouts, charges, retries.

/** The fields of a study status the watch compares (summarizeStatus's shape). */
export interface WatchedStatus {
  state: string;
  phase: string;
  roundsDone: number;
  parties: readonly { partyId: string; online: boolean; decision: string; rhoCharged: number; dropped: boolean }[];
  /** The round accounts (absent from an older coordinator). */
  rounds?: readonly { index: number; outcome: string; summary: string }[];
}

/** Lines describing what changed from `prev` (undefined: the first status) to `next`. */
export function statusChanges(prev: WatchedStatus | undefined, next: WatchedStatus): string[] {
  const out: string[] = [];
  if (prev === undefined) {
    out.push(`study is ${next.state}: ${next.phase}; parties ${next.parties.map((p) => `${p.partyId} (${p.decision}${p.online ? ', online' : ', offline'})`).join(', ')}`);
    return out;
  }
  if (prev.state !== next.state) out.push(`state ${prev.state} -> ${next.state}: ${next.phase}`);
  else if (prev.phase !== next.phase && /retry|wait|lack|answered|refus/i.test(next.phase)) out.push(next.phase);
  const before = new Map(prev.parties.map((p) => [p.partyId, p]));
  const charged: string[] = [];
  for (const p of next.parties) {
    const b = before.get(p.partyId);
    if (!b) continue;
    if (b.decision !== p.decision) out.push(`${p.partyId} ${p.decision}`);
    if (b.online && !p.online) out.push(`${p.partyId} went offline`);
    if (!b.online && p.online) out.push(`${p.partyId} is back online`);
    if (!b.dropped && p.dropped) out.push(`${p.partyId} dropped out of a round (its contribution is missing from that sum; the study tolerates it within --dropouts)`);
    if (p.rhoCharged > b.rhoCharged) charged.push(`${p.partyId} +${(p.rhoCharged - b.rhoCharged).toPrecision(3)} (total ${p.rhoCharged.toPrecision(4)})`);
  }
  if (charged.length > 0) out.push(`round ${next.roundsDone} done; rho charged: ${charged.join(', ')}`);
  // A round that charged parties without a release, said when it happens (not only in the final status).
  const was = new Map((prev.rounds ?? []).map((r) => [r.index, r.outcome]));
  for (const r of next.rounds ?? []) {
    if (was.get(r.index) === r.outcome) continue;
    if (r.outcome === 'failed' || r.outcome === 'interrupted' || (r.outcome === 'released' && r.summary.includes('without release'))) out.push(r.summary);
  }
  return out;
}
