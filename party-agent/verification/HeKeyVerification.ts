// HeKeyVerification: before a party charges or encrypts anything in HE mode, it checks that the
// public key is endorsed by a custodian certificate of its own consortium CA (issue 16, finding 4).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { verifyHeKeySignature } from '../../shared/he/heKeyEndorsement.js';
import { heParamsOfRound } from '../../platform/wire/heWire.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';

/** Verifies a certificate against this party's CA and CRL (throws otherwise). */
export type CertificateVerifier = (certificate: Uint8Array) => { partyId: string; role: string; signingPublicKeyRaw: Uint8Array };

/** Who endorsed the key, the t it was made with, and the study version it was made for. */
export interface EndorsedHeKey {
  custodianId: string;
  keyId: string;
  minContributors: number;
  specHash: string;
}

/** What this party approved that the key must match (absent fields are not checked). */
export interface ApprovedKeyTerms {
  /** studySpecHash of the study this party approved. */
  specHash?: string;
  /** d of the approved study (this party's own value): the key's t must be >= the round's n - d. */
  dropouts?: number;
}

/**
 * Throws HE_KEY_UNAUTHENTICATED unless compute.he_key_endorsement carries a certificate that
 * verifies against this party's CA and CRL, has role `custodian`, and whose bound Ed25519 key
 * signed exactly (study, key id, the round's parameters, t, SHA-256 of compute.he_public_key)
 * (shared/he/heKeyEndorsement.ts). A coordinator that substitutes its own key — or a party's, or
 * its own certificate — cannot produce that signature, so nothing is encrypted under a key whose
 * secret the custodian does not hold.
 */
export async function verifyHeKeyEndorsement(studyId: string, compute: ComputeStage, verifyCertificate: CertificateVerifier, approved: ApprovedKeyTerms = {}): Promise<EndorsedHeKey> {
  const refuse = (why: string, details: Record<string, unknown> = {}): FedsynthError =>
    new FedsynthError(ErrorCode.HeKeyUnauthenticated, `HE public key of study ${studyId} refused: ${why}`, { studyId, field: 'compute.he_key_endorsement', ...details });
  const e = compute.heKeyEndorsement;
  if (compute.hePublicKey.byteLength === 0) throw refuse('the round carries no public key');
  if (!e || e.signature.byteLength === 0 || e.custodianCertificate.byteLength === 0) throw refuse('it carries no custodian endorsement');
  let signer: ReturnType<CertificateVerifier>;
  try {
    signer = verifyCertificate(e.custodianCertificate);
  } catch (err) {
    throw refuse(`the endorsing certificate does not verify against this party's CA: ${(err as Error).message}`, { cause: (err as { code?: string }).code });
  }
  if (signer.role !== 'custodian') throw refuse(`it is signed by ${signer.role} ${signer.partyId}, not by a custodian`, { signer: signer.partyId, role: signer.role });
  const { params } = heParamsOfRound(compute.modulusBits);
  const statement = { studyId, keyId: e.keyId, params, minContributors: e.minContributors, publicKey: compute.hePublicKey, specHash: e.specHash };
  if (!(await verifyHeKeySignature(statement, e.signature, signer.signingPublicKeyRaw))) {
    throw refuse(`custodian ${signer.partyId}'s signature does not cover this key, study and parameters`, { signer: signer.partyId });
  }
  if (approved.specHash !== undefined && e.specHash !== approved.specHash) {
    // The custodian derived the key's t from another version of the study than the one approved here.
    throw refuse(`the custodian made the key for study version ${e.specHash || '(none)'}, not the approved ${approved.specHash}`, { specHash: e.specHash, approvedSpecHash: approved.specHash });
  }
  const endorsed = { custodianId: signer.partyId, keyId: e.keyId, minContributors: e.minContributors, specHash: e.specHash };
  assertKeyThreshold(endorsed, compute, approved);
  return endorsed;
}

/**
 * Throws THRESHOLD_BELOW_PLAN (field compute.he_key_endorsement.min_contributors) when the key's
 * signed t is below the round's n - d: the custodian would then decrypt sums with fewer honest
 * noise shares than this party's plan assumes, whatever t the coordinator names per round. Run on
 * every round (n may differ between rounds), not only when the signature is first checked.
 */
export function assertKeyThreshold(key: EndorsedHeKey, compute: ComputeStage, approved: ApprovedKeyTerms): void {
  if (approved.dropouts === undefined) return;
  const need = compute.participants.length - approved.dropouts;
  if (key.minContributors < need) {
    throw new FedsynthError(ErrorCode.ThresholdBelowPlan, `HE key ${key.keyId} has t = ${key.minContributors}; this round of ${compute.participants.length} parties needs t >= n - d = ${need}`, {
      field: 'compute.he_key_endorsement.min_contributors',
      threshold: key.minContributors,
      required: need,
    });
  }
}
