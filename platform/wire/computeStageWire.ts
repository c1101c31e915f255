// computeStageWire: the one conversion between the wire ComputeStage (proto) and the domain
// ComputeStage (shared/study), used where a round's compute stage leaves or enters a service.
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import type { ComputeStage as WireComputeStage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { aggregationFromWire, aggregationToWire } from './studySpecWire.js';

/** The wire stage of a domain stage; computeStageFromWire(computeStageToWire(c)) equals c. */
export function computeStageToWire(c: ComputeStage): WireComputeStage {
  const e = c.heKeyEndorsement;
  return {
    rho: c.rho,
    perPartySigma2: c.perPartySigma2,
    chargeKey: c.chargeKey,
    label: c.label,
    vectorLength: c.vectorLength,
    aggregation: aggregationToWire(c.aggregation),
    participants: [...c.participants],
    threshold: c.threshold,
    modulusBits: c.modulusBits,
    hePublicKey: Buffer.from(c.hePublicKey),
    neighbours: c.neighbours,
    maxChunkBytes: c.maxChunkBytes,
    query: Buffer.from(c.query),
    queryChunkCount: c.queryChunkCount,
    querySha256: Buffer.from(c.querySha256),
    heKeyEndorsement: e ? { keyId: e.keyId, minContributors: e.minContributors, signature: Buffer.from(e.signature), custodianCertificate: Buffer.from(e.custodianCertificate), specHash: e.specHash } : undefined,
  };
}

/**
 * The domain stage of a wire stage. A compute stage only ever arrives from a peer (the agent's
 * round request), so an UNSPECIFIED or unknown mode is PROTOCOL_VIOLATION naming
 * `compute.aggregation`, refused before anything is charged, never read as a default.
 */
export function computeStageFromWire(w: WireComputeStage): ComputeStage {
  const { heKeyEndorsement, ...rest } = w;
  return {
    ...rest,
    aggregation: aggregationFromWire(w.aggregation, 'compute.aggregation', ErrorCode.ProtocolViolation),
    participants: [...w.participants],
    ...(heKeyEndorsement ? { heKeyEndorsement: { ...heKeyEndorsement } } : {}),
  };
}
