// permanentRefusal: tells a coordinator refusal that retrying cannot cure (wrong CA, revoked or
// wrong-role certificate, a second agent with this kit) from a transient network failure.
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

/** The coordinator's typed refusals of this agent's identity. */
const IDENTITY_CODES: ReadonlySet<string> = new Set([ErrorCode.Unauthenticated, ErrorCode.CertificateRevoked, ErrorCode.PermissionDenied, ErrorCode.DuplicateIdentity, ErrorCode.ProtocolVersionMismatch]);

/** What the operator should do about each refusal (the fatal log line and the CLI message say it). */
const REMEDY: Partial<Record<string, string>> = {
  [ErrorCode.Unauthenticated]: 'the coordinator does not accept this kit: check that it was issued by the consortium CA (fedsynth pki issue) and that party.kit points at it',
  [ErrorCode.CertificateRevoked]: "this kit's certificate is revoked: ask the consortium's CA operator for a new kit (fedsynth pki issue)",
  [ErrorCode.PermissionDenied]: 'this kit is not a party kit: start the agent with the kit issued for this party (--role party)',
  [ErrorCode.DuplicateIdentity]: 'another agent with this kit is connected: stop one of them (one running agent per party)',
  [ErrorCode.ProtocolVersionMismatch]: 'install the same fedsynth release as the coordinator (docs/protocol.md, Versions)',
};

/** A TLS failure verifying the coordinator's certificate (a kit of another CA, or a wrong address). */
const TLS_VERIFY = /certificate|unable to verify|unable to get (local )?issuer|self[- ]signed|CERT_/i;

/** The fatal error for a refusal typed `code` (by status metadata or an error frame), or undefined if not an identity refusal. */
export function identityRefusal(code: string, message: string): FedsynthError | undefined {
  if (!IDENTITY_CODES.has(code)) return undefined;
  return new FedsynthError(code as ErrorCode, `the coordinator refused this agent: ${message}; ${REMEDY[code] ?? ''}`.trim());
}

/** The permanent refusal behind a failed stream, or undefined when it may be transient (retry). */
export function permanentRefusal(e: Partial<grpc.ServiceError>): FedsynthError | undefined {
  const details = String(e.details ?? e.message ?? '');
  const typed = e.metadata?.get?.('fedsynth-code')?.[0];
  if (typeof typed === 'string') {
    const refusal = identityRefusal(typed, details.startsWith(`${typed}: `) ? details.slice(typed.length + 2) : details);
    if (refusal) return refusal;
  }
  if (e.code === grpc.status.UNAUTHENTICATED) return identityRefusal(ErrorCode.Unauthenticated, details);
  if (e.code === grpc.status.PERMISSION_DENIED) return identityRefusal(ErrorCode.PermissionDenied, details);
  if (e.code === grpc.status.UNAVAILABLE && TLS_VERIFY.test(details)) {
    return new FedsynthError(
      ErrorCode.Unauthenticated,
      `the TLS handshake with the coordinator failed verifying its certificate (${details}): this kit's ca.pem is not the consortium CA that signed the coordinator's certificate, or coordinator.address names another server; use the kit issued by the consortium's CA`,
    );
  }
  return undefined;
}
