// Tests of the demo bundle as a user gets it: one signed manifest covers the study outputs and the
// demo's reports, and `verify DIR` checks it against the shipped CA certificate (issue 20 item 9).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCa } from '../../platform/pki/CertificateAuthority.js';
import { issueKit } from '../../platform/pki/issueKit.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { writeSignedManifest } from '../../coordinator/delivery/SignedManifest.js';
import { verifyStudyOutputs } from '../../platform/delivery/verifyStudyOutputs.js';
import { signDemoOutputs } from './signDemoOutputs.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-demo-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const kitDir = join(root, 'kits', 'coordinator');
const REPORTS = ['report.json', 'report.html', 'demo.json'];

/** A fetched study directory (coordinator-signed manifest) plus the demo's own files, as runDemo leaves it. */
function bundle(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'synthetic.csv'), 'a,b\n0,1\n');
  writeFileSync(join(dir, 'run.json'), '{"format":"fedsynth-run/v1"}');
  const k = loadKit(kitDir);
  writeSignedManifest(dir, ['synthetic.csv', 'run.json'], { studyId: 'demo-1', study: { epsilon: 1 }, privacy: { rho: 0.01, epsilon: 1, delta: 1e-9 } }, { id: k.identity.partyId, certificatePem: k.certPem, signingKey: k.signingKey });
  writeFileSync(join(dir, 'report.json'), '{"fidelity":1}');
  writeFileSync(join(dir, 'report.html'), '<html>report</html>');
  writeFileSync(join(dir, 'demo.json'), '{"command":"demo"}');
  return dir;
}

beforeAll(async () => {
  const ca = await initCa(join(root, 'ca'), { consortium: 'demo' });
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: kitDir });
  await initCa(join(root, 'ca2'), { consortium: 'other' });
});

describe('signDemoOutputs', () => {
  it('covers the reports and demo.json, ships the CA certificate (not its key), and verifies as delivered', () => {
    const dir = bundle('ok');
    signDemoOutputs(dir, kitDir, join(root, 'ca', 'ca.crt'), REPORTS);
    const r = verifyStudyOutputs(dir);
    expect(r.files.map((f) => f.name)).toEqual(['synthetic.csv', 'run.json', ...REPORTS]);
    expect(r).toMatchObject({ studyId: 'demo-1', signer: 'coordinator', chainChecked: true, caSource: 'directory', unlisted: [], privacy: { epsilon: 1 } });
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(join(dir, 'ca.crt'), 'utf8')).not.toContain('PRIVATE KEY');
    expect(existsSync(join(dir, 'ca.key'))).toBe(false);
  });

  it('a changed report is caught (planted), and so is a shipped CA certificate of another CA', () => {
    const dir = bundle('tampered');
    signDemoOutputs(dir, kitDir, join(root, 'ca', 'ca.crt'), REPORTS);
    writeFileSync(join(dir, 'report.html'), '<html>better numbers</html>');
    expect(() => verifyStudyOutputs(dir)).toThrow(/report\.html: SHA-256 mismatch/);
    const foreign = bundle('foreign-ca');
    signDemoOutputs(foreign, kitDir, join(root, 'ca', 'ca.crt'), REPORTS);
    copyFileSync(join(root, 'ca2', 'ca.crt'), join(foreign, 'ca.crt'));
    expect(() => verifyStudyOutputs(foreign)).toThrow(/not issued by the given consortium CA/);
  });
});
