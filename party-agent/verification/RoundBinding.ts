// RoundBinding: one contribution (charge key) is bound, durably, to ONE round — id, mode, participants,
// threshold, graph — and to the ONE survivor set this party signed for it (Bonawitz et al. CCS'17,
// active-server variant), so a coordinator can never difference two sums over the same noisy vector.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import type { AggregationMode } from '../../shared/study/StudySpec.js';

/** The round facts a contribution is bound to; a crash-resume must repeat them exactly. */
export interface RoundTerms {
  roundId: string;
  aggregation: AggregationMode;
  /** In the round's order (it decides the sign of every pairwise mask). */
  participants: string[];
  threshold: number;
  neighbours: number;
  modulusBits: number;
}

/** The part of AgentStore a binding lives in (SQLite, synchronous = FULL). */
export interface RoundBindingStore {
  bindRound(chargeKey: string, studyId: string, bindingJson: string): { bindingJson: string; survivorsJson: string | undefined };
  roundBinding(chargeKey: string): { bindingJson: string; survivorsJson: string | undefined } | undefined;
  bindSurvivors(chargeKey: string, survivorsJson: string): string | undefined;
}

/** How a compute request relates to what the charge key is bound to. */
export type BindingOutcome =
  /** First time: the key is now bound to this round. */
  | 'bound'
  /** The identical round again (a crash-resume): re-sending the stored contribution is allowed. */
  | 'resumed'
  /** The key's vector went out in plain mode: the coordinator holds it, re-sending adds nothing. */
  | 'released-in-clear';

export function roundTermsOf(roundId: string, stage: ComputeStage): RoundTerms {
  return {
    roundId,
    aggregation: stage.aggregation,
    participants: [...stage.participants],
    threshold: stage.threshold,
    neighbours: stage.neighbours,
    modulusBits: stage.modulusBits,
  };
}

const FIELDS = ['roundId', 'aggregation', 'participants', 'threshold', 'neighbours', 'modulusBits'] as const;

/** The stored form: the FIELDS in order, as a JSON array (the mode by its name). */
function canonical(terms: RoundTerms): string {
  return JSON.stringify(FIELDS.map((f) => terms[f]));
}

/**
 * Bindings stored before the mode was kept by name hold protocol v1's enum number (1 plain,
 * 2 masking, 3 he): read as the name, so a round bound by an older agent still resumes.
 */
const STORED_MODE_NUMBERS: ReadonlyMap<number, AggregationMode> = new Map([
  [1, 'plain'],
  [2, 'masking'],
  [3, 'he'],
]);

function parse(json: string): RoundTerms {
  const v = JSON.parse(json) as unknown[];
  const terms = Object.fromEntries(FIELDS.map((f, i) => [f, v[i]])) as unknown as RoundTerms;
  const mode: unknown = terms.aggregation;
  if (typeof mode !== 'number') return terms;
  const named = STORED_MODE_NUMBERS.get(mode);
  if (named === undefined) throw new FedsynthError(ErrorCode.CorruptState, `a stored round binding names aggregation mode ${mode}`, { roundId: terms.roundId });
  return { ...terms, aggregation: named };
}

/**
 * Binds `chargeKey` to `terms` (durably, before anything is charged or sent) or checks it against
 * the round it is bound to. Throws ROUND_BINDING_MISMATCH for any other round id, mode,
 * participants, threshold, graph or modulus: a new attempt must be a new charge key (a new charge,
 * fresh noise, within the party's budget). A key first released in plain mode is exempt: its
 * vector is already the coordinator's.
 */
export function bindRound(store: RoundBindingStore, studyId: string, chargeKey: string, terms: RoundTerms): BindingOutcome {
  const json = canonical(terms);
  const before = store.roundBinding(chargeKey);
  const stored = before ?? store.bindRound(chargeKey, studyId, json);
  const bound = parse(stored.bindingJson);
  if (canonical(bound) === json) return before ? 'resumed' : 'bound';
  if (bound.aggregation === 'plain') return 'released-in-clear';
  const differs = FIELDS.filter((f) => JSON.stringify(bound[f]) !== JSON.stringify(terms[f]));
  throw new FedsynthError(
    ErrorCode.RoundBindingMismatch,
    `charge key ${chargeKey} is bound to round ${bound.roundId}; this request differs in ${differs.join(', ')} (a new attempt needs a new charge key)`,
    { field: 'compute.charge_key', chargeKey, boundRoundId: bound.roundId, roundId: terms.roundId, differs },
  );
}

/**
 * Records the survivor set this party signs for `chargeKey` (durably, before the signature leaves)
 * or checks it equals the one recorded. Throws SURVIVOR_SET_MISMATCH otherwise: with every honest
 * party doing this and 2t - n > f (shared/secagg/SurvivorThreshold), at most one survivor set can
 * ever gather t signatures for a contribution. Keys released in plain mode are not bound.
 */
export function bindSurvivors(store: RoundBindingStore, chargeKey: string, survivors: readonly string[]): void {
  const binding = store.roundBinding(chargeKey);
  if (!binding) {
    throw new FedsynthError(ErrorCode.RoundBindingMismatch, `no round is bound to charge key ${chargeKey}`, { field: 'consistency.survivors', chargeKey });
  }
  if (parse(binding.bindingJson).aggregation === 'plain') return;
  const json = JSON.stringify([...survivors].sort());
  const stored = store.bindSurvivors(chargeKey, json);
  if (stored !== json) {
    const signed = JSON.parse(stored ?? '[]') as string[];
    const now = new Set(survivors);
    throw new FedsynthError(ErrorCode.SurvivorSetMismatch, `charge key ${chargeKey} was signed for another survivor set (${signed.length} parties); this round names ${survivors.length}`, {
      field: 'consistency.survivors',
      chargeKey,
      missing: signed.filter((p) => !now.has(p)),
      added: survivors.filter((p) => !signed.includes(p)),
    });
  }
}
