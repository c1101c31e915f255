// Manifest: the signed description of a study's outputs (manifest.json) — per-file SHA-256 and size,
// study parameters, privacy spent, signer — its canonical signature payload, parsing and checks.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../audit/canonicalJson.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

export const MANIFEST_FORMAT = 'fedsynth-manifest/v2';
/** Domain-separation prefix of the signed bytes: a manifest signature can never verify as anything else. */
export const MANIFEST_SIGNATURE_CONTEXT = 'fedsynth/v1/manifest\n';
/**
 * The coordinator's consortium report (report.json, report.html) is not delivered to the parties, so
 * it has its own signed manifest (report-manifest.json) in the same form, with its own format and
 * signing context: neither manifest's signature can ever pass as the other's.
 */
export const REPORT_MANIFEST_FORMAT = 'fedsynth-report-manifest/v1';
export const REPORT_MANIFEST_SIGNATURE_CONTEXT = 'fedsynth/v1/report-manifest\n';

export type ManifestFormat = typeof MANIFEST_FORMAT | typeof REPORT_MANIFEST_FORMAT;

/** Which manifest a file is: its format, its file name, and the context its signature is made in. */
export interface ManifestKind {
  readonly format: ManifestFormat;
  readonly file: string;
  readonly context: string;
}

export const OUTPUTS_MANIFEST: ManifestKind = { format: MANIFEST_FORMAT, file: 'manifest.json', context: MANIFEST_SIGNATURE_CONTEXT };
export const REPORT_MANIFEST: ManifestKind = { format: REPORT_MANIFEST_FORMAT, file: 'report-manifest.json', context: REPORT_MANIFEST_SIGNATURE_CONTEXT };

function kindOf(format: string): ManifestKind | undefined {
  return [OUTPUTS_MANIFEST, REPORT_MANIFEST].find((k) => k.format === format);
}

