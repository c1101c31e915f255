// Tests of output verification: a signed output directory verifies; tampering with any one file, the
// manifest, the signer or the CA is detected and named (planted faults); CLI exit codes.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCa } from '../pki/CertificateAuthority.js';
import { issueKit } from '../pki/issueKit.js';
import { loadKit, type LoadedKit } from '../pki/loadKit.js';
import { writeSignedManifest, type OutputSigner } from '../../coordinator/delivery/SignedManifest.js';
import { verifyStudyOutputs } from './verifyStudyOutputs.js';
import { signConsortiumReport } from '../../coordinator/delivery/signConsortiumReport.js';
import { runMain, type CliRun } from '../../test/support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-verify-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const FILES = ['synthetic.csv', 'synthetic.parquet', 'model.json', 'run.json'];
let coord: LoadedKit;
let party: LoadedKit;
let caFile: string;
let otherCaFile: string;
let signed: string;

const signerOf = (k: LoadedKit): OutputSigner => ({ id: k.identity.partyId, certificatePem: k.certPem, signingKey: k.signingKey });

function outputs(name: string, signer?: OutputSigner): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'synthetic.csv'), 'a,b\n0,1\n1,0\n');
  writeFileSync(join(dir, 'synthetic.parquet'), Buffer.from([0x50, 0x41, 0x52, 0x31, 1, 2, 3]));
  writeFileSync(join(dir, 'model.json'), '{"format":"fedsynth-model/v1"}');
  writeFileSync(join(dir, 'run.json'), '{"format":"fedsynth-run/v1"}');
  writeSignedManifest(dir, FILES, { studyId: 'st-1', study: { epsilon: 1 }, privacy: { rho: 0.01, epsilon: 1, delta: 1e-6 } }, signer);
  return dir;
}

function copy(name: string): string {
  const dir = join(root, name);
  cpSync(signed, dir, { recursive: true });
  return dir;
}

function expectFailure(f: () => unknown, file: string): void {
  try {
    f();
  } catch (e) {
    expect(e).toMatchObject({ code: 'VERIFICATION_FAILED', details: { file } });
    expect((e as Error).message).toContain(file);
    return;
  }
  throw new Error(`expected verification of ${file} to fail`);
}

beforeAll(async () => {
  const ca = await initCa(join(root, 'ca'), { consortium: 'verify-test' });
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: join(root, 'kits', 'coordinator') });
  await issueKit(ca, { role: 'party', id: 'hospital-a', coordinator: '127.0.0.1:7443', out: join(root, 'kits', 'hospital-a') });
  await initCa(join(root, 'ca2'), { consortium: 'other' });
  coord = loadKit(join(root, 'kits', 'coordinator'));
  party = loadKit(join(root, 'kits', 'hospital-a'));
  caFile = join(root, 'ca', 'ca.crt');
  otherCaFile = join(root, 'ca2', 'ca.crt');
  copyFileSync(coord.paths.ca, caFile);
  signed = outputs('signed', signerOf(coord));
});

describe('verifyStudyOutputs', () => {
  it('accepts an untouched signed directory, with and without the CA', () => {
    const r = verifyStudyOutputs(signed, { caPem: readFileSync(caFile, 'utf8') });
    expect(r).toMatchObject({ studyId: 'st-1', signer: 'coordinator', chainChecked: true, unlisted: [] });
    expect(r.files.map((f) => f.name)).toEqual(FILES);
    expect(verifyStudyOutputs(signed).chainChecked).toBe(false);
  });

  it('names each tampered, truncated or missing file (planted)', () => {
    for (const f of FILES) {
      const dir = copy(`tamper-${f}`);
      const data = readFileSync(join(dir, f));
      data[data.length - 1] ^= 1;
      writeFileSync(join(dir, f), data);
      expectFailure(() => verifyStudyOutputs(dir), f);
      writeFileSync(join(dir, f), data.subarray(0, data.length - 1));
      expectFailure(() => verifyStudyOutputs(dir), f);
      rmSync(join(dir, f));
      expectFailure(() => verifyStudyOutputs(dir), f);
    }
  });

  it('detects an edited manifest, a re-signed manifest by a party, a foreign CA, an unsigned manifest', () => {
    const edited = copy('edited');
    const m = JSON.parse(readFileSync(join(edited, 'manifest.json'), 'utf8'));
    m.privacy.epsilon = 0.1;
    writeFileSync(join(edited, 'manifest.json'), JSON.stringify(m));
    expectFailure(() => verifyStudyOutputs(edited), 'manifest.json');

    // A consistent new hash in the manifest does not help without the coordinator's key.
    const swapped = copy('swapped');
    writeFileSync(join(swapped, 'synthetic.csv'), 'a,b\n1,1\n');
    const m2 = JSON.parse(readFileSync(join(swapped, 'manifest.json'), 'utf8'));
    m2.files[0] = { name: 'synthetic.csv', sha256: (m2.files[0].sha256 as string).replace(/^./, 'f'), bytes: 8 };
    writeFileSync(join(swapped, 'manifest.json'), JSON.stringify(m2));
    expectFailure(() => verifyStudyOutputs(swapped), 'manifest.json');

    const byParty = outputs('by-party', signerOf(party));
    expect(() => verifyStudyOutputs(byParty)).toThrow(/not a coordinator/);

    expect(() => verifyStudyOutputs(signed, { caPem: readFileSync(otherCaFile, 'utf8') })).toThrow(/not issued by the given consortium CA/);

    const unsigned = outputs('unsigned');
    expectFailure(() => verifyStudyOutputs(unsigned), 'manifest.json');
    expect(verifyStudyOutputs(unsigned, { allowUnsigned: true }).signer).toBeNull();
  });
});

