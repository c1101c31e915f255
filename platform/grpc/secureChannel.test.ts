// Tests of secureChannel against a real gRPC server on 127.0.0.1:0: a server dialled by IP is held
// to that IP in its certificate (and a configured name to that name), with no IP sent as TLS ServerName (DEP0123).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCa } from '../pki/CertificateAuthority.js';
import { issueKit } from '../pki/issueKit.js';
import { loadKit, type LoadedKit } from '../pki/loadKit.js';
import { secureChannel, type ClientTls } from './secureChannel.js';

const dir = mkdtempSync(join(tmpdir(), 'fedsynth-secure-channel-'));
let client: LoadedKit;
/** Servers by certificate: one with the IP 127.0.0.1 (and localhost), one with the DNS name localhost only. */
const ports = { ip: 0, nameOnly: 0 };
const servers: grpc.Server[] = [];
const warnings: Error[] = [];
const onWarning = (w: Error): void => void warnings.push(w);

async function serve(kit: LoadedKit): Promise<number> {
  const server = new grpc.Server();
  servers.push(server);
  const creds = grpc.ServerCredentials.createSsl(kit.tls.ca, [{ cert_chain: kit.tls.cert, private_key: kit.tls.key }], true);
  return new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
}

/**
 * One call to a method no server has: UNIMPLEMENTED means the TLS handshake (both identities)
 * succeeded; otherwise the status details say why the connection was refused.
 */
async function call(port: number, serverName?: string): Promise<string> {
  const tls: ClientTls = { caPem: client.tls.ca, keyPem: client.tls.key, certPem: client.tls.cert, ...(serverName !== undefined ? { serverName } : {}) };
  const address = `127.0.0.1:${port}`;
  const { credentials, options } = secureChannel(address, tls);
  const c = new grpc.Client(address, credentials, options);
  try {
    return await new Promise<string>((resolve) => {
      c.makeUnaryRequest('/test.None/Call', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), { deadline: Date.now() + 60_000 }, (err) => {
        resolve(err ? `${grpc.status[err.code]}: ${err.details}` : 'OK');
      });
    });
  } finally {
    c.close();
  }
}

beforeAll(async () => {
  process.on('warning', onWarning);
  const ca = await initCa(join(dir, 'ca'), { consortium: 'secure-channel' });
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', hosts: ['localhost'], out: join(dir, 'ip') });
  await issueKit(ca, { role: 'coordinator', id: 'coordinator-b', coordinator: 'localhost:7443', out: join(dir, 'name-only') });
  await issueKit(ca, { role: 'party', id: 'hospital-a', coordinator: '127.0.0.1:7443', out: join(dir, 'party') });
  client = loadKit(join(dir, 'party'));
  ports.ip = await serve(loadKit(join(dir, 'ip')));
  ports.nameOnly = await serve(loadKit(join(dir, 'name-only')));
}, 60_000);

afterAll(() => {
  process.off('warning', onWarning);
  for (const s of servers) s.forceShutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('secureChannel', () => {
  it('dialled by IP: a certificate carrying that IP is accepted, one without it is refused', async () => {
    expect(await call(ports.ip)).toMatch(/^UNIMPLEMENTED/);
    expect(await call(ports.nameOnly)).toMatch(/^UNAVAILABLE: .*IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('with a configured name: the certificate must carry that name (or IP), whatever host is dialled', async () => {
    expect(await call(ports.nameOnly, 'localhost')).toMatch(/^UNIMPLEMENTED/);
    expect(await call(ports.ip, 'localhost')).toMatch(/^UNIMPLEMENTED/);
    expect(await call(ports.nameOnly, 'coordinator.example')).toMatch(/^UNAVAILABLE: .*Host: coordinator\.example\. is not in the cert's altnames/);
    expect(await call(ports.ip, '127.0.0.1')).toMatch(/^UNIMPLEMENTED/);
    expect(await call(ports.nameOnly, '127.0.0.1')).toMatch(/^UNAVAILABLE: .*IP: 127\.0\.0\.1 is not in the cert's list/);
  });

  it('never sets an IP address as TLS ServerName (no DEP0123 in this process)', () => {
    // Every call above dialled 127.0.0.1; Node warns at the first IP ServerName of a process.
    expect(warnings.filter((w) => (w as Error & { code?: string }).code === 'DEP0123' || /ServerName to an IP address/.test(w.message)).map((w) => w.message)).toEqual([]);
  });
});
