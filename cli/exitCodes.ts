// Exit codes of the `fedsynth` command, one per error family (sysexits-style), stable.
// The stable error code itself is always printed on stderr as `fedsynth: CODE: message`.
import { ErrorCode } from '../shared/errors/FedsynthError.js';

/** Maps a stable error code to the process exit code. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.InvalidArgument:
      return 64; // EX_USAGE
    case ErrorCode.InvalidConfig:
    case ErrorCode.InvalidData:
    case ErrorCode.InvalidDomain:
    case ErrorCode.InvalidSchema:
      return 65; // EX_DATAERR
    case ErrorCode.NotFound:
      return 66; // EX_NOINPUT
    case ErrorCode.BudgetExceeded:
    case ErrorCode.PolicyRefused:
    case ErrorCode.InvalidPrivacyParameter:
      return 77; // EX_NOPERM
    case ErrorCode.SourceUnavailable:
      return 69; // EX_UNAVAILABLE
    case ErrorCode.VerificationFailed:
    case ErrorCode.AuditChainBroken:
    case ErrorCode.CorruptState:
      return 65;
    default:
      return 70; // EX_SOFTWARE
  }
}
