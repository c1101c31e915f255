// tolerantDecoding: service definitions whose protobuf decoders never throw — a frame that does not
// decode becomes a MalformedFrame value, so the service answers it with a typed fedsynth error.
import type * as grpc from '@grpc/grpc-js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

/**
 * What a tolerant decoder yields for bytes that are not a valid message. grpc-js would otherwise
 * answer them with a bare INTERNAL ("Error deserializing request") and no fedsynth code (server),
 * or cancel the call (client).
 */
export class MalformedFrame {
  constructor(
    /** The message type expected. */
    readonly expected: string,
    /** The decoder's complaint (no frame contents). */
    readonly reason: string,
    readonly bytes: number,
  ) {}

  /** The typed error a service answers with. */
  toError(): FedsynthError {
    return new FedsynthError(ErrorCode.ProtocolViolation, `malformed protobuf frame (${this.bytes} bytes): not a valid ${this.expected}: ${this.reason}`, { field: 'frame' });
  }
}

export function isMalformed(m: unknown): m is MalformedFrame {
  return m instanceof MalformedFrame;
}

function tolerant<T>(decode: (b: Buffer) => T, expected: string): (b: Buffer) => T {
  return (b: Buffer) => {
    try {
      return decode(b);
    } catch (e) {
      return new MalformedFrame(expected, (e as Error).message, b.length) as unknown as T;
    }
  };
}

/**
 * A copy of a generated service definition with both decoders tolerant (use it for the server's
 * addService and for makeGenericClientConstructor). Handlers then receive MalformedFrame values
 * typed as messages: check with isMalformed before use.
 */
export function tolerantService<S extends grpc.ServiceDefinition>(definition: S): S {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(definition) as [string, grpc.MethodDefinition<unknown, unknown>][]) {
    out[name] = {
      ...m,
      requestDeserialize: tolerant(m.requestDeserialize, `${m.path} request`),
      responseDeserialize: tolerant(m.responseDeserialize, `${m.path} response`),
    };
  }
  return out as S;
}
