// RoundConfig: the public parameters of one secure-aggregation round, their validation, and the
// choice of the modulus 2^k from caller-stated bounds so that the masked sum can never wrap.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Public, agreed parameters of one round (every party and the coordinator hold the same). */
export interface RoundConfig {
  /** Unique per round; bound into every signature, AEAD associated data and PRG key. */
  roundId: string;
  /** Party ids in a fixed order (the order decides the sign of each pairwise mask). */
  parties: string[];
  /** Shamir threshold t: the round needs >= t survivors, and t-1 colluders learn nothing. */
  threshold: number;
  /** Length m of every input vector. */
  vectorLength: number;
  /** Work in Z_2^32 or Z_2^64 (see chooseModulusBits). */
  modulusBits: 32 | 64;
  /** SecAgg+ (Bell et al., CCS 2020): number k of neighbours per party; omit for the full graph. */
  neighbours?: number;
  /** Largest |value| a party may submit; parties refuse inputs outside. Defaults to 2^(k-1)/n. */
  maxAbsValue?: bigint;
}

/** Caller-stated bounds used to choose the modulus. */
export interface ValueBounds {
  /** Bound on each party's |value| in every coordinate. */
  maxAbsValue: bigint;
  /** Bound on |sum| in every coordinate (at most parties * maxAbsValue). */
  maxAbsSum: bigint;
}

/**
 * Smallest k in {32, 64} with 2 * maxAbsSum < 2^k. Values are encoded in two's complement mod 2^k
 * and the sum is decoded into [-2^(k-1), 2^(k-1)); it is exact iff the true sum lies there, which
 * |sum| <= maxAbsSum <= 2^(k-1) - 1 guarantees. Parties enforce maxAbsValue on their own inputs.
 */
export function chooseModulusBits(bounds: ValueBounds): 32 | 64 {
  const { maxAbsValue, maxAbsSum } = bounds;
  if (maxAbsValue < 0n || maxAbsSum < maxAbsValue) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'bounds must satisfy 0 <= maxAbsValue <= maxAbsSum', {
      maxAbsValue: String(maxAbsValue),
      maxAbsSum: String(maxAbsSum),
    });
  }
  if (maxAbsSum <= 2n ** 31n - 1n) return 32;
  if (maxAbsSum <= 2n ** 63n - 1n) return 64;
  throw new FedsynthError(ErrorCode.InvalidArgument, '|sum| bound does not fit in Z_2^64', { maxAbsSum: String(maxAbsSum) });
}

/** The per-value bound in force: the configured one, or the largest that cannot overflow n-fold. */
export function effectiveMaxAbsValue(config: RoundConfig): bigint {
  if (config.maxAbsValue !== undefined) return config.maxAbsValue;
  return (2n ** BigInt(config.modulusBits - 1) - 1n) / BigInt(config.parties.length);
}

/** Throws InvalidConfig unless the config is internally consistent. */
export function validateRoundConfig(config: RoundConfig): void {
  const bad = (msg: string, details: Record<string, unknown> = {}): never => {
    throw new FedsynthError(ErrorCode.InvalidConfig, `secagg round config: ${msg}`, { roundId: config.roundId, ...details });
  };
  const n = config.parties.length;
  if (typeof config.roundId !== 'string' || config.roundId.length === 0) bad('roundId must be a non-empty string');
  if (new Set(config.parties).size !== n || config.parties.some((p) => typeof p !== 'string' || p.length === 0)) {
    bad('party ids must be distinct non-empty strings');
  }
  if (n < 2) bad('need at least 2 parties', { parties: n });
  if (config.modulusBits !== 32 && config.modulusBits !== 64) bad('modulusBits must be 32 or 64');
  if (!Number.isInteger(config.vectorLength) || config.vectorLength < 1) bad('vectorLength must be a positive integer');
  if (config.neighbours !== undefined) {
    const k = config.neighbours;
    if (!Number.isInteger(k) || k < 1 || k > n - 1) bad('neighbours must be an integer in [1, n-1]', { neighbours: k });
    if (k + 1 > 255) bad('a neighbourhood may hold at most 255 parties (Shamir over GF(2^8))');
  } else if (n > 255) {
    bad('the full graph supports at most 255 parties; set neighbours (SecAgg+)', { parties: n });
  }
  if (!Number.isInteger(config.threshold) || config.threshold < 2 || config.threshold > n) {
    bad('threshold must be an integer in [2, n]', { threshold: config.threshold });
  }
  // Privacy needs t > n/2 against a malicious coordinator; honest-but-curious needs t >= 2 only.
  const maxAbs = effectiveMaxAbsValue(config);
  if (maxAbs < 0n || maxAbs * BigInt(n) > 2n ** BigInt(config.modulusBits - 1) - 1n) {
    bad('n * maxAbsValue must stay below 2^(k-1): the sum could wrap', { maxAbsValue: String(maxAbs) });
  }
}
