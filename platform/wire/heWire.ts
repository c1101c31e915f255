// heWire: converts the homomorphic-mode messages of shared/he (contributions, aggregates, BFV
// parameters, decrypted sums, and their chunks) to and from their protocol-v1 forms.
import type { HeCiphertexts } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { HeDecryptReply, HeDecryptRequest, HeParameters as WireHeParameters } from '../../proto/generated/fedsynth/custodian/v1/custodian.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { chooseHeParams, type HeParams } from '../../shared/he/HeParameters.js';
import type { HeAggregate } from '../../shared/he/HeMessages.js';
import { DEFAULT_MAX_CHUNK_BYTES, type HeChunk } from '../../shared/he/HeChunk.js';
import type { HeDecryptRequestChunk, HeSumChunk } from '../../shared/he/HeDecryptChunks.js';
import { aggregateDigest, sumDigest } from '../../shared/he/HeDecryptDigest.js';
import { packByBytes } from '../../shared/he/packByBytes.js';

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b);
const SIGNATURE_BYTES = 64;

function violation(field: string, message: string): FedsynthError {
  return new FedsynthError(ErrorCode.ProtocolViolation, `${field}: ${message}`, { field });
}

/**
 * The BFV parameters of a round, derived by coordinator, agents and custodian alike from
 * compute.modulus_bits: sums are exact for |sum| < 2^(bits-1), at least the range masking gives
 * with the same modulus, and each party's value is bounded like an int of that width. Modulus 64
 * is refused (HE supports |sum| < 2^48 only: chooseHeParams).
 */
export function heParamsOfRound(modulusBits: number): { params: HeParams; maxAbsValue: bigint } {
  const bits = modulusBits === 64 ? 64 : 32;
  const maxAbs = (1n << BigInt(bits - 1)) - 1n;
  return { params: chooseHeParams(maxAbs), maxAbsValue: maxAbs };
}

export function heParamsToWire(p: HeParams): WireHeParameters {
  return { polyModulusDegree: p.polyModulusDegree, plainModulusBits: p.plainModulusBits };
}

/** Parameters from the wire: N must be 4096 or 8192, the plain modulus 20..50 bits. */
export function heParamsFromWire(p: WireHeParameters | undefined, field = 'params'): HeParams {
  if (!p) throw violation(field, 'is missing');
  if (p.polyModulusDegree !== 4096 && p.polyModulusDegree !== 8192) throw violation(`${field}.poly_modulus_degree`, `must be 4096 or 8192, got ${p.polyModulusDegree}`);
  if (!Number.isInteger(p.plainModulusBits) || p.plainModulusBits < 20 || p.plainModulusBits > 50) {
    throw violation(`${field}.plain_modulus_bits`, `must be 20..50, got ${p.plainModulusBits}`);
  }
  return { polyModulusDegree: p.polyModulusDegree, plainModulusBits: p.plainModulusBits };
}

/**
 * One chunk of a party's contribution as RoundReply.he_ciphertexts (shared/he/HeChunk.ts). Round,
 * party and vector length are not sent: the receiver knows them (party from the TLS certificate).
 */
export function chunkToWire(c: HeChunk): HeCiphertexts {
  return {
    ciphertexts: c.ciphertexts.map(buf),
    signature: c.signature ? buf(c.signature) : Buffer.alloc(0),
    chunkIndex: c.index,
    chunkCount: c.count,
    ciphertextCount: c.ciphertextCount,
  };
}

/** A chunk from the wire; framing and totals are checked by shared/he HeChunkAssembler. */
export function chunkFromWire(w: HeCiphertexts): HeChunk {
  const field = 'round_reply.he_ciphertexts';
  if (w.ciphertexts.length === 0) throw violation(`${field}.ciphertexts`, 'a chunk carries at least one ciphertext');
  if (w.signature.byteLength !== 0 && w.signature.byteLength !== SIGNATURE_BYTES) throw violation(`${field}.signature`, `must be empty or ${SIGNATURE_BYTES} bytes`);
  return {
    index: w.chunkIndex,
    count: w.chunkCount,
    ciphertextCount: w.ciphertextCount,
    ciphertexts: w.ciphertexts.map(bytes),
    ...(w.signature.byteLength > 0 ? { signature: bytes(w.signature) } : {}),
  };
}

