// AuditLogFile: the durable writer of the hash-chained audit log (one JSON line per record, fsync
// per append), which continues the chain across restarts and refuses to silently drop a torn last line.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash, type KeyObject } from 'node:crypto';
import { dirname } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import {
  AuditChainVerifier,
  EMPTY_HEAD,
  assertAuditOk,
  checkpointEntry,
  nextAuditRecord,
  verifyAuditText,
  type AuditEntry,
  type AuditRecord,
  type AuditVerification,
  type ChainHead,
  type VerifyOptions,
} from '../../shared/audit/AuditChain.js';
import { assertNoRawData } from '../../shared/audit/assertNoRawData.js';

export interface AuditSigner {
  readonly actor: string;
  readonly signingKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  readonly publicKeyRaw: Uint8Array;
  /** Append a signed checkpoint after every `every` records (default 100). */
  readonly every?: number;
}

export interface AuditLogOptions {
  /** Optional periodic Ed25519 head checkpoints (e.g. with the kit's signing key). */
  readonly signer?: AuditSigner;
  /** Detail keys the caller declares DP-noised (exempt from the raw-data key check). */
  readonly noisyKeys?: readonly string[];
  /**
   * What to do with an incomplete last line (a crash mid-write): 'fail' (default) refuses to open;
   * 'recover' moves the fragment to `<file>.torn-<seq>` and logs an `audit.torn-tail-recovered` record.
   */
  readonly onTornTail?: 'fail' | 'recover';
  /** Clock (tests). */
  readonly now?: () => Date;
  /** Verify the whole existing file on open instead of only its last record (default false). */
  readonly verifyOnOpen?: boolean;
}

const TAIL_CHUNK = 64 * 1024;

/** Append-only writer; single process per file (the agent and coordinator each own theirs). */
export class AuditLogFile {
  private fd: number;
  private headValue: ChainHead;
  private sinceCheckpoint = 0;

  private constructor(
    readonly path: string,
    fd: number,
    head: ChainHead,
    private readonly opts: AuditLogOptions,
  ) {
    this.fd = fd;
    this.headValue = head;
  }

