// dpsgdModel: the generator a `dpsgd` study trains, derived from public study terms only (training,
// domain, schema) so the coordinator and every agent build the same VaeSpec and parameter layout.
import type { Domain } from '../pgm/Domain.js';
import { parseSchema } from '../schema/ConsortiumSchema.js';
import type { DpsgdTraining } from '../study/StudySpec.js';
import { TabularEncoding } from '../neural/TabularEncoding.js';
import type { OffsetScale } from '../neural/OffsetScale.js';
import type { OffsetMeans } from '../neural/OffsetMeans.js';
import { vaeLayout, type VaeSpec } from '../neural/TabularVae.js';

/**
 * The KL term's weight (TVAE's loss factor 2 on the reconstruction, i.e. 0.5 on KL): fixed by the
 * protocol version, so the coordinator and every agent compute the same loss (docs/synthesis.md run H).
 */
export const DPSGD_KL_WEIGHT = 0.5;

/**
 * How continuous values sit in their bins' offsets (OffsetScale): probit, so that a head that learned
 * nothing decodes uniformly within the bin (with the default offsetSigma 1); fixed by the protocol
 * version like the KL weight (docs/synthesis.md "Within-bin offsets on the probit scale").
 */
export const DPSGD_OFFSET_SCALE: OffsetScale = 'probit';

/**
 * One offset mean per public bin of a continuous column (OffsetMeans 'bin'): each bin's within-bin
 * shape has its own output bias; fixed by the protocol version like the scale (docs/synthesis.md
 * "Per-bin offset means").
 */
export const DPSGD_OFFSET_MEANS: OffsetMeans = 'bin';

/**
 * The study's VaeSpec: with a schema (raw data), numeric columns with public edges are continuous
 * (TabularEncoding.fromSchema, offsets on DPSGD_OFFSET_SCALE); on integer codes every column is
 * categorical (fromDomain).
 */
export function vaeSpecForStudy(training: DpsgdTraining, domain: Domain, schemaJson: string): VaeSpec {
  const encoding = schemaJson !== '' ? TabularEncoding.fromSchema(parseSchema(JSON.parse(schemaJson)), DPSGD_OFFSET_SCALE) : TabularEncoding.fromDomain(domain);
  return { encoding, hidden: [...training.hidden], latent: training.latent, offsetSigma: training.offsetSigma, klWeight: DPSGD_KL_WEIGHT, offsetMeans: DPSGD_OFFSET_MEANS };
}

/** d: the number of model parameters (every gradient vector's length before padding). */
export function modelDimension(spec: VaeSpec): number {
  return vaeLayout(spec).size;
}
