// announcementFromWire: a study announcement as it arrives from the coordinator, converted at the
// agent's edge into the domain StudySpec (UNSPECIFIED or unknown enums refused, naming the field).
import type { StudyAnnouncement } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { studySpecFromWire } from '../../platform/wire/studySpecWire.js';

export interface Announcement {
  readonly spec: StudySpec;
  /** The invited parties, in announcement order (hashed with the spec). */
  readonly parties: readonly string[];
}

/**
 * The domain announcement, or undefined when it carries no spec (nothing to judge). Throws
 * INVALID_ARGUMENT (details.field `spec.mechanism` / `spec.aggregation`) for an UNSPECIFIED or
 * unknown enum: a study the agent cannot read is refused, never read as a default.
 */
export function announcementFromWire(a: StudyAnnouncement): Announcement | undefined {
  if (!a.spec) return undefined;
  return { spec: studySpecFromWire(a.spec), parties: [...a.parties] };
}
