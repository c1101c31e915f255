// SignedManifest: writes a study's manifest.json at the coordinator — hashes and sizes of the output
// files, study parameters, privacy spent — signed with the coordinator's Ed25519 kit key when it has one.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSha256 } from '../../platform/delivery/fileSha256.js';
import { VERSION } from '../../shared/version.js';
import {
  OUTPUTS_MANIFEST,
  formatManifest,
  signManifest,
  type Manifest,
  type ManifestBody,
  type ManifestKind,
  type ManifestPrivacy,
} from '../../shared/manifest/Manifest.js';
import { rawEd25519PublicKey } from '../../platform/pki/signingKeyBinding.js';

/** The coordinator's signing identity (from its startup kit: kit.identity.partyId, kit.certPem, kit.signingKey). */
export interface OutputSigner {
  readonly id: string;
  readonly certificatePem: string;
  readonly signingKey: KeyObject;
}

export interface ManifestMeta {
  readonly studyId: string;
  readonly study: Readonly<Record<string, unknown>>;
  readonly privacy: ManifestPrivacy;
  /** ISO time; defaults to now. */
  readonly createdAt?: string;
}

/**
 * Hashes `files` (in `dir`), writes the manifest of `kind` (default `dir/manifest.json`; the consortium
 * report's is REPORT_MANIFEST, report-manifest.json), signed when `signer` is given, and returns it.
 */
export function writeSignedManifest(dir: string, files: readonly string[], meta: ManifestMeta, signer?: OutputSigner, kind: ManifestKind = OUTPUTS_MANIFEST): Manifest {
  const body: ManifestBody = {
    format: kind.format,
    softwareVersion: VERSION,
    studyId: meta.studyId,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    files: files.map((f) => ({ name: f, sha256: fileSha256(join(dir, f)), bytes: statSync(join(dir, f)).size })),
    study: meta.study,
    privacy: meta.privacy,
    signer: signer
      ? {
          id: signer.id,
          certificatePem: signer.certificatePem,
          publicKey: Buffer.from(rawEd25519PublicKey(createPublicKey(signer.signingKey))).toString('base64'),
        }
      : null,
  };
  const manifest: Manifest = signer ? signManifest(body, signer.signingKey) : { ...body, signature: null };
  writeFileSync(join(dir, kind.file), formatManifest(manifest));
  return manifest;
}
