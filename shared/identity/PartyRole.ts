// PartyRole: the closed set of consortium roles a certificate can carry (subject OU), and the
// validation of identity names (party ids) used as certificate common names.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/**
 * Roles a consortium certificate can carry in its subject OU. Identity never comes from a message
 * field. `operator`: a person or tool that creates, watches and cancels studies through the
 * coordinator's operator API (never the coordinator's own kit).
 */
export const PARTY_ROLES = ['party', 'coordinator', 'custodian', 'operator'] as const;
export type PartyRole = (typeof PARTY_ROLES)[number];

export function isPartyRole(s: unknown): s is PartyRole {
  return typeof s === 'string' && (PARTY_ROLES as readonly string[]).includes(s);
}

/** Party ids: 1..63 chars of letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Throws InvalidArgument unless `id` is a valid identity name (safe as a certificate CN and a file name). */
export function assertValidPartyId(id: string): void {
  if (!PARTY_ID.test(id)) {
    throw new FedsynthError(
      ErrorCode.InvalidArgument,
      `invalid party id ${JSON.stringify(id)}: use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { partyId: id },
    );
  }
}
