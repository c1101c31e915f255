// studySpecWire: the one conversion between the wire StudySpec (proto, enums) and the domain
// StudySpec (shared/study), used where a spec enters or leaves a service (operator API, store, announcements).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { AggregationMode, MechanismName, StudySpec } from '../../shared/study/StudySpec.js';
import { Aggregation, Mechanism, StudySpec as WireStudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

const MECHANISMS: ReadonlyMap<Mechanism, MechanismName> = new Map([
  [Mechanism.MECHANISM_MST, 'mst'],
  [Mechanism.MECHANISM_AIM, 'aim'],
  [Mechanism.MECHANISM_DPSGD, 'dpsgd'],
]);

const AGGREGATIONS: ReadonlyMap<Aggregation, AggregationMode> = new Map([
  [Aggregation.AGGREGATION_PLAIN, 'plain'],
  [Aggregation.AGGREGATION_MASKING, 'masking'],
  [Aggregation.AGGREGATION_HE, 'he'],
]);

/** The domain mechanism of a wire enum value; INVALID_ARGUMENT naming `field` for UNSPECIFIED or unknown values. */
export function mechanismFromWire(m: Mechanism, field = 'mechanism'): MechanismName {
  const name = MECHANISMS.get(m);
  if (name === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `${field}: unknown mechanism ${m}`, { field });
  return name;
}

/**
 * The domain aggregation mode of a wire enum value; for UNSPECIFIED or unknown values throws `code`
 * (INVALID_ARGUMENT unless the caller says otherwise) naming `field`, never a default.
 */
export function aggregationFromWire(a: Aggregation, field = 'aggregation', code: ErrorCode = ErrorCode.InvalidArgument): AggregationMode {
  const mode = AGGREGATIONS.get(a);
  if (mode === undefined) throw new FedsynthError(code, `${field}: aggregation mode ${Aggregation[a] ?? a} is not supported`, { field });
  return mode;
}

export function mechanismToWire(m: MechanismName): Mechanism {
  return m === 'aim' ? Mechanism.MECHANISM_AIM : m === 'dpsgd' ? Mechanism.MECHANISM_DPSGD : Mechanism.MECHANISM_MST;
}

export function aggregationToWire(a: AggregationMode): Aggregation {
  return a === 'plain' ? Aggregation.AGGREGATION_PLAIN : a === 'masking' ? Aggregation.AGGREGATION_MASKING : Aggregation.AGGREGATION_HE;
}

/**
 * The domain spec of a wire spec (every field kept; enums checked). A `dpsgd` spec without
 * training terms, or training terms on another mechanism, is INVALID_ARGUMENT naming spec.training.
 */
export function studySpecFromWire(w: WireStudySpec): StudySpec {
  const { training, evaluationRho, ...rest } = w;
  const mechanism = mechanismFromWire(w.mechanism, 'spec.mechanism');
  if ((mechanism === 'dpsgd') !== (training !== undefined)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `spec.training: ${mechanism === 'dpsgd' ? 'a dpsgd study needs its training terms' : `mechanism ${mechanism} takes no training terms`}`, { field: 'spec.training' });
  }
  return {
    ...rest,
    mechanism,
    aggregation: aggregationFromWire(w.aggregation, 'spec.aggregation'),
    columns: [...w.columns],
    domain: w.domain.map((c) => ({ name: c.name, size: c.size })),
    ...(training !== undefined ? { training: { ...training, hidden: [...training.hidden] } } : {}),
    ...(evaluationRho !== 0 ? { evaluationRho } : {}),
  };
}

/** The wire spec of a domain spec; studySpecFromWire(studySpecToWire(s)) equals s. */
export function studySpecToWire(s: StudySpec): WireStudySpec {
  return {
    studyId: s.studyId,
    title: s.title,
    mechanism: mechanismToWire(s.mechanism),
    epsilon: s.epsilon,
    delta: s.delta,
    rho: s.rho,
    columns: [...s.columns],
    domain: s.domain.map((c) => ({ name: c.name, size: c.size })),
    aggregation: aggregationToWire(s.aggregation),
    minParties: s.minParties,
    colluders: s.colluders,
    dropouts: s.dropouts,
    syntheticRows: s.syntheticRows,
    domainHash: s.domainHash,
    maxSilosPerIndividual: s.maxSilosPerIndividual,
    targetColumn: s.targetColumn,
    schemaJson: s.schemaJson,
    neighbours: s.neighbours,
    training: s.training !== undefined ? { ...s.training, hidden: [...s.training.hidden] } : undefined,
    evaluationRho: s.evaluationRho ?? 0,
  };
}

/** The stored form of a spec (proto3 JSON text, as in coordinator.sqlite and manifest.json `study`). */
export function studySpecToJson(s: StudySpec): Record<string, unknown> {
  return WireStudySpec.toJSON(studySpecToWire(s)) as Record<string, unknown>;
}

/** A spec read back from its stored proto3 JSON value (enum names or numbers; enums checked). */
export function studySpecFromJson(value: unknown): StudySpec {
  return studySpecFromWire(WireStudySpec.fromJSON(value));
}

/** A spec read back from its stored proto3 JSON text. */
export function studySpecFromJsonText(text: string): StudySpec {
  return studySpecFromJson(JSON.parse(text));
}