  /** Opens (or creates) the log at `path` and continues its chain. */
  static open(path: string, opts: AuditLogOptions = {}): AuditLogFile {
    mkdirSync(dirname(path), { recursive: true });
    const created = !existsSync(path);
    const fd = openSync(path, 'a+', 0o640);
    try {
      if (created) fsyncDir(dirname(path));
      const { head, torn } = opts.verifyOnOpen === true ? verifyAll(path) : readTail(fd, path);
      const log = new AuditLogFile(path, fd, head, opts);
      if (torn !== undefined) log.handleTorn(torn);
      return log;
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  get head(): ChainHead {
    return this.headValue;
  }

  /** Appends one record (after the raw-data guard) and fsyncs it; may append a signed checkpoint after it. */
  append(entry: AuditEntry): AuditRecord {
    assertNoRawData(entry.details, { noisyKeys: this.opts.noisyKeys });
    const rec = this.write(entry);
    this.sinceCheckpoint++;
    const s = this.opts.signer;
    if (s !== undefined && this.sinceCheckpoint >= (s.every ?? 100)) this.checkpoint();
    return rec;
  }

  /** Appends an Ed25519 signature over the current head (requires a signer). */
  checkpoint(): AuditRecord {
    const s = this.opts.signer;
    if (s === undefined) throw new FedsynthError(ErrorCode.InvalidConfig, 'audit checkpoint needs a signing key');
    this.sinceCheckpoint = 0;
    return this.write(checkpointEntry(s.actor, this.headValue, s.signingKey, s.publicKeyRaw));
  }

  close(): void {
    if (this.fd >= 0) {
      closeSync(this.fd);
      this.fd = -1;
    }
  }

  private write(entry: AuditEntry): AuditRecord {
    if (this.fd < 0) throw new FedsynthError(ErrorCode.Internal, `audit log ${this.path} is closed`);
    const rec = nextAuditRecord(this.headValue, entry, (this.opts.now ?? (() => new Date()))());
    const buf = Buffer.from(JSON.stringify(rec) + '\n', 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    fsyncSync(this.fd);
    this.headValue = { seq: rec.seq, hash: rec.hash };
    return rec;
  }

  private handleTorn(fragment: Buffer): void {
    const line = this.headValue.seq + 1;
    if (this.opts.onTornTail !== 'recover') {
      // open() closes the descriptor when this throws
      throw new FedsynthError(
        ErrorCode.AuditChainBroken,
        `audit log ${this.path}: line ${line} is incomplete (torn write of ${fragment.length} bytes, probably a crash); ` +
          'inspect it, then reopen with torn-tail recovery to set it aside',
        { file: this.path, line, bytes: fragment.length },
      );
    }
    const aside = `${this.path}.torn-${line}`;
    writeFileSync(aside, fragment, { mode: 0o640 });
    const size = fstatSync(this.fd).size;
    ftruncateSync(this.fd, size - fragment.length);
    fsyncSync(this.fd);
    this.write({
      actor: 'audit',
      event: 'audit.torn-tail-recovered',
      details: { line, bytes: fragment.length, sha256: createHash('sha256').update(fragment).digest('hex'), movedTo: aside },
    });
  }
}

/** Reads the last complete record (and any torn fragment after it) without reading the whole file. */
function readTail(fd: number, path: string): { head: ChainHead; torn?: Buffer } {
  const size = fstatSync(fd).size;
  if (size === 0) return { head: EMPTY_HEAD };
  let chunk = Math.min(size, TAIL_CHUNK);
  for (;;) {
    const buf = Buffer.alloc(chunk);
    readSync(fd, buf, 0, chunk, size - chunk);
    const lastNl = buf.lastIndexOf(0x0a);
    const torn = lastNl === buf.length - 1 ? undefined : buf.subarray(lastNl + 1);
    if (lastNl < 0 && chunk === size) return { head: EMPTY_HEAD, torn: buf }; // only a fragment
    const prevNl = lastNl < 0 ? -1 : buf.lastIndexOf(0x0a, lastNl - 1);
    if (lastNl >= 0 && (prevNl >= 0 || chunk === size)) {
      const line = buf.subarray(prevNl + 1, lastNl).toString('utf8');
      return { head: headOf(line, path), torn: torn === undefined ? undefined : Buffer.from(torn) };
    }
    if (chunk === size) break;
    chunk = Math.min(size, chunk * 2);
  }
  throw new FedsynthError(ErrorCode.AuditChainBroken, `audit log ${path}: cannot find its last record`, { file: path });
}

function headOf(line: string, path: string): ChainHead {
  // Check the last record on its own (shape and hash); `fedsynth audit verify` checks the whole chain.
  let rec: AuditRecord;
  try {
    rec = JSON.parse(line) as AuditRecord;
  } catch {
    throw new FedsynthError(ErrorCode.AuditChainBroken, `audit log ${path}: last record is not valid JSON`, { file: path });
  }
  const v = new AuditChainVerifier({ start: { seq: Number(rec.seq) - 1, hash: String(rec.prevHash) } });
  if (!v.push(line)) {
    const r = v.result();
    throw new FedsynthError(ErrorCode.AuditChainBroken, `audit log ${path}: last record is corrupt: ${r.ok ? '' : r.reason}`, {
      file: path,
    });
  }
  return { seq: rec.seq, hash: rec.hash };
}

function verifyAll(path: string): { head: ChainHead; torn?: Buffer } {
  const text = readFileSync(path, 'utf8');
  const cut = text.lastIndexOf('\n') + 1;
  const v = verifyAuditText(text.slice(0, cut));
  assertAuditOk(v, path);
  return { head: v.head, torn: cut < text.length ? Buffer.from(text.slice(cut), 'utf8') : undefined };
}

function fsyncDir(dir: string): void {
  try {
    const d = openSync(dir, 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // some platforms cannot fsync a directory; the file itself is fsynced on every append
  }
}

/** Verifies a log file end to end (streaming would be needed only for multi-GB logs). */
export function verifyAuditLogFile(path: string, opts: VerifyOptions = {}): AuditVerification {
  if (!existsSync(path)) throw new FedsynthError(ErrorCode.NotFound, `audit log not found: ${path}`, { file: path });
  return verifyAuditText(readFileSync(path, 'utf8'), opts);
}
