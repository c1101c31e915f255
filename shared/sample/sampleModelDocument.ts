// sampleModelDocument: draws rows of the study's domain from a model.json — conditioned sampling in
// the model's (possibly compressed) domain, then MST's decompression (McKenna et al. 2021, §4).
import type { RandomSource } from '../dp/random/RandomSource.js';
import type { Evidence } from '../pgm/AncestralSampler.js';
import { decompressColumns } from '../synth/DomainCompression.js';
import type { ModelDocument } from './ModelDocument.js';

/**
 * `n` rows as one Int32Array per study column. `where` holds study-domain codes. A value that MST
 * merged into its "other" code is drawn by conditioning on that code; the model is uniform over the
 * merged values, so fixing the column to the asked value afterwards is the exact conditional.
 */
export function sampleModelDocument(doc: ModelDocument, n: number, rng: RandomSource, where: Evidence = {}): Int32Array[] {
  const recode = new Map((doc.compression?.recode ?? []).map((r) => [r.attr, r]));
  const evidence: Record<string, number> = {};
  for (const [a, code] of Object.entries(where)) evidence[a] = recode.get(a)?.map[code] ?? code;
  const drawn = doc.model.sample(n, rng, { where: evidence });
  const cols = doc.compression ? decompressColumns(doc.compression, drawn, rng) : drawn;
  for (const [a, code] of Object.entries(where)) cols[doc.domain.indexOf(a)]!.fill(code);
  return cols;
}
