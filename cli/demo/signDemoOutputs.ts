// signDemoOutputs: the demo's output directory as a user gets it — one manifest, signed by the
// demo's coordinator, covering the study outputs and the demo's own files, and the CA certificate.
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseManifest, type Manifest } from '../../shared/manifest/Manifest.js';
import { writeSignedManifest } from '../../coordinator/delivery/SignedManifest.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { SHIPPED_CA_FILE } from '../../platform/delivery/verifyStudyOutputs.js';

/**
 * Re-signs `outDir/manifest.json` with the demo coordinator's kit so that it also covers `extra`
 * (the demo's report.json, report.html, demo.json; those present), keeping the study and privacy
 * record of the coordinator's manifest, and copies the CA certificate (never its key) to
 * `outDir/ca.crt`, which `fedsynth verify DIR` uses when no --ca is given.
 */
export function signDemoOutputs(outDir: string, coordinatorKitDir: string, caCertFile: string, extra: readonly string[]): Manifest {
  const fetched = parseManifest(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
  const files = [...fetched.files.map((f) => f.name), ...extra.filter((f) => existsSync(join(outDir, f)) && !fetched.files.some((g) => g.name === f))];
  const kit = loadKit(coordinatorKitDir);
  const manifest = writeSignedManifest(outDir, files, { studyId: fetched.studyId, study: fetched.study, privacy: fetched.privacy }, {
    id: kit.identity.partyId,
    certificatePem: kit.certPem,
    signingKey: kit.signingKey,
  });
  copyFileSync(caCertFile, join(outDir, SHIPPED_CA_FILE));
  return manifest;
}
