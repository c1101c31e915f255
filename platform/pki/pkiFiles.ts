// pkiFiles: file names of the CA directory and of startup kits, and the small file helpers that
// read them with a NotFound error naming the missing file and write secrets with mode 0600.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { PartyRole } from '../../shared/identity/PartyRole.js';

/** Files of the consortium CA directory (kept offline by the consortium operator). */
export const CA_FILES = {
  cert: 'ca.crt',
  key: 'ca.key',
  meta: 'ca.json',
  registry: 'issued.json',
  crl: 'crl.pem',
  roster: 'roster.json',
  kitsDir: 'kits',
} as const;

/** Files of a startup kit (the role decides the certificate/key names). */
export function kitFileNames(role: PartyRole): KitFileNames {
  return {
    ca: 'ca.crt',
    cert: `${role}.crt`,
    key: `${role}.key`,
    signingKey: 'signing.key',
    signingPublicKey: 'signing.pub',
    signingSeed: 'signing.seed',
  };
}

export interface KitFileNames {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  readonly signingKey: string;
  readonly signingPublicKey: string;
  readonly signingSeed: string;
}

export const KIT_JSON = 'kit.json';
export const KIT_README = 'README.txt';

/** Reads a required file; a missing one is a NotFound error naming it and what it is. */
export function readRequired(path: string, what: string): string {
  if (!existsSync(path)) {
    throw new FedsynthError(ErrorCode.NotFound, `${what} not found: ${path} (missing file ${basename(path)})`, {
      file: path,
    });
  }
  return readFileSync(path, 'utf8');
}

/** Parses a required JSON file; malformed JSON is InvalidConfig naming the file. */
export function readRequiredJson(path: string, what: string): unknown {
  const text = readRequired(path, what);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new FedsynthError(ErrorCode.InvalidConfig, `${what} ${path} is not valid JSON: ${(e as Error).message}`, {
      file: path,
    });
  }
}

/** Writes a file readable by its owner only (mode 0600), atomically (temp file + rename). */
export function writePrivate(path: string, data: string): void {
  writeAtomic(path, data, 0o600);
}

/** Writes a public file (mode 0644), atomically. */
export function writePublic(path: string, data: string): void {
  writeAtomic(path, data, 0o644);
}

function writeAtomic(path: string, data: string, mode: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode); // an existing temp file keeps its old mode otherwise
  renameSync(tmp, path);
}
