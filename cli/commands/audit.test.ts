// Tests of the audit log file: fsynced appends, continuing the chain after a restart, torn-tail
// detection and recovery, signed checkpoints, the raw-data guard, and `fedsynth audit verify`.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { register } from './audit.js';
import { AuditLogFile, verifyAuditLogFile } from '../../platform/audit/AuditLogFile.js';
import { runRegistered } from '../../test/support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-audit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const entry = (i: number) => ({ actor: 'coordinator', event: 'study.round', studyId: 's', roundId: `r${i}`, details: { i } });

const cli = (...args: string[]): Promise<string> => runRegistered(register, args);

describe('AuditLogFile', () => {
  it('continues the chain across restarts and verifies end to end', async () => {
    const p = join(root, 'a', 'audit.log');
    let log = AuditLogFile.open(p);
    for (let i = 0; i < 3; i++) log.append(entry(i));
    log.close();
    log = AuditLogFile.open(p);
    expect(log.head.seq).toBe(3);
    const r = log.append(entry(3));
    expect(r.seq).toBe(4);
    log.close();
    expect(AuditLogFile.open(p, { verifyOnOpen: true }).head.seq).toBe(4);
    expect(verifyAuditLogFile(p)).toMatchObject({ ok: true, records: 4 });
    expect(JSON.parse(await cli('audit', 'verify', p))).toMatchObject({ ok: true, records: 4, head: r.hash });
  });

  it('reports a torn last line instead of dropping it; recovery sets it aside and logs it', () => {
    const p = join(root, 'torn.log');
    const log = AuditLogFile.open(p);
    log.append(entry(0));
    log.append(entry(1));
    log.close();
    appendFileSync(p, '{"seq":3,"time":"2025-');
    expect(() => AuditLogFile.open(p)).toThrow(expect.objectContaining({ code: ErrorCode.AuditChainBroken, message: expect.stringMatching(/line 3 is incomplete/) }));
    expect(verifyAuditLogFile(p)).toMatchObject({ ok: false, line: 3 });
    const rec = AuditLogFile.open(p, { onTornTail: 'recover' });
    expect(rec.head.seq).toBe(3);
    rec.close();
    expect(existsSync(`${p}.torn-3`)).toBe(true);
    expect(verifyAuditLogFile(p)).toMatchObject({ ok: true, records: 3 });
    expect(readFileSync(p, 'utf8')).toContain('audit.torn-tail-recovered');
  });

  it('refuses to continue after a corrupt last record and the CLI names the first bad line', async () => {
    const p = join(root, 'bad.log');
    const log = AuditLogFile.open(p);
    for (let i = 0; i < 4; i++) log.append(entry(i));
    log.close();
    const lines = readFileSync(p, 'utf8').split('\n');
    lines[1] = lines[1]!.replace('"r1"', '"rX"');
    writeFileSync(p, lines.join('\n'));
    await expect(cli('audit', 'verify', p)).rejects.toMatchObject({ code: ErrorCode.AuditChainBroken, message: expect.stringContaining('line 2') });
    lines[3] = lines[3]!.replace('"r3"', '"rY"');
    writeFileSync(p, lines.join('\n'));
    expect(() => AuditLogFile.open(p)).toThrow(/last record is corrupt/);
  });

  it('signs checkpoints periodically; verify --public-key enforces the signer', async () => {
    const k = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(Buffer.from(k.publicKey.export({ format: 'jwk' }).x!, 'base64url'));
    const p = join(root, 'signed.log');
    const log = AuditLogFile.open(p, { signer: { actor: 'alice', signingKey: k.privateKey, publicKeyRaw: raw, every: 2 } });
    for (let i = 0; i < 5; i++) log.append(entry(i));
    log.close();
    expect(verifyAuditLogFile(p, { checkpointKey: k.publicKey })).toMatchObject({ ok: true, records: 7, checkpoints: 2 });
    const pub = join(root, 'other.pub');
    writeFileSync(pub, generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }));
    await expect(cli('audit', 'verify', p, '--public-key', pub)).rejects.toMatchObject({ code: ErrorCode.AuditChainBroken });
  });

  it('rejects raw-data-shaped details before writing', () => {
    const p = join(root, 'guard.log');
    const log = AuditLogFile.open(p);
    expect(() => log.append({ actor: 'a', event: 'e', details: { rows: [[1, 2]] } })).toThrow(/raw data/);
    expect(log.head.seq).toBe(0);
    log.close();
  });
});
