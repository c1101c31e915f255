// verifyStudyOutputs: checks a study output directory against its manifest.json — the Ed25519
// signature, the signer's certificate (and its chain to the consortium CA) and every file's hash.
import { X509Certificate as NodeX509, createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { OUTPUTS_MANIFEST, REPORT_MANIFEST, manifestSignatureValid, parseManifest, type Manifest, type ManifestFile } from '../../shared/manifest/Manifest.js';
import { peerIdentityFromCertificate } from '../pki/peerIdentityFromCertificate.js';

/** A CA certificate shipped beside the outputs (the demo keeps its CA's certificate, never its key). */
export const SHIPPED_CA_FILE = 'ca.crt';

export interface VerifyOptions {
  /**
   * Consortium CA certificate (PEM): the signer's certificate must be issued by it. Without it, a
   * `ca.crt` in the directory is used (`caSource: 'directory'`): as trustworthy as the channel the
   * directory came through.
   */
  readonly caPem?: string;
  /** Accept a manifest without signature (hashes are still checked). Default: false. */
  readonly allowUnsigned?: boolean;
  /** Fail when the directory has no report-manifest.json (the operator's signed consortium report). Default: false. */
  readonly requireReport?: boolean;
}

/** The coordinator's consortium report as checked against its own signed manifest (report-manifest.json). */
export interface VerifiedReport {
  readonly signer: string | null;
  readonly files: readonly ManifestFile[];
}

export interface VerifyResult {
  readonly studyId: string;
  /** The signing coordinator's id, or null for an unsigned manifest accepted with allowUnsigned. */
  readonly signer: string | null;
  readonly chainChecked: boolean;
  /** Where the CA certificate of the chain check came from. */
  readonly caSource: 'given' | 'directory' | null;
  readonly files: readonly ManifestFile[];
  readonly privacy: Manifest['privacy'];
  /** Files in the directory that the manifest does not cover (e.g. a local report). */
  readonly unlisted: readonly string[];
  /** The consortium report's manifest when the directory has one (`study fetch`), else null. */
  readonly report: VerifiedReport | null;
}

function failed(file: string, message: string, details: Record<string, unknown> = {}): FedsynthError {
  return new FedsynthError(ErrorCode.VerificationFailed, `${file}: ${message}`, { file, ...details });
}

/** SHA-256 (hex) of a file, read in 1 MiB chunks (outputs can be large). */
export function sha256File(path: string): string {
  const h = createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** Checks the signature and the signer's certificate; returns the signer id (null if unsigned and allowed). */
function checkSignature(m: Manifest, opts: VerifyOptions, file: string): string | null {
  if (m.signer === null || m.signature === null) {
    if (opts.allowUnsigned) return null;
    throw failed(file, 'the manifest is not signed (the coordinator ran without a signing key); use --allow-unsigned to check hashes only');
  }
  let identity;
  try {
    identity = peerIdentityFromCertificate(m.signer.certificatePem);
  } catch (e) {
    throw failed(file, `the embedded signer certificate is unusable (${(e as Error).message})`);
  }
  if (identity.role !== 'coordinator') throw failed(file, `signed by a ${identity.role} certificate, not a coordinator's`);
  if (identity.partyId !== m.signer.id) throw failed(file, `signer id ${m.signer.id} differs from the certificate's ${identity.partyId}`);
  const bound = identity.signingPublicKeyRaw;
  if (!identity.signingPublicKey || !bound || Buffer.from(bound).toString('base64') !== m.signer.publicKey) {
    throw failed(file, 'the signer public key is not the one bound in its certificate');
  }
  if (!manifestSignatureValid(m, identity.signingPublicKey)) {
    throw failed(file, `the signature does not verify: the manifest was altered or not signed by ${m.signer.id}`);
  }
  if (opts.caPem !== undefined) {
    let ca: NodeX509;
    let cert: NodeX509;
    try {
      ca = new NodeX509(opts.caPem);
      cert = new NodeX509(m.signer.certificatePem);
    } catch {
      throw failed(file, 'the CA or signer certificate cannot be parsed');
    }
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
      throw failed(file, `the signer certificate of ${m.signer.id} is not issued by the given consortium CA`);
    }
    const at = new Date(m.createdAt);
    if (!(at >= new Date(cert.validFrom) && at <= new Date(cert.validTo))) {
      throw failed(file, `the signer certificate was not valid when the manifest was made (${m.createdAt})`);
    }
  }
  return m.signer.id;
}

/**
 * Verifies `dir`: manifest.json parses, is signed by a coordinator certificate (chained to `caPem`
 * when given), and every listed file exists with the listed size and SHA-256. When the directory
 * holds report-manifest.json (the consortium report, from `study fetch`), the same checks apply to
 * it and its files (report.json, report.html, and manifest.json itself), and its study must be the
 * same. Throws VerificationFailed naming the failing file(s) in the message and `details.files`.
 */
export function verifyStudyOutputs(dir: string, opts: VerifyOptions = {}): VerifyResult {
  const mpath = join(dir, OUTPUTS_MANIFEST.file);
  if (!existsSync(mpath)) throw new FedsynthError(ErrorCode.NotFound, `${dir}: no manifest.json`, { file: 'manifest.json' });
  const m = parseManifest(readFileSync(mpath, 'utf8'));
  const shipped = join(dir, SHIPPED_CA_FILE);
  const caSource = opts.caPem !== undefined ? 'given' : existsSync(shipped) ? 'directory' : null;
  const caPem = opts.caPem ?? (caSource === 'directory' ? readFileSync(shipped, 'utf8') : undefined);
  const signer = checkSignature(m, { ...opts, caPem }, OUTPUTS_MANIFEST.file);
  // The operator's consortium report has its own manifest (same key, its own signing context).
  const rpath = join(dir, REPORT_MANIFEST.file);
  let report: VerifiedReport | null = null;
  let rm: Manifest | undefined;
  if (existsSync(rpath)) {
    rm = parseManifest(readFileSync(rpath, 'utf8'), REPORT_MANIFEST);
    const reportSigner = checkSignature(rm, { ...opts, caPem }, REPORT_MANIFEST.file);
    if (rm.studyId !== m.studyId) throw failed(REPORT_MANIFEST.file, `describes study ${rm.studyId}, not ${m.studyId} of manifest.json`);
    report = { signer: reportSigner, files: rm.files };
  } else if (opts.requireReport) {
    throw failed(REPORT_MANIFEST.file, 'missing: the consortium report is not signed (a study finished by an older coordinator, or the file was removed)');
  }
  const problems = [...fileProblems(dir, m), ...(rm ? fileProblems(dir, rm) : [])];
  if (problems.length > 0) {
    throw new FedsynthError(ErrorCode.VerificationFailed, problems.map((x) => `${x.file}: ${x.problem}`).join('; '), {
      file: problems[0]!.file,
      files: problems.map((x) => x.file),
    });
  }
  const listed = new Set([...m.files.map((f) => f.name), ...(rm?.files.map((f) => f.name) ?? []), OUTPUTS_MANIFEST.file, ...(rm ? [REPORT_MANIFEST.file] : []), ...(caSource === 'directory' ? [SHIPPED_CA_FILE] : [])]);
  const unlisted = readdirSync(dir).filter((n) => !listed.has(n) && !n.startsWith('.'));
  return { studyId: m.studyId, signer, chainChecked: caPem !== undefined && signer !== null, caSource: signer !== null ? caSource : null, files: m.files, privacy: m.privacy, unlisted, report };
}

/** Every file `m` lists that is missing, or differs from the listed SHA-256 or size. */
function fileProblems(dir: string, m: Manifest): { file: string; problem: string }[] {
  const problems: { file: string; problem: string }[] = [];
  for (const f of m.files) {
    const p = join(dir, f.name);
    if (!existsSync(p)) {
      problems.push({ file: f.name, problem: 'missing' });
      continue;
    }
    const size = statSync(p).size;
    const got = sha256File(p);
    if (got !== f.sha256) problems.push({ file: f.name, problem: `SHA-256 mismatch (manifest ${f.sha256.slice(0, 16)}..., file ${got.slice(0, 16)}..., ${size} of ${f.bytes} bytes)` });
    else if (size !== f.bytes) problems.push({ file: f.name, problem: `size ${size} differs from the manifest's ${f.bytes}` });
  }
  return problems;
}
