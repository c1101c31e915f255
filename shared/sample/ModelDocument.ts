// ModelDocument: reads a study's model.json (fedsynth-model/v1) — the fitted graphical model, MST's
// domain compression, the public schema (when the study had one), the privacy spent — for sampling more rows.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { GraphicalModel, type GraphicalModelJson } from '../pgm/GraphicalModel.js';
import { parseSchema, type Schema } from '../schema/ConsortiumSchema.js';
import { schemaDomain } from '../schema/columnLayout.js';
import { Domain } from '../pgm/Domain.js';
import type { DomainCompression } from '../synth/DomainCompression.js';
import type { AttributeRecode } from '../synth/LocalQuery.js';

export const MODEL_DOCUMENT_FORMAT = 'fedsynth-model/v1';

export interface ModelDocument {
  readonly studyId: string;
  /** The study's domain (rows are coded in it); the model may live in a compressed domain. */
  readonly domain: Domain;
  readonly model: GraphicalModel;
  /** MST's recoding of rare values (model codes -> study codes), or null when the model is on the study domain. */
  readonly compression: DomainCompression | null;
  /** The study's public schema (labels, bins), or null for a study on integer codes. */
  readonly schema: Schema | null;
  readonly privacy: { readonly rho: number; readonly epsilon: number; readonly delta: number } | null;
}

function bad(file: string, message: string): FedsynthError {
  return new FedsynthError(ErrorCode.InvalidData, `${file}: ${message}`, { file });
}

/**
 * Parses model.json text. `schemaOverride` decodes a model written without an embedded schema; it
 * must define exactly the model's domain. `file` is used only in messages.
 */
export function parseModelDocument(text: string, file = 'model.json', schemaOverride?: unknown): ModelDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad(file, 'not valid JSON');
  }
  const doc = raw as { format?: unknown; studyId?: unknown; domain?: unknown; model?: unknown; schema?: unknown; privacy?: unknown; details?: { compression?: unknown } } | null;
  if (!doc || typeof doc !== 'object' || doc.format !== MODEL_DOCUMENT_FORMAT) throw bad(file, `not a ${MODEL_DOCUMENT_FORMAT} document`);
  const model = GraphicalModel.fromJSON(doc.model as GraphicalModelJson);
  const domain = doc.domain ? Domain.fromJson(doc.domain as Record<string, number>) : model.domain;
  const compression = compressionOf(file, domain, model.domain, (doc.details?.compression ?? []) as AttributeRecode[]);
  const schemaRaw = schemaOverride ?? doc.schema ?? null;
  const schema = schemaRaw === null ? null : parseSchema(schemaRaw);
  if (schema) {
    const want = JSON.stringify(Object.entries(schemaDomain(schema)));
    const have = JSON.stringify(domain.attrs.map((a, i) => [a, domain.shape[i]]));
    if (want !== have) throw new FedsynthError(ErrorCode.InvalidSchema, `${file}: the schema's domain ${want} is not the study's ${have}`, { file });
  }
  const p = doc.privacy as ModelDocument['privacy'];
  const privacy = p && typeof p === 'object' && [p.rho, p.epsilon, p.delta].every((v) => typeof v === 'number') ? { rho: p.rho, epsilon: p.epsilon, delta: p.delta } : null;
  return { studyId: typeof doc.studyId === 'string' ? doc.studyId : '', domain, model, compression, schema, privacy };
}

/** Checks that `recode` maps the study domain onto the model's domain exactly; null when nothing is recoded. */
function compressionOf(file: string, original: Domain, compressed: Domain, recode: readonly AttributeRecode[]): DomainCompression | null {
  if (!Array.isArray(recode)) throw bad(file, 'details.compression must be a list');
  const sameAttrs = original.attrs.length === compressed.attrs.length && original.attrs.every((a, i) => compressed.attrs[i] === a);
  if (!sameAttrs) throw bad(file, 'the model and the study domain have different columns');
  const byAttr = new Map(recode.map((r) => [r.attr, r]));
  for (const a of original.attrs) {
    const r = byAttr.get(a);
    const ok = r
      ? r.size === compressed.sizeOf(a) && r.map.length === original.sizeOf(a) && r.map.every((v: number) => Number.isInteger(v) && v >= 0 && v < r.size)
      : original.sizeOf(a) === compressed.sizeOf(a);
    if (!ok) throw bad(file, `column ${a}: the model's ${compressed.sizeOf(a)} codes do not match the study's ${original.sizeOf(a)} and the recorded compression`);
  }
  return recode.length === 0 ? null : { original, compressed, recode, oneWays: [] };
}