/** The smallest reply chunk the custodian sends (a coordinator asking for less gets this). */
export const MIN_REPLY_CHUNK_BYTES = 1024;

/**
 * The coordinator's aggregate as the chunks of ONE decrypt request (proto HeDecryptRequest):
 * whole ciphertexts, at most `maxChunkBytes` ciphertext bytes per chunk unless a chunk is a single
 * ciphertext; every chunk repeats the header and the digest of the whole aggregate.
 */
export function aggregateToWireChunks(
  keyId: string,
  threshold: number,
  agg: HeAggregate,
  maxChunkBytes: number = DEFAULT_MAX_CHUNK_BYTES,
  maxReplyChunkBytes = 0,
): HeDecryptRequest[] {
  const digest = buf(aggregateDigest(keyId, threshold, agg));
  const groups = packByBytes(agg.ciphertexts, maxChunkBytes);
  return groups.map((cts, chunkIndex) => ({
    keyId,
    roundId: agg.roundId,
    contributors: [...agg.contributors],
    threshold,
    vectorLength: agg.vectorLength,
    ciphertexts: cts.map(buf),
    chunkIndex,
    chunkCount: groups.length,
    ciphertextCount: agg.ciphertexts.length,
    digest,
    maxReplyChunkBytes,
    chargeKey: agg.chargeKey ?? '',
  }));
}

/** A decrypt-request chunk as it arrives at the custodian; framing, totals and digest are checked by custodian/HeDecryptAssembler. */
export function decryptRequestChunkFromWire(w: HeDecryptRequest): HeDecryptRequestChunk {
  return {
    keyId: w.keyId,
    roundId: w.roundId,
    contributors: [...w.contributors],
    threshold: w.threshold,
    vectorLength: w.vectorLength,
    ciphertexts: w.ciphertexts,
    index: w.chunkIndex,
    count: w.chunkCount,
    ciphertextCount: w.ciphertextCount,
    digest: w.digest,
    maxReplyChunkBytes: w.maxReplyChunkBytes,
    chargeKey: w.chargeKey,
  };
}

/** A decrypted-sum chunk as it arrives at the coordinator; checked by coordinator/custodian/HeSumAssembler. */
export function sumChunkFromWire(w: HeDecryptReply): HeSumChunk {
  return { roundId: w.roundId, sum: w.sum, index: w.chunkIndex, count: w.chunkCount, vectorLength: w.vectorLength, digest: w.digest };
}

/**
 * A decrypted sum (little-endian int64 bytes) as reply chunks of whole values, at most
 * max(MIN_REPLY_CHUNK_BYTES, maxChunkBytes) bytes each, every one carrying the whole sum's digest.
 */
export function sumToWireChunks(roundId: string, sum: Uint8Array, maxChunkBytes: number): HeDecryptReply[] {
  const per = Math.max(MIN_REPLY_CHUNK_BYTES, Math.floor(maxChunkBytes / 8) * 8);
  const chunkCount = Math.max(1, Math.ceil(sum.byteLength / per));
  const digest = buf(sumDigest(roundId, sum));
  const vectorLength = sum.byteLength / 8;
  return Array.from({ length: chunkCount }, (_, chunkIndex) => ({
    roundId,
    sum: buf(sum.subarray(chunkIndex * per, Math.min(sum.byteLength, (chunkIndex + 1) * per))),
    chunkIndex,
    chunkCount,
    vectorLength,
    digest,
  }));
}

/** A decrypted sum as little-endian int64 bytes. */
export function sumToWire(sum: BigInt64Array): Buffer {
  const out = Buffer.alloc(sum.length * 8);
  for (let i = 0; i < sum.length; i++) out.writeBigInt64LE(sum[i], i * 8);
  return out;
}

/** Little-endian int64 bytes as doubles; every element must be a safe integer. */
export function sumFromWire(b: Uint8Array, expectedLength: number, field = 'decrypted.sum'): Float64Array {
  if (b.byteLength !== expectedLength * 8) throw violation(field, `expected ${expectedLength} int64 values, got ${b.byteLength} bytes`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = new Float64Array(expectedLength);
  const lim = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < expectedLength; i++) {
    const v = view.getBigInt64(i * 8, true);
    if (v > lim || v < -lim) throw violation(field, `element ${i} is out of the safe integer range`);
    out[i] = Number(v);
  }
  return out;
}
