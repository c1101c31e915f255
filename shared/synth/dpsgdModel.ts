// dpsgdModel: the generator a `dpsgd` study trains, derived from public study terms only (training,
// domain, schema) so the coordinator and every agent build the same VaeSpec and parameter layout.
import type { Domain } from '../pgm/Domain.js';
import { parseSchema } from '../schema/ConsortiumSchema.js';
import type { DpsgdTraining } from '../study/StudySpec.js';
import { TabularEncoding } from '../neural/TabularEncoding.js';
import { vaeLayout, type VaeSpec } from '../neural/TabularVae.js';

/**
 * The KL term's weight (TVAE's loss factor 2 on the reconstruction, i.e. 0.5 on KL): fixed by the
 * protocol version, so the coordinator and every agent compute the same loss (docs/synthesis.md run H).
 */
export const DPSGD_KL_WEIGHT = 0.5;

/**
 * The study's VaeSpec: with a schema (raw data), numeric columns with public edges are continuous
 * (TabularEncoding.fromSchema); on integer codes every column is categorical (fromDomain).
 */
export function vaeSpecForStudy(training: DpsgdTraining, domain: Domain, schemaJson: string): VaeSpec {
  const encoding = schemaJson !== '' ? TabularEncoding.fromSchema(parseSchema(JSON.parse(schemaJson))) : TabularEncoding.fromDomain(domain);
  return { encoding, hidden: [...training.hidden], latent: training.latent, offsetSigma: training.offsetSigma, klWeight: DPSGD_KL_WEIGHT };
}

/** d: the number of model parameters (every gradient vector's length before padding). */
export function modelDimension(spec: VaeSpec): number {
  return vaeLayout(spec).size;
}
