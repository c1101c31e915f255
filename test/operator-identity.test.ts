// Operator identity (issue 20 item 2): `pki issue --role operator` kits operate studies; the
// coordinator's own kit, a party's or the custodian's certificate is refused with PERMISSION_DENIED
// (authenticated, but not allowed), and an operator certificate may not connect as an agent either.
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { OperatorClient } from '../coordinator/operator/OperatorClient.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { OperatorServiceClient } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { LocalConsortium } from '../simulation/LocalConsortium.js';
import { startCustodianConsortium } from './support/custodianConsortium.js';
import { runMain } from './support/captureCli.js';
import { RawAgentClient } from './support/RawAgentClient.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-operator-identity-'));
let c: LocalConsortium;
let address: string;

beforeAll(async () => {
  c = await startCustodianConsortium(join(root, 'consortium'));
  address = `127.0.0.1:${c.coordinator.port}`;
}, 60_000);

afterAll(async () => {
  await c?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The gRPC status and fedsynth code a listStudies call with `kitDir`'s certificate ends in. */
async function listWith(kitDir: string): Promise<{ status: number; code: string | undefined }> {
  const kit = loadKit(kitDir);
  const client = new OperatorServiceClient(address, grpc.credentials.createSsl(kit.tls.ca, kit.tls.key, kit.tls.cert), { 'grpc.ssl_target_name_override': 'localhost' });
  try {
    return await new Promise((resolve) =>
      client.listStudies({}, (e) => resolve({ status: e ? e.code : grpc.status.OK, code: e?.metadata.get('fedsynth-code')[0]?.toString() })),
    );
  } finally {
    client.close();
  }
}

describe('operator certificates', () => {
  it('`pki issue --role operator --name alice` writes an operator kit that operates studies', async () => {
    const out = join(root, 'alice');
    const r = await runMain(['pki', 'issue', '--ca', join(c.dir, 'ca'), '--role', 'operator', '--name', 'alice', '--coordinator', address, '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'kit.json'), 'utf8'))).toMatchObject({ role: 'operator', id: 'alice' });
    expect(existsSync(join(out, 'operator.crt'))).toBe(true);
    expect(loadKit(out).identity).toMatchObject({ partyId: 'alice', role: 'operator' });
    expect(await listWith(out)).toEqual({ status: grpc.status.OK, code: undefined });
    const client = OperatorClient.fromKit(out, address);
    try {
      expect(await client.listStudies()).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('the coordinator, custodian and party certificates are PERMISSION_DENIED on the operator API (not UNAUTHENTICATED)', async () => {
    await runMain(['pki', 'issue', '--ca', join(c.dir, 'ca'), '--party', 'hospital-x', '--coordinator', address, '--out', join(root, 'hospital-x')]);
    for (const kit of [join(c.dir, 'kits', 'coordinator'), join(c.dir, 'kits', 'custodian'), join(root, 'hospital-x')]) {
      expect(await listWith(kit), kit).toEqual({ status: grpc.status.PERMISSION_DENIED, code: ErrorCode.PermissionDenied });
    }
  });

  it('an operator certificate may not connect as a party agent: PERMISSION_DENIED on the stream', async () => {
    const raw = new RawAgentClient(join(c.dir, 'kits', 'operator'), address);
    try {
      raw.hello();
      await raw.waitClosed();
      expect(raw.error?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(raw.error?.metadata.get('fedsynth-code')[0]?.toString()).toBe(ErrorCode.PermissionDenied);
    } finally {
      raw.close();
    }
  });
});
