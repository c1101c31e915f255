// SpecBinding: a party's decision is bound to the hash of the spec it was shown first; a changed
// re-announcement or an approval of another hash is refused (SPEC_CHANGED), never adopted.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { studySpecHash } from '../../platform/wire/studySpecHash.js';
import { studySpecFromJson, studySpecToJson } from '../../platform/wire/studySpecWire.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';

/** A study as the agent stored it when it was first announced (AgentStore spec_json). */
export interface StoredStudy {
  spec: StudySpec;
  parties: string[];
  /** studySpecHash(spec, parties) */
  specHash: string;
}

/** AgentStore's spec_json of an announced study: the spec in its proto3 JSON form, and the invited parties. */
export function storedStudyJson(spec: StudySpec, parties: readonly string[]): string {
  return JSON.stringify({ spec: studySpecToJson(spec), parties });
}

/** Parses AgentStore's spec_json (`{spec, parties}`; enum names or numbers, UNSPECIFIED refused) and hashes it. */
export function storedStudy(specJson: string): StoredStudy {
  const raw = JSON.parse(specJson) as { spec: unknown; parties: string[] };
  const spec = studySpecFromJson(raw.spec);
  const parties = Array.isArray(raw.parties) ? raw.parties.map(String) : [];
  return { spec, parties, specHash: studySpecHash(spec, parties) };
}

/**
 * Throws SPEC_CHANGED unless a re-announcement is the study the party already holds: the first
 * spec it was shown stays the one it judges, approves and enforces.
 */
export function assertSameSpec(known: StoredStudy, spec: StudySpec, parties: readonly string[]): void {
  const announced = studySpecHash(spec, parties);
  if (announced !== known.specHash) {
    throw new FedsynthError(
      ErrorCode.SpecChanged,
      `study ${known.spec.studyId} was re-announced with another spec (${announced}); this party keeps the one it was shown (${known.specHash})`,
      { studyId: known.spec.studyId, known: known.specHash, announced },
    );
  }
}

/** Throws SPEC_CHANGED unless the operator's `--spec-hash` is the hash of the stored spec. */
export function assertReviewedHash(known: StoredStudy, reviewed: string): void {
  if (reviewed.trim().toLowerCase() !== known.specHash) {
    throw new FedsynthError(
      ErrorCode.SpecChanged,
      `study ${known.spec.studyId}: --spec-hash ${reviewed} is not the hash of the spec this agent holds (${known.specHash}); review it again with \`fedsynth agent studies\``,
      { studyId: known.spec.studyId, known: known.specHash, reviewed },
    );
  }
}
