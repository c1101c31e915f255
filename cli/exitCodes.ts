// Exit codes of the `fedsynth` command, one per error family (sysexits-style), stable.
// The stable error code itself is always printed on stderr as `fedsynth: CODE: message`.
import { ErrorCode } from '../shared/errors/FedsynthError.js';

/** sysexits.h values used by fedsynth. */
export const EX = { usage: 64, dataErr: 65, noInput: 66, unavailable: 69, software: 70, noPerm: 77 } as const;

/**
 * Every stable error code's exit code (a complete table: a new code does not compile without
 * one). docs/operator-guide.md "Exit codes" lists the same table; a test keeps them equal.
 */
export const EXIT_CODES: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.InvalidArgument]: EX.usage,
  [ErrorCode.InvalidConfig]: EX.dataErr,
  [ErrorCode.InvalidData]: EX.dataErr,
  [ErrorCode.InvalidDomain]: EX.dataErr,
  [ErrorCode.InvalidSchema]: EX.dataErr,
  [ErrorCode.NotFound]: EX.noInput,
  [ErrorCode.BudgetExceeded]: EX.noPerm,
  [ErrorCode.PolicyRefused]: EX.noPerm,
  [ErrorCode.InvalidPrivacyParameter]: EX.noPerm,
  [ErrorCode.SpecRhoMismatch]: EX.software,
  [ErrorCode.SpecBelowPartyTerms]: EX.software,
  [ErrorCode.SpecChanged]: EX.software,
  [ErrorCode.SpecInfeasible]: EX.software,
  [ErrorCode.ProtocolViolation]: EX.software,
  [ErrorCode.OutOfStep]: EX.software,
  [ErrorCode.UnknownStudy]: EX.noInput,
  [ErrorCode.Unauthenticated]: EX.noPerm,
  [ErrorCode.CertificateRevoked]: EX.noPerm,
  [ErrorCode.BadSignature]: EX.software,
  [ErrorCode.TooFewSurvivors]: EX.software,
  [ErrorCode.RoundBindingMismatch]: EX.software,
  [ErrorCode.SurvivorSetMismatch]: EX.software,
  [ErrorCode.ThresholdBelowPlan]: EX.software,
  [ErrorCode.UnsafeNeighbourhood]: EX.software,
  [ErrorCode.HeKeyUnauthenticated]: EX.software,
  [ErrorCode.PermissionDenied]: EX.noPerm,
  [ErrorCode.DuplicateIdentity]: EX.noPerm,
  [ErrorCode.AggregationModeMismatch]: EX.software,
  [ErrorCode.ProtocolVersionMismatch]: EX.unavailable,
  [ErrorCode.CorruptState]: EX.dataErr,
  [ErrorCode.AuditChainBroken]: EX.dataErr,
  [ErrorCode.SourceUnavailable]: EX.unavailable,
  [ErrorCode.ModelTooLarge]: EX.software,
  [ErrorCode.VerificationFailed]: EX.dataErr,
  [ErrorCode.Cancelled]: EX.software,
  [ErrorCode.Internal]: EX.software,
};

/** Maps a stable error code to the process exit code (70 for a code this build does not know). */
export function exitCodeFor(code: ErrorCode): number {
  return EXIT_CODES[code] ?? EX.software;
}
