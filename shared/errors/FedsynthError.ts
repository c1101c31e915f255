// FedsynthError: the base of every typed error in fedsynth, with a stable machine-readable code.
// Codes are part of the public contract (CLI stderr, gRPC status details): never rename one.

/** Stable error codes. Add new codes at the end of a group; never reuse or rename. */
export const ErrorCode = {
  // usage and input
  InvalidArgument: 'INVALID_ARGUMENT',
  InvalidConfig: 'INVALID_CONFIG',
  InvalidData: 'INVALID_DATA',
  InvalidDomain: 'INVALID_DOMAIN',
  InvalidSchema: 'INVALID_SCHEMA',
  NotFound: 'NOT_FOUND',
  // privacy
  BudgetExceeded: 'BUDGET_EXCEEDED',
  PolicyRefused: 'POLICY_REFUSED',
  InvalidPrivacyParameter: 'INVALID_PRIVACY_PARAMETER',
  /** A study's rho is not what this party derives from its approved (epsilon, delta). */
  SpecRhoMismatch: 'SPEC_RHO_MISMATCH',
  /** A study's colluders, dropouts or maxSilosPerIndividual are below this party's own terms. */
  SpecBelowPartyTerms: 'SPEC_BELOW_PARTY_TERMS',
  /** A study's spec differs from the one this party was shown, reviewed or approved (spec hash). */
  SpecChanged: 'SPEC_CHANGED',
  /** A study that could not finish (too many rows, fewer invited parties than a round needs). */
  SpecInfeasible: 'SPEC_INFEASIBLE',
  // protocol and identity
  ProtocolViolation: 'PROTOCOL_VIOLATION',
  OutOfStep: 'OUT_OF_STEP',
  UnknownStudy: 'UNKNOWN_STUDY',
  Unauthenticated: 'UNAUTHENTICATED',
  CertificateRevoked: 'CERTIFICATE_REVOKED',
  BadSignature: 'BAD_SIGNATURE',
  TooFewSurvivors: 'TOO_FEW_SURVIVORS',
  /** An HE public key without a valid endorsement by a consortium custodian certificate. */
  HeKeyUnauthenticated: 'HE_KEY_UNAUTHENTICATED',
  /** An authenticated identity whose certificate role may not make this call. */
  PermissionDenied: 'PERMISSION_DENIED',
  /** A charge key asked again under another round id, participant list, mode or threshold (party/verification/RoundBinding). */
  RoundBindingMismatch: 'ROUND_BINDING_MISMATCH',
  /** A survivor (or contributor) set other than the one already signed or decrypted for a charge key. */
  SurvivorSetMismatch: 'SURVIVOR_SET_MISMATCH',
  /** A round's survivor threshold t below what the noise plan and the signed consistency check need. */
  ThresholdBelowPlan: 'THRESHOLD_BELOW_PLAN',
  /** A SecAgg+ graph (k, neighbourhood threshold) below the safe parameters for the round. */
  UnsafeNeighbourhood: 'UNSAFE_NEIGHBOURHOOD',
  /** A second live connection under an identity that is already connected (two agents, one kit). */
  DuplicateIdentity: 'DUPLICATE_IDENTITY',
  /** A peer speaking another consortium protocol version (shared/study/protocolVersion.ts): upgrade one side. */
  ProtocolVersionMismatch: 'PROTOCOL_VERSION_MISMATCH',
  /** A round whose aggregation mode is not the one this party approved for the study (nor allowed by its policy). */
  AggregationModeMismatch: 'AGGREGATION_MODE_MISMATCH',
  // storage and environment
  CorruptState: 'CORRUPT_STATE',
  AuditChainBroken: 'AUDIT_CHAIN_BROKEN',
  SourceUnavailable: 'SOURCE_UNAVAILABLE',
  ModelTooLarge: 'MODEL_TOO_LARGE',
  VerificationFailed: 'VERIFICATION_FAILED',
  Cancelled: 'CANCELLED',
  Internal: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class: `code` is stable, `details` is structured and safe to show (never raw rows). */
export class FedsynthError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'FedsynthError';
    this.code = code;
    this.details = details;
  }
}

/** True when `e` is a FedsynthError (also across module copies, by duck typing on `code`). */
export function isFedsynthError(e: unknown): e is FedsynthError {
  return (
    e instanceof FedsynthError ||
    (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string' && (e as { name?: unknown }).name === 'FedsynthError')
  );
}
