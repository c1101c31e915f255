// computeRoundConfig: the secure-aggregation RoundConfig of a masking round, derived identically by
// the coordinator and every agent from the round id and the ComputeStage fields it carries.
import type { RoundConfig } from '../secagg/RoundConfig.js';
import { roundNeighbours } from '../secagg/NeighbourhoodPolicy.js';

/** The ComputeStage fields a masking round's configuration depends on. */
export interface MaskingComputeFields {
  participants: readonly string[];
  threshold: number;
  vectorLength: number;
  modulusBits: number;
  /** compute.neighbours: SecAgg+ k; 0 or k >= n - 1 is the full graph. */
  neighbours?: number;
}

export function computeRoundConfig(roundId: string, c: MaskingComputeFields): RoundConfig {
  const neighbours = roundNeighbours(c.neighbours ?? 0, c.participants.length);
  return {
    roundId,
    parties: [...c.participants],
    threshold: c.threshold,
    vectorLength: c.vectorLength,
    modulusBits: c.modulusBits === 64 ? 64 : 32,
    ...(neighbours !== undefined ? { neighbours } : {}),
  };
}
