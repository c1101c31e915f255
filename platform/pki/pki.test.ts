// Tests of the consortium PKI: CA and kits, kit loading errors, the signing-key extension,
// revocation (CRL + roster), and mTLS with node:tls (foreign-CA and revoked certificates).
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sign, verify } from 'node:crypto';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { isRevoked } from '../../shared/identity/certificateSerial.js';
import { initCa, kitsDir, openCa, type OpenedCa } from './CertificateAuthority.js';
import { issueKit } from './issueKit.js';
import { loadKit, type LoadedKit } from './loadKit.js';
import { loadTrust } from './loadTrust.js';
import { peerIdentityFromCertificate, verifyPeerCertificate } from './peerIdentityFromCertificate.js';
import { publishTrustState } from './publishTrustState.js';
import { revokeCertificate } from './revokeCertificate.js';

let root: string;
let ca: OpenedCa;
let coord: LoadedKit;
let alice: LoadedKit;
let mallory: LoadedKit; // same name as a real party, but from another CA

async function newCa(dir: string, name: string): Promise<OpenedCa> {
  const c = await initCa(dir, { consortium: name });
  await publishTrustState(c);
  return c;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fedsynth-pki-'));
  ca = await newCa(join(root, 'ca'), 'Test Consortium, Inc.');
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:50051', hosts: ['localhost'], out: join(kitsDir(ca), 'coordinator') });
  await issueKit(ca, { role: 'party', id: 'alice', coordinator: '127.0.0.1:50051', out: join(root, 'alice') });
  coord = loadKit(join(ca.dir, 'kits', 'coordinator'));
  alice = loadKit(join(root, 'alice'));
  const other = await newCa(join(root, 'other-ca'), 'Test Consortium, Inc.');
  await issueKit(other, { role: 'party', id: 'alice', coordinator: '127.0.0.1:50051', out: join(root, 'mallory') });
  mallory = loadKit(join(root, 'mallory'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('kits', () => {
  it('writes the kit files with secrets at mode 0600 and a consistent kit.json', () => {
    for (const f of ['party.key', 'signing.key', 'signing.seed']) {
      expect(statSync(join(root, 'alice', f)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(join(ca.dir, 'ca.key')).mode & 0o777).toBe(0o600);
    expect(alice.manifest).toMatchObject({ role: 'party', id: 'alice', coordinator: '127.0.0.1:50051', caFingerprint: ca.fingerprint });
    expect(alice.identity).toMatchObject({ partyId: 'alice', role: 'party', consortium: 'Test Consortium, Inc.' });
    expect(alice.warnings).toEqual([]);
    expect(readFileSync(join(root, 'alice', 'README.txt'), 'utf8')).toContain('openssl x509 -in ca.crt -noout -fingerprint -sha256');
  });

  it('binds the Ed25519 signing key in the certificate; raw keys match the PEM keys', () => {
    expect(alice.signingPublicKeyRaw).toHaveLength(32);
    expect(Buffer.from(alice.identity.signingPublicKeyRaw!)).toEqual(Buffer.from(alice.signingPublicKeyRaw));
    expect(alice.sodiumSigningSecretKey).toHaveLength(64);
    const msg = Buffer.from('round 1 public keys');
    const sig = sign(null, msg, alice.signingKey);
    expect(verify(null, msg, alice.identity.signingPublicKey!, sig)).toBe(true);
    expect(verify(null, msg, coord.identity.signingPublicKey!, sig)).toBe(false);
  });

  it('gives the coordinator a server certificate with IP and DNS SANs', async () => {
    const { X509Certificate } = await import('node:crypto');
    const c = new X509Certificate(coord.certPem);
    expect(c.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(c.subjectAltName).toContain('DNS:localhost');
    expect(coord.identity.role).toBe('coordinator');
  });

  it('refuses a second active certificate for the same party and a non-empty kit dir', async () => {
    await expect(issueKit(ca, { role: 'party', id: 'alice', coordinator: '127.0.0.1:50051', out: join(root, 'alice2') })).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    await expect(issueKit(ca, { role: 'party', id: 'bob', coordinator: '127.0.0.1:50051', out: join(root, 'alice') })).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
    await expect(issueKit(ca, { role: 'party', id: 'bad name', coordinator: '127.0.0.1:50051', out: join(root, 'x') })).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
    });
  });

  it('loadKit names a missing file (NotFound) and detects mismatched files (InvalidConfig)', async () => {
    const dir = join(root, 'carol');
    await issueKit(ca, { role: 'custodian', id: 'carol', coordinator: '127.0.0.1:50051', out: dir });
    expect(loadKit(dir).identity.role).toBe('custodian');
    writeFileSync(join(dir, 'ca.crt'), readFileSync(join(root, 'other-ca', 'ca.crt')));
    expect(() => loadKit(dir)).toThrow(/does not match the CA fingerprint/);
    unlinkSync(join(dir, 'custodian.key'));
    try {
      loadKit(dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FedsynthError);
      expect((e as FedsynthError).code).toBe(ErrorCode.NotFound);
      expect((e as FedsynthError).message).toContain('custodian.key');
    }
    expect(() => loadKit(join(root, 'nowhere'))).toThrow(/kit\.json/);
  });
});

describe('trust and revocation', () => {
  it('verifies a relayed certificate against the CA and rejects a foreign one', async () => {
    const trust = await loadTrust(ca.dir);
    expect(verifyPeerCertificate(alice.certPem, trust).partyId).toBe('alice');
    expect(() => verifyPeerCertificate(mallory.certPem, trust)).toThrow(/not issued by the consortium CA/);
  });

  it('revocation puts the serial in the signed CRL and removes it from the roster', async () => {
    const dir = join(root, 'dave');
    const kit = await issueKit(ca, { role: 'party', id: 'dave', coordinator: '127.0.0.1:50051', out: dir });
    const before = await loadTrust(ca.dir);
    expect(before.roster?.entries.map((e) => e.id)).toContain('dave');
    const reopened = await openCa(ca.dir);
    const revoked = await revokeCertificate(reopened, { id: 'dave', reason: 'keyCompromise' });
    expect(revoked).toEqual([kit.manifest.certSerial]);
    const after = await loadTrust(ca.dir);
    expect(after.crlNumber).toBeGreaterThan(before.crlNumber!);
    const id = peerIdentityFromCertificate(readFileSync(join(dir, 'party.crt'), 'utf8'));
    expect(isRevoked(id.serial, after.crl)).toBe(true);
    expect(isRevoked(alice.identity.serial, after.crl)).toBe(false);
    expect(isRevoked(id.serial.toUpperCase(), after.crl)).toBe(true);
    expect(after.roster?.entries.map((e) => e.id)).not.toContain('dave');
    expect(() => verifyPeerCertificate(readFileSync(join(dir, 'party.crt'), 'utf8'), after)).toThrow(
      expect.objectContaining({ code: ErrorCode.CertificateRevoked }),
    );
    await expect(revokeCertificate(reopened, { id: 'dave' })).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('rejects a tampered roster (planted fault)', async () => {
    const dir = join(root, 'tamper');
    const c = await newCa(dir, 'T');
    await issueKit(c, { role: 'party', id: 'p1', coordinator: '127.0.0.1:1', out: join(dir, 'p1kit') });
    const path = join(dir, 'roster.json');
    const roster = JSON.parse(readFileSync(path, 'utf8')) as { entries: { signingPublicKey: string }[] };
    roster.entries[0]!.signingPublicKey = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(path, JSON.stringify(roster));
    await expect(loadTrust(dir)).rejects.toMatchObject({ code: ErrorCode.BadSignature });
  });
});

interface HandshakeResult {
  serverIdentity?: string;
  /** node's code for the server-side failure (tlsClientError). */
  serverErrorCode?: string;
  /** The verification error of the client certificate (only seen when `reject` is false). */
  authorizationError?: string;
  clientError?: string;
}

/**
 * One mTLS handshake against a tiny server on 127.0.0.1:0 that requires a client certificate; with
 * `reject` (the services' setting) an unverified one is refused, without it the server only reports why.
 */
async function handshake(client: { ca: Buffer; cert?: Buffer; key?: Buffer }, reject = true): Promise<HandshakeResult> {
  const result: HandshakeResult = {};
  const server = tls.createServer({ ...coord.tls, requestCert: true, rejectUnauthorized: reject, minVersion: 'TLSv1.2' });
  server.on('secureConnection', (s) => {
    if (s.authorized) result.serverIdentity = peerIdentityFromCertificate(s.getPeerCertificate(true)).partyId;
    else result.authorizationError = String(s.authorizationError);
    s.end('ok');
  });
  server.on('tlsClientError', (e: Error & { code?: string }) => {
    result.serverErrorCode = e.code;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((done) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: client.ca, cert: client.cert, key: client.key });
    sock.on('data', () => sock.end());
    sock.on('error', (e) => {
      result.clientError = e.message;
    });
    sock.on('close', () => done());
  });
  await new Promise<void>((r) => server.close(() => r()));
  return result;
}

describe('mTLS with node:tls', () => {
  it('accepts a consortium party and reads its identity from the certificate', async () => {
    const r = await handshake(alice.tls);
    expect(r.serverErrorCode).toBeUndefined();
    expect(r.serverIdentity).toBe('alice');
  });

  it('rejects a client certificate from another CA (same CN)', async () => {
    const foreign = { ca: alice.tls.ca, cert: mallory.tls.cert, key: mallory.tls.key };
    const r = await handshake(foreign);
    expect(r.serverIdentity).toBeUndefined();
    // node's server destroys a connection whose certificate fails verification (no alert text):
    expect(r.serverErrorCode).toBe('ECONNRESET');
    // and the reason, seen by the same server reporting instead of refusing, is the chain itself.
    const why = await handshake(foreign, false);
    expect(why.serverIdentity).toBeUndefined();
    expect(why.authorizationError).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_SIGNATURE_FAILURE)$/);
    // Control: alice's own certificate passes the same reporting server.
    const control = await handshake(alice.tls, false);
    expect(control.authorizationError).toBeUndefined();
    expect(control.serverIdentity).toBe('alice');
  });

  it('rejects a client without a certificate', async () => {
    const r = await handshake({ ca: alice.tls.ca });
    expect(r.serverIdentity).toBeUndefined();
    expect(r.serverErrorCode).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    expect(r.clientError).toMatch(/alert certificate required/);
  });
});
