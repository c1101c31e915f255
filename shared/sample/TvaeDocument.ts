// TvaeDocument: reads the model.json of a dpsgd study (fedsynth-model/v1 with model.kind 'tvae'):
// the generator's architecture and trained weights, the study domain and schema, for sampling more rows.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { Domain } from '../pgm/Domain.js';
import { parseSchema, type Schema } from '../schema/ConsortiumSchema.js';
import { TabularEncoding } from '../neural/TabularEncoding.js';
import type { OffsetScale } from '../neural/OffsetScale.js';
import type { OffsetMeans } from '../neural/OffsetMeans.js';
import { vaeLayout, type VaeSpec } from '../neural/TabularVae.js';
import { MODEL_DOCUMENT_FORMAT } from './ModelDocument.js';

export interface TvaeDocument {
  readonly studyId: string;
  readonly domain: Domain;
  readonly schema: Schema | null;
  readonly spec: VaeSpec;
  readonly weights: Float32Array;
}

/** True when a parsed model.json holds a trained generator (mechanism dpsgd) rather than a graphical model. */
export function isTvaeDocument(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { model?: { kind?: unknown } }).model?.kind === 'tvae';
}

/** Parses the document; the weights must be exactly the architecture's parameter count. */
export function parseTvaeDocument(raw: unknown, file = 'model.json', schemaOverride?: unknown): TvaeDocument {
  const bad = (m: string): never => {
    throw new FedsynthError(ErrorCode.InvalidData, `${file}: ${m}`, { file });
  };
  const doc = raw as { format?: unknown; studyId?: unknown; domain?: unknown; schema?: unknown; model?: { hidden?: unknown; latent?: unknown; offsetSigma?: unknown; offsetScale?: unknown; offsetMeans?: unknown; weights?: unknown } };
  if (doc?.format !== MODEL_DOCUMENT_FORMAT || !isTvaeDocument(raw)) bad(`not a ${MODEL_DOCUMENT_FORMAT} generator document`);
  const m = doc.model!;
  if (!Array.isArray(m.hidden) || typeof m.latent !== 'number' || typeof m.offsetSigma !== 'number' || typeof m.weights !== 'string') bad('model needs hidden, latent, offsetSigma and weights');
  const domain = Domain.fromJson(doc.domain as Record<string, number>);
  const schemaRaw = schemaOverride ?? doc.schema ?? null;
  const schema = schemaRaw === null ? null : parseSchema(schemaRaw);
  // Models written before the probit scale carry no offsetScale: their offsets are linear.
  const scale = m.offsetScale ?? 'linear';
  if (scale !== 'linear' && scale !== 'probit') bad(`model.offsetScale must be 'linear' or 'probit', got ${JSON.stringify(scale)}`);
  // Models written before per-bin means carry no offsetMeans: one mean per column.
  const means = m.offsetMeans ?? 'column';
  if (means !== 'column' && means !== 'bin') bad(`model.offsetMeans must be 'column' or 'bin', got ${JSON.stringify(means)}`);
  const encoding = schema ? TabularEncoding.fromSchema(schema, scale as OffsetScale) : TabularEncoding.fromDomain(domain);
  const spec: VaeSpec = { encoding, hidden: (m.hidden as unknown[]).map(Number), latent: m.latent as number, offsetSigma: m.offsetSigma as number, offsetMeans: means as OffsetMeans };
  const bytes = Buffer.from(m.weights as string, 'base64');
  const size = vaeLayout(spec).size;
  if (bytes.byteLength !== size * 4) bad(`model.weights has ${bytes.byteLength / 4} parameters, the architecture ${size}`);
  const weights = new Float32Array(size);
  for (let i = 0; i < size; i++) weights[i] = bytes.readFloatLE(i * 4);
  return { studyId: typeof doc.studyId === 'string' ? doc.studyId : '', domain, schema, spec, weights };
}
