// HeKeyVerification: before a party charges or encrypts anything in HE mode, it checks that the
// public key is endorsed by a custodian certificate of its own consortium CA (issue 16, finding 4).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { verifyHeKeySignature } from '../../shared/he/heKeyEndorsement.js';
import { heParamsOfRound } from '../../platform/wire/heWire.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';

/** Verifies a certificate against this party's CA and CRL (throws otherwise). */
export type CertificateVerifier = (certificate: Uint8Array) => { partyId: string; role: string; signingPublicKeyRaw: Uint8Array };

/** Who endorsed the key, and the t it was made with. */
export interface EndorsedHeKey {
  custodianId: string;
  keyId: string;
  minContributors: number;
}

/**
 * Throws HE_KEY_UNAUTHENTICATED unless compute.he_key_endorsement carries a certificate that
 * verifies against this party's CA and CRL, has role `custodian`, and whose bound Ed25519 key
 * signed exactly (study, key id, the round's parameters, t, SHA-256 of compute.he_public_key)
 * (shared/he/heKeyEndorsement.ts). A coordinator that substitutes its own key — or a party's, or
 * its own certificate — cannot produce that signature, so nothing is encrypted under a key whose
 * secret the custodian does not hold.
 */
export async function verifyHeKeyEndorsement(studyId: string, compute: ComputeStage, verifyCertificate: CertificateVerifier): Promise<EndorsedHeKey> {
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
  const statement = { studyId, keyId: e.keyId, params, minContributors: e.minContributors, publicKey: compute.hePublicKey };
  if (!(await verifyHeKeySignature(statement, e.signature, signer.signingPublicKeyRaw))) {
    throw refuse(`custodian ${signer.partyId}'s signature does not cover this key, study and parameters`, { signer: signer.partyId });
  }
  return { custodianId: signer.partyId, keyId: e.keyId, minContributors: e.minContributors };
}
