// computeStage: a domain ComputeStage for unit tests of the agent's round path — every field at its
// zero value (as the wire's fromPartial gives) unless named, the aggregation mode always named.
import type { ComputeStage } from '../../shared/study/ComputeStage.js';

export function computeStage(over: Partial<ComputeStage> & Pick<ComputeStage, 'aggregation'>): ComputeStage {
  return {
    rho: 0,
    perPartySigma2: 0,
    chargeKey: '',
    label: '',
    vectorLength: 0,
    participants: [],
    threshold: 0,
    modulusBits: 0,
    hePublicKey: new Uint8Array(0),
    neighbours: 0,
    maxChunkBytes: 0,
    query: new Uint8Array(0),
    queryChunkCount: 0,
    querySha256: new Uint8Array(0),
    ...over,
  };
}
