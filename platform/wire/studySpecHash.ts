// studySpecHash: the canonical hash of a study as a party reviews it (spec and invited parties),
// shown by `fedsynth agent studies` and required by `fedsynth agent approve --spec-hash`.
import { createHash } from 'node:crypto';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { canonicalJson } from '../../shared/audit/canonicalJson.js';
import { studySpecToJson } from './studySpecWire.js';

/** Version tag hashed first, so a future encoding can never collide with this one. */
const TAG = 'fedsynth/study-spec/v1\n';

/**
 * `sha256:<hex>` of the spec's proto3 JSON mapping (defaults omitted, enum names; floats are
 * strings only for NaN/Infinity) in canonical JSON (keys sorted), with the invited parties in
 * announcement order. Two studies hash equal exactly when every field a party judges (epsilon,
 * delta, rho, colluders, dropouts, sensitivity, columns, domain, aggregation, thresholds) and the
 * invitation list are equal.
 */
export function studySpecHash(spec: StudySpec, parties: readonly string[]): string {
  const canon = canonicalJson({ spec: studySpecToJson(spec), parties: [...parties] });
  return `sha256:${createHash('sha256').update(TAG, 'utf8').update(canon, 'utf8').digest('hex')}`;
}
