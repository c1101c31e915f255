// auditHook: adapts the services' `audit(event, details)` callbacks to the hash-chained audit log
// file (platform/audit/AuditLogFile.ts), so both the coordinator and every agent keep one.
import type { KeyObject } from 'node:crypto';
import { AuditLogFile } from './AuditLogFile.js';

export interface AuditHook {
  (event: string, details: Record<string, unknown>): void;
  close(): void;
}

export function openAuditHook(path: string, actor: string, signer?: { signingKey: KeyObject; publicKeyRaw: Uint8Array }): AuditHook {
  const file = AuditLogFile.open(path, { onTornTail: 'recover', signer: signer ? { actor, signingKey: signer.signingKey, publicKeyRaw: signer.publicKeyRaw, every: 50 } : undefined });
  const hook = ((event: string, details: Record<string, unknown>) => {
    const studyId = typeof details.studyId === 'string' ? details.studyId : undefined;
    const roundId = typeof details.roundId === 'string' ? details.roundId : undefined;
    file.append({ actor, event, studyId, roundId, details });
  }) as AuditHook;
  hook.close = () => file.close();
  return hook;
}
