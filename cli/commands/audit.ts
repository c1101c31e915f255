// The `fedsynth audit` command: verify a hash-chained audit log (and its signed checkpoints).
// Implementation lives in shared/audit/ (chain logic) and platform/audit/ (file I/O).
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { assertAuditOk } from '../../shared/audit/AuditChain.js';
import { verifyAuditLogFile } from '../../platform/audit/AuditLogFile.js';
import { readRequired } from '../../platform/pki/pkiFiles.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { ed25519PublicKeyFromRaw } from '../../platform/pki/signingKeyBinding.js';

export function register(program: Command): void {
  const audit = program.command('audit').description('audit logs: append-only, hash-chained JSON lines');
  audit
    .command('verify')
    .description('check the whole chain; prints {ok, records, head, checkpoints} or fails with AUDIT_CHAIN_BROKEN naming the first bad line')
    .argument('<FILE>', 'audit log (JSON lines)')
    .option('--kit <DIR>', 'require checkpoints to be signed by this startup kit\'s signing key')
    .option('--public-key <FILE>', 'require checkpoints to be signed by this Ed25519 public key (PEM)')
    .action((file: string, o: { kit?: string; publicKey?: string }) => {
      let checkpointKey: KeyObject | undefined;
      if (o.kit !== undefined) checkpointKey = loadKit(o.kit).signingPublicKey;
      else if (o.publicKey !== undefined) checkpointKey = createPublicKey(readRequired(o.publicKey, 'Ed25519 public key'));
      const v = verifyAuditLogFile(file, { checkpointKey, publicKeyFromRaw: ed25519PublicKeyFromRaw });
      assertAuditOk(v, file);
      process.stdout.write(JSON.stringify({ ok: true, records: v.records, head: v.head.hash, headSeq: v.head.seq, checkpoints: v.checkpoints }) + '\n');
    });
}
