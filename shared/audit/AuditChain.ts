// AuditChain: the pure logic of fedsynth's append-only audit log: hash-chained records (SHA-256 over
// canonical JSON, genesis prevHash = 64 zeros), Ed25519-signed head checkpoints, and whole-chain verification.
import { createHash, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { canonicalJson } from './canonicalJson.js';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
/** Event name of a signed head checkpoint record. */
export const CHECKPOINT_EVENT = 'audit.checkpoint';

/** What a caller logs: metadata only (who did what to which study/round), never data. */
export interface AuditEntry {
  readonly actor: string;
  readonly event: string;
  readonly studyId?: string;
  readonly roundId?: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** One JSON line of the log. `seq` starts at 1 and equals the line number. */
export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  /** ISO-8601 UTC time of the append. */
  readonly time: string;
  readonly prevHash: string;
  /** SHA-256 (hex) of canonicalJson(record without `hash`). */
  readonly hash: string;
}

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** The hash of a record: SHA-256 over the canonical JSON of every field except `hash`. */
export function auditRecordHash(record: Omit<AuditRecord, 'hash'>): string {
  const { hash: _ignored, ...rest } = record as AuditRecord;
  return createHash('sha256').update(canonicalJson(rest), 'utf8').digest('hex');
}

/** The record that follows `head`. */
export function nextAuditRecord(head: ChainHead, entry: AuditEntry, time: Date): AuditRecord {
  const body: Omit<AuditRecord, 'hash'> = {
    seq: head.seq + 1,
    time: time.toISOString(),
    actor: entry.actor,
    event: entry.event,
    ...(entry.studyId === undefined ? {} : { studyId: entry.studyId }),
    ...(entry.roundId === undefined ? {} : { roundId: entry.roundId }),
    details: entry.details,
    prevHash: head.hash,
  };
  return { ...body, hash: auditRecordHash(body) };
}

/** The bytes an Ed25519 checkpoint signs: domain-separated head. */
export function checkpointMessage(head: ChainHead): Buffer {
  return Buffer.from(`fedsynth/v1/audit-head/${head.seq}/${head.hash}`, 'utf8');
}

/** A checkpoint entry signing `head` with an Ed25519 key (node:crypto KeyObject). */
export function checkpointEntry(actor: string, head: ChainHead, signingKey: KeyObject, publicKeyRaw: Uint8Array): AuditEntry {
  return {
    actor,
    event: CHECKPOINT_EVENT,
    details: {
      signedSeq: head.seq,
      signedHash: head.hash,
      alg: 'ed25519',
      publicKey: Buffer.from(publicKeyRaw).toString('base64'),
      signature: edSign(null, checkpointMessage(head), signingKey).toString('base64'),
    },
  };
}

export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly head: ChainHead; readonly checkpoints: number }
  | { readonly ok: false; readonly line: number; readonly reason: string; readonly records: number };

export interface VerifyOptions {
  /** Head before the first pushed line (default: the empty chain); lets a writer check just its last record. */
  readonly start?: ChainHead;
  /** When given, every checkpoint must be signed by this Ed25519 public key. */
  readonly checkpointKey?: KeyObject;
  /** Builds a KeyObject from a raw key (checkpoints without `checkpointKey` verify against their own key). */
  readonly publicKeyFromRaw?: (raw: Uint8Array) => KeyObject;
}

/** Incremental verifier: feed lines in order; the first bad line is reported with its 1-based number. */
export class AuditChainVerifier {
  private head: ChainHead;
  private checkpoints = 0;
  private failure: { line: number; reason: string } | undefined;

  constructor(private readonly opts: VerifyOptions = {}) {
    this.head = opts.start ?? EMPTY_HEAD;
  }

  /** Checks one complete line (without its newline). Returns false once the chain is broken. */
  push(line: string): boolean {
    if (this.failure !== undefined) return false;
    const n = this.head.seq + 1;
    const reason = this.check(line, n);
    if (reason !== undefined) {
      this.failure = { line: n, reason };
      return false;
    }
    return true;
  }

  /** Marks a final line without newline (a torn write) as a break. */
  pushTorn(fragment: string): void {
    if (this.failure === undefined) {
      this.failure = { line: this.head.seq + 1, reason: `incomplete last line (torn write, ${Buffer.byteLength(fragment)} bytes)` };
    }
  }

  result(): AuditVerification {
    if (this.failure !== undefined) return { ok: false, ...this.failure, records: this.head.seq };
    return { ok: true, records: this.head.seq, head: this.head, checkpoints: this.checkpoints };
  }

  private check(line: string, n: number): string | undefined {
    let rec: AuditRecord;
    try {
      rec = JSON.parse(line) as AuditRecord;
    } catch {
      return 'not valid JSON';
    }
    if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return 'not a JSON object';
    if (rec.seq !== n) return `seq is ${String(rec.seq)}, expected ${n}`;
    for (const k of ['time', 'actor', 'event', 'prevHash', 'hash'] as const) {
      if (typeof rec[k] !== 'string') return `field ${k} missing or not a string`;
    }
    if (rec.details === null || typeof rec.details !== 'object' || Array.isArray(rec.details)) return 'details must be an object';
    if (rec.prevHash !== this.head.hash) return 'prevHash does not match the previous record';
    let expected: string;
    try {
      expected = auditRecordHash(rec);
    } catch {
      return 'record cannot be canonically encoded';
    }
    if (expected !== rec.hash) return 'hash does not match the record contents';
    if (rec.event === CHECKPOINT_EVENT) {
      const why = this.checkCheckpoint(rec);
      if (why !== undefined) return why;
      this.checkpoints++;
    }
    this.head = { seq: rec.seq, hash: rec.hash };
    return undefined;
  }

  private checkCheckpoint(rec: AuditRecord): string | undefined {
    const d = rec.details as { signedSeq?: unknown; signedHash?: unknown; publicKey?: unknown; signature?: unknown };
    if (d.signedSeq !== this.head.seq || d.signedHash !== this.head.hash) return 'checkpoint does not sign the preceding head';
    if (typeof d.publicKey !== 'string' || typeof d.signature !== 'string') return 'checkpoint lacks publicKey or signature';
    const key = this.opts.checkpointKey ?? this.opts.publicKeyFromRaw?.(new Uint8Array(Buffer.from(d.publicKey, 'base64')));
    if (key === undefined) return undefined; // structure checked; no key to verify against
    let ok = false;
    try {
      ok = edVerify(null, checkpointMessage(this.head), key, Buffer.from(d.signature, 'base64'));
    } catch {
      ok = false;
    }
    return ok ? undefined : 'checkpoint signature is invalid';
  }
}

/** Verifies a whole log given as text (JSON lines, each terminated by "\n"). */
export function verifyAuditText(text: string, opts: VerifyOptions = {}): AuditVerification {
  const v = new AuditChainVerifier(opts);
  const lines = text.split('\n');
  const last = lines.pop()!; // '' when the text ends with a newline
  for (const line of lines) if (!v.push(line)) return v.result();
  if (last !== '') v.pushTorn(last);
  return v.result();
}

/** Throws AuditChainBroken for a failed verification. */
export function assertAuditOk(v: AuditVerification, source: string): asserts v is Extract<AuditVerification, { ok: true }> {
  if (!v.ok) {
    throw new FedsynthError(ErrorCode.AuditChainBroken, `audit log ${source}: line ${v.line}: ${v.reason}`, {
      file: source,
      line: v.line,
      reason: v.reason,
    });
  }
}