/** A fetched study directory with the coordinator's consortium report and its signed report-manifest.json. */
function withReport(name: string, signer: OutputSigner | undefined = signerOf(coord), studyId = 'st-1'): string {
  const dir = copy(name);
  writeFileSync(join(dir, 'report.json'), '{"format":"fedsynth-consortium-report/v1"}');
  writeFileSync(join(dir, 'report.html'), '<!doctype html><p>fidelity 0.91</p>');
  signConsortiumReport(dir, { studyId, study: { epsilon: 1 }, privacy: { rho: 0.01, epsilon: 1, delta: 1e-6 } }, signer);
  return dir;
}

describe('verifyStudyOutputs: the consortium report (report-manifest.json)', () => {
  it('verifies the report, its manifest and the binding to manifest.json; nothing is left unlisted', () => {
    const dir = withReport('report-ok');
    const r = verifyStudyOutputs(dir, { caPem: readFileSync(caFile, 'utf8'), requireReport: true });
    expect(r.report?.signer).toBe('coordinator');
    expect(r.report?.files.map((f) => f.name)).toEqual(['report.json', 'report.html', 'manifest.json']);
    expect(r.unlisted).toEqual([]);
    // without report-manifest.json the report is only listed as not covered, or refused on request
    const bare = copy('report-bare');
    writeFileSync(join(bare, 'report.html'), '<p>anything</p>');
    expect(verifyStudyOutputs(bare)).toMatchObject({ report: null, unlisted: ['report.html'] });
    expectFailure(() => verifyStudyOutputs(bare, { requireReport: true }), 'report-manifest.json');
  });

  it('one byte of report.html or report.json changed, the report manifest edited, re-signed by a party, of another study, or the outputs manifest replaced: each fails (planted)', () => {
    for (const f of ['report.html', 'report.json']) {
      const dir = withReport(`report-byte-${f}`);
      const data = readFileSync(join(dir, f));
      data[data.length >> 1] ^= 1;
      writeFileSync(join(dir, f), data);
      expectFailure(() => verifyStudyOutputs(dir), f);
    }
    const edited = withReport('report-edited');
    const m = JSON.parse(readFileSync(join(edited, 'report-manifest.json'), 'utf8'));
    m.files[0].bytes += 1;
    writeFileSync(join(edited, 'report-manifest.json'), JSON.stringify(m));
    expectFailure(() => verifyStudyOutputs(edited), 'report-manifest.json');
    expect(() => verifyStudyOutputs(withReport('report-by-party', signerOf(party)))).toThrow(/report-manifest\.json: signed by a party certificate/);
    expectFailure(() => verifyStudyOutputs(withReport('report-other-study', signerOf(coord), 'st-2')), 'report-manifest.json');
    // the report is bound to the outputs it was made beside: a re-signed outputs manifest breaks it
    const rebound = withReport('report-rebound');
    writeSignedManifest(rebound, FILES, { studyId: 'st-1', study: { epsilon: 2 }, privacy: { rho: 0.01, epsilon: 1, delta: 1e-6 } }, signerOf(coord));
    expectFailure(() => verifyStudyOutputs(rebound), 'manifest.json');
  });
});

describe('fedsynth verify (CLI)', () => {
  const cli = (...args: string[]): Promise<CliRun> => runMain(['verify', ...args]);

  it('exit 0 on a good directory, 65 naming the file on tampering, 66 without a manifest, 64 without a dir', async () => {
    const ok = await cli(signed, '--ca', caFile);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('signed by coordinator (certificate issued by the given CA)');
    expect(JSON.parse((await cli(signed, '--json')).out)).toMatchObject({ ok: true, studyId: 'st-1' });

    const dir = copy('cli-tamper');
    writeFileSync(join(dir, 'model.json'), '{"format":"fedsynth-model/v1","x":1}');
    const bad = await cli(dir, '--ca', caFile);
    expect(bad.code).toBe(65);
    expect(bad.err).toMatch(/^fedsynth: VERIFICATION_FAILED: model\.json: SHA-256 mismatch/);

    expect((await cli(signed, '--ca', otherCaFile)).code).toBe(65);
    expect((await cli(join(root, 'nothing-here'))).code).toBe(66);
    expect((await cli()).code).toBe(64);
  });

  it('a fetched report: exit 0 listing it; one byte of report.html changed -> exit 65, VERIFICATION_FAILED naming it', async () => {
    const dir = withReport('cli-report');
    const ok = await cli(dir, '--ca', caFile, '--require-report');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('consortium report: signed by coordinator');
    expect(ok.out).toMatch(/ok {2}report\.html/);
    const html = readFileSync(join(dir, 'report.html'));
    html[0] ^= 1;
    writeFileSync(join(dir, 'report.html'), html);
    const bad = await cli(dir, '--ca', caFile);
    expect(bad.code).toBe(65);
    expect(bad.err).toMatch(/^fedsynth: VERIFICATION_FAILED: report\.html: SHA-256 mismatch/);
    expect((await cli(signed, '--require-report')).code).toBe(65);
  });
});
