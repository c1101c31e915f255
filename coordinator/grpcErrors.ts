// grpcErrors: turns typed fedsynth errors into gRPC statuses at the edge (code in metadata and
// message); anything unknown becomes INTERNAL with no internals leaked.
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, isFedsynthError, FedsynthError, type ErrorCode as Code } from '../shared/errors/FedsynthError.js';
import { isMalformed, tolerantService } from '../platform/grpc/tolerantDecoding.js';

const STATUS: Partial<Record<Code, grpc.status>> = {
  [ErrorCode.InvalidArgument]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidConfig]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidDomain]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.InvalidPrivacyParameter]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.SpecInfeasible]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.UnknownStudy]: grpc.status.NOT_FOUND,
  [ErrorCode.NotFound]: grpc.status.NOT_FOUND,
  [ErrorCode.Unauthenticated]: grpc.status.UNAUTHENTICATED,
  [ErrorCode.CertificateRevoked]: grpc.status.UNAUTHENTICATED,
  [ErrorCode.OutOfStep]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.ProtocolViolation]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.BudgetExceeded]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.PolicyRefused]: grpc.status.PERMISSION_DENIED,
  [ErrorCode.PermissionDenied]: grpc.status.PERMISSION_DENIED,
};

export function toGrpcError(e: unknown): Partial<grpc.StatusObject> & Error {
  const md = new grpc.Metadata();
  if (isFedsynthError(e)) {
    md.set('fedsynth-code', e.code);
    const err = new Error(`${e.code}: ${e.message}`) as Error & Partial<grpc.StatusObject>;
    err.code = STATUS[e.code] ?? grpc.status.UNKNOWN;
    err.details = `${e.code}: ${e.message}`;
    err.metadata = md;
    return err;
  }
  md.set('fedsynth-code', ErrorCode.Internal);
  const err = new Error('INTERNAL: internal error') as Error & Partial<grpc.StatusObject>;
  err.code = grpc.status.INTERNAL;
  err.details = 'INTERNAL: internal error';
  err.metadata = md;
  return err;
}

/** Client side: rebuilds a FedsynthError from a gRPC error carrying `fedsynth-code`. */
export function fromGrpcError(e: unknown): FedsynthError {
  const se = e as grpc.ServiceError;
  const code = se?.metadata?.get?.('fedsynth-code')?.[0];
  const details = typeof se?.details === 'string' ? se.details : String((e as Error)?.message ?? e);
  if (typeof code === 'string') {
    const msg = details.startsWith(`${code}: `) ? details.slice(code.length + 2) : details;
    return new FedsynthError(code as Code, msg);
  }
  if (se?.code === grpc.status.UNAVAILABLE) return new FedsynthError(ErrorCode.SourceUnavailable, `coordinator unreachable: ${details}`);
  return new FedsynthError(ErrorCode.Internal, details);
}

/**
 * A service ready for addService whose malformed frames get a typed status (PROTOCOL_VIOLATION in
 * `fedsynth-code`, INVALID_ARGUMENT) instead of grpc-js's bare INTERNAL: tolerant decoders, and
 * unary and server-streaming handlers that refuse a malformed request before running. Handlers of
 * client streams must check each message with isMalformed themselves.
 */
export function typedDecodeErrors<S extends grpc.ServiceDefinition, I extends grpc.UntypedServiceImplementation>(definition: S, impl: I): [S, I] {
  const out: grpc.UntypedServiceImplementation = { ...impl };
  for (const [name, m] of Object.entries(definition) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    if (m.requestStream) continue;
    if (m.responseStream) {
      const handler = impl[name] as grpc.handleServerStreamingCall<unknown, unknown>;
      out[name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        if (isMalformed(call.request)) call.emit('error', toGrpcError(call.request.toError()));
        else handler(call);
      };
    } else {
      const handler = impl[name] as grpc.handleUnaryCall<unknown, unknown>;
      out[name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        if (isMalformed(call.request)) callback(toGrpcError(call.request.toError()));
        else handler(call, callback);
      };
    }
  }
  return [tolerantService(definition), out as I];
}
