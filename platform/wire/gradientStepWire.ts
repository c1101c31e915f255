// gradientStepWire: the gradient round's query on the wire (consortium.proto GradientStepQuery): the
// plan field by field, the weights as little-endian float32 bytes (4 bytes a parameter, never JSON).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { GradientRoundPlan } from '../../shared/dp/gradient/GradientRoundPlan.js';
import {
  GradientRounding,
  type GradientRoundPlan as WirePlan,
  type GradientStepQuery,
} from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

const LITTLE_ENDIAN = new Uint8Array(new Float32Array([1]).buffer)[3] === 0x3f;

function bad(message: string): never {
  throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.query: ${message}`, { field: 'compute.query' });
}

/** The weights as little-endian float32 bytes. */
export function float32Bytes(values: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out;
}

/** Little-endian float32 bytes as a (copied, aligned) Float32Array. */
export function float32FromBytes(bytes: Uint8Array, field: string): Float32Array {
  if (bytes.byteLength % 4 !== 0) bad(`${field}: ${bytes.byteLength} bytes is not a whole number of float32 values`);
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

export function gradientPlanToWire(p: GradientRoundPlan): WirePlan {
  return {
    version: p.version,
    dimension: p.dimension,
    paddedDimension: p.paddedDimension,
    rotationSeed: p.rotationSeed,
    clipNorm: p.clipNorm,
    gamma: p.gamma,
    rounding: p.rounding === 'record' ? GradientRounding.GRADIENT_ROUNDING_RECORD : GradientRounding.GRADIENT_ROUNDING_PARTY_SUM,
    beta: p.beta,
    sensitivity: p.sensitivity,
    sampleRate: p.sampleRate,
    parties: p.parties,
    colluders: p.colluders,
    dropouts: p.dropouts,
    honestMinParties: p.honestMinParties,
    perPartySigma2: p.perPartySigma2,
    bits: p.bits,
  };
}

/** The plan as sent; an UNSPECIFIED rounding or a ring other than 32/64 bits is refused here, the rest by rederiveGradientRoundPlan. */
export function gradientPlanFromWire(w: WirePlan | undefined): GradientRoundPlan {
  if (w === undefined) bad('gradient_step without a plan');
  const rounding = w.rounding === GradientRounding.GRADIENT_ROUNDING_PARTY_SUM ? 'party-sum' : w.rounding === GradientRounding.GRADIENT_ROUNDING_RECORD ? 'record' : bad(`gradient_step.plan.rounding ${w.rounding} is not supported`);
  if (w.bits !== 32 && w.bits !== 64) bad(`gradient_step.plan.bits ${w.bits} is not 32 or 64`);
  if (w.version !== 1) bad(`gradient_step.plan.version ${w.version} is not supported`);
  return { ...w, version: 1, rounding, bits: w.bits };
}

export function gradientStepToWire(q: { round: number; weights: Float32Array; plan: GradientRoundPlan }): GradientStepQuery {
  return { round: q.round, weights: float32Bytes(q.weights), plan: gradientPlanToWire(q.plan) };
}

export function gradientStepFromWire(w: GradientStepQuery): { kind: 'gradientStep'; round: number; weights: Float32Array; plan: GradientRoundPlan } {
  return { kind: 'gradientStep', round: w.round, weights: float32FromBytes(w.weights, 'gradient_step.weights'), plan: gradientPlanFromWire(w.plan) };
}
