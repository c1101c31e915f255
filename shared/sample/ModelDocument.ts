// ModelDocument: reads a study's model.json (fedsynth-model/v1) — the fitted graphical model, the
// public schema (when the study had one) and the privacy the study spent — for sampling more rows.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { GraphicalModel, type GraphicalModelJson } from '../pgm/GraphicalModel.js';
import { parseSchema, type Schema } from '../schema/ConsortiumSchema.js';
import { schemaDomain } from '../schema/columnLayout.js';

export const MODEL_DOCUMENT_FORMAT = 'fedsynth-model/v1';

export interface ModelDocument {
  readonly studyId: string;
  readonly model: GraphicalModel;
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
  const doc = raw as { format?: unknown; studyId?: unknown; model?: unknown; schema?: unknown; privacy?: unknown } | null;
  if (!doc || typeof doc !== 'object' || doc.format !== MODEL_DOCUMENT_FORMAT) throw bad(file, `not a ${MODEL_DOCUMENT_FORMAT} document`);
  const model = GraphicalModel.fromJSON(doc.model as GraphicalModelJson);
  const schemaRaw = schemaOverride ?? doc.schema ?? null;
  const schema = schemaRaw === null ? null : parseSchema(schemaRaw);
  if (schema) {
    const want = JSON.stringify(Object.entries(schemaDomain(schema)));
    const have = JSON.stringify(model.domain.attrs.map((a, i) => [a, model.domain.shape[i]]));
    if (want !== have) throw new FedsynthError(ErrorCode.InvalidSchema, `${file}: the schema's domain ${want} is not the model's ${have}`, { file });
  }
  const p = doc.privacy as ModelDocument['privacy'];
  const privacy = p && typeof p === 'object' && [p.rho, p.epsilon, p.delta].every((v) => typeof v === 'number') ? { rho: p.rho, epsilon: p.epsilon, delta: p.delta } : null;
  return { studyId: typeof doc.studyId === 'string' ? doc.studyId : '', model, schema, privacy };
}