/** One output file as listed in the manifest. */
export interface ManifestFile {
  readonly name: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** Privacy spent by the study (zCDP rho, its (epsilon, delta) conversion, and the budget). */
export interface ManifestPrivacy {
  readonly rho: number;
  readonly epsilon: number;
  readonly delta: number;
  readonly rhoBudget?: number;
}

/** Who signed: the coordinator's id, its consortium certificate (PEM) and raw Ed25519 key (base64). */
export interface ManifestSigner {
  readonly id: string;
  readonly certificatePem: string;
  readonly publicKey: string;
}

/** Everything the signature covers. */
export interface ManifestBody {
  readonly format: ManifestFormat;
  readonly softwareVersion: string;
  readonly studyId: string;
  readonly createdAt: string;
  readonly files: readonly ManifestFile[];
  /** The study's parameters (StudySpec as proto JSON). */
  readonly study: Readonly<Record<string, unknown>>;
  readonly privacy: ManifestPrivacy;
  /** null when the coordinator ran without a signing key (the manifest is then unsigned). */
  readonly signer: ManifestSigner | null;
}

export interface Manifest extends ManifestBody {
  /** Ed25519 signature (base64) over signaturePayload(body); null when unsigned. */
  readonly signature: { readonly algorithm: 'Ed25519'; readonly value: string } | null;
}

/** SHA-256 (hex) and size of a file's bytes. */
export function describeFile(name: string, data: Uint8Array): ManifestFile {
  return { name, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

/** The exact bytes signed: the format's context prefix + canonical JSON of the body (keys sorted, no spaces). */
export function signaturePayload(body: ManifestBody): Buffer {
  const kind = kindOf(body.format);
  if (kind === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `unknown manifest format ${JSON.stringify(body.format)}`);
  return Buffer.from(kind.context + canonicalJson(body), 'utf8');
}

/** Signs `body` with an Ed25519 private key (the signer block must name the matching public key). */
export function signManifest(body: ManifestBody, key: KeyObject): Manifest {
  if (key.asymmetricKeyType !== 'ed25519') throw new FedsynthError(ErrorCode.InvalidArgument, 'manifest signing key must be Ed25519');
  return { ...body, signature: { algorithm: 'Ed25519', value: sign(null, signaturePayload(body), key).toString('base64') } };
}

/** The body of a manifest (the manifest without its signature). */
export function manifestBody(m: Manifest): ManifestBody {
  const { signature: _signature, ...body } = m;
  return body;
}

/** True when the signature verifies under `publicKey` (callers decide which key to trust). */
export function manifestSignatureValid(m: Manifest, publicKey: KeyObject): boolean {
  if (!m.signature || m.signature.algorithm !== 'Ed25519') return false;
  const sig = Buffer.from(m.signature.value, 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, signaturePayload(manifestBody(m)), publicKey, sig);
  } catch {
    return false;
  }
}

function failedIn(file: string, message: string, details: Record<string, unknown>): FedsynthError {
  return new FedsynthError(ErrorCode.VerificationFailed, `${file}: ${message}`, { file, ...details });
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parses manifest text of `kind` (default: the outputs' manifest.json); a malformed manifest, or one
 * of another kind, fails with VerificationFailed naming the manifest file. A manifest never lists itself.
 */
export function parseManifest(text: string, kind: ManifestKind = OUTPUTS_MANIFEST): Manifest {
  const failed = (message: string, details: Record<string, unknown>): FedsynthError => failedIn(kind.file, message, details);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw failed('not valid JSON', {});
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw failed('not a JSON object', {});
  const m = raw as Record<string, unknown>;
  if (m.format !== kind.format) throw failed(`unknown format ${JSON.stringify(m.format)} (expected ${kind.format})`, { field: 'format' });
  for (const k of ['softwareVersion', 'studyId', 'createdAt'] as const) {
    if (typeof m[k] !== 'string') throw failed(`field ${k} must be a string`, { field: k });
  }
  if (!Array.isArray(m.files) || m.files.length === 0) throw failed('files must be a non-empty list', { field: 'files' });
  const seen = new Set<string>();
  for (const f of m.files as unknown[]) {
    const ff = f as Partial<ManifestFile> | null;
    if (!ff || typeof ff.name !== 'string' || !SAFE_NAME.test(ff.name) || ff.name === kind.file) throw failed('a file entry has an invalid name', { field: 'files' });
    if (typeof ff.sha256 !== 'string' || !HEX64.test(ff.sha256)) throw failed(`${ff.name}: invalid sha256`, { field: 'files' });
    if (typeof ff.bytes !== 'number' || !Number.isSafeInteger(ff.bytes) || ff.bytes < 0) throw failed(`${ff.name}: invalid size`, { field: 'files' });
    if (seen.has(ff.name)) throw failed(`${ff.name} is listed twice`, { field: 'files' });
    seen.add(ff.name);
  }
  if (m.study === null || typeof m.study !== 'object') throw failed('study must be an object', { field: 'study' });
  const p = m.privacy as Partial<ManifestPrivacy> | null;
  if (!p || typeof p !== 'object' || ![p.rho, p.epsilon, p.delta].every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
    throw failed('privacy must hold finite non-negative rho, epsilon and delta', { field: 'privacy' });
  }
  const s = m.signer as Partial<ManifestSigner> | null;
  if (s !== null && (typeof s !== 'object' || typeof s.id !== 'string' || typeof s.certificatePem !== 'string' || typeof s.publicKey !== 'string')) {
    throw failed('signer must be null or {id, certificatePem, publicKey}', { field: 'signer' });
  }
  const sig = m.signature as Manifest['signature'];
  if (sig !== null && (typeof sig !== 'object' || sig.algorithm !== 'Ed25519' || typeof sig.value !== 'string')) {
    throw failed('signature must be null or {algorithm: "Ed25519", value}', { field: 'signature' });
  }
  if ((s === null) !== (sig === null)) throw failed('signer and signature must both be present or both be null', { field: 'signature' });
  return m as unknown as Manifest;
}

/** Manifest text as written to disk (pretty-printed; the signature covers the canonical form). */
export function formatManifest(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}
