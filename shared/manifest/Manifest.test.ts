// Tests of the manifest format: canonical signature payload round trip, tamper detection of every
// signed field (planted faults), parse errors naming manifest.json.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  MANIFEST_FORMAT,
  REPORT_MANIFEST,
  REPORT_MANIFEST_FORMAT,
  describeFile,
  formatManifest,
  manifestSignatureValid,
  parseManifest,
  signManifest,
  signaturePayload,
  type ManifestBody,
} from './Manifest.js';

const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');

function body(): ManifestBody {
  return {
    format: MANIFEST_FORMAT,
    softwareVersion: '0.1.0',
    studyId: 'st-1',
    createdAt: '2025-01-02T03:04:05.000Z',
    files: [describeFile('synthetic.csv', Buffer.from('a,b\n1,2\n')), describeFile('model.json', Buffer.from('{}'))],
    study: { epsilon: 1, delta: 1e-6, title: 'x', domain: [{ name: 'a', size: 2 }] },
    privacy: { rho: 0.0123, epsilon: 0.99, delta: 1e-6, rhoBudget: 0.0125 },
    signer: { id: 'coordinator', certificatePem: '-----BEGIN CERTIFICATE-----\n...', publicKey: 'AAAA' },
  };
}

describe('Manifest', () => {
  it('round-trips through its on-disk text and still verifies', () => {
    const m = signManifest(body(), keys.privateKey);
    const back = parseManifest(formatManifest(m));
    expect(back).toEqual(m);
    expect(manifestSignatureValid(back, keys.publicKey)).toBe(true);
    expect(manifestSignatureValid(back, other.publicKey)).toBe(false);
  });

  it('the payload is canonical: key order does not matter, the context prefix is bound', () => {
    const b = body();
    const reordered = Object.fromEntries(Object.entries(b).reverse()) as unknown as ManifestBody;
    expect(signaturePayload(reordered).equals(signaturePayload(b))).toBe(true);
    expect(signaturePayload(b).toString('utf8').startsWith('fedsynth/v1/manifest\n{')).toBe(true);
  });

  it('detects tampering with every signed field (planted)', () => {
    const m = signManifest(body(), keys.privateKey);
    const tampered = [
      { ...m, studyId: 'st-2' },
      { ...m, createdAt: '2025-01-02T03:04:06.000Z' },
      { ...m, files: [{ ...m.files[0], sha256: '0'.repeat(64) }, m.files[1]] },
      { ...m, files: [{ ...m.files[0], bytes: m.files[0].bytes + 1 }, m.files[1]] },
      { ...m, files: [m.files[0]] },
      { ...m, privacy: { ...m.privacy, epsilon: 0.5 } },
      { ...m, study: { ...m.study, epsilon: 0.1 } },
      { ...m, signer: { ...m.signer!, id: 'mallory' } },
    ];
    for (const t of tampered) expect(manifestSignatureValid(parseManifest(JSON.stringify(t)), keys.publicKey)).toBe(false);
    const flipped = Buffer.from(m.signature!.value, 'base64');
    flipped[0] ^= 1;
    expect(manifestSignatureValid({ ...m, signature: { algorithm: 'Ed25519', value: flipped.toString('base64') } }, keys.publicKey)).toBe(false);
  });

  it('rejects malformed manifests naming manifest.json', () => {
    const m = signManifest(body(), keys.privateKey);
    const cases: [string, RegExp][] = [
      ['not json', /not valid JSON/],
      [JSON.stringify({ ...m, format: 'fedsynth-manifest/v1' }), /unknown format/],
      [JSON.stringify({ ...m, files: [{ name: '../x', sha256: 'a'.repeat(64), bytes: 1 }] }), /invalid name/],
      [JSON.stringify({ ...m, files: [{ name: 'x', sha256: 'zz', bytes: 1 }] }), /x: invalid sha256/],
      [JSON.stringify({ ...m, privacy: { rho: -1, epsilon: 1, delta: 0 } }), /privacy/],
      [JSON.stringify({ ...m, signature: null }), /both be present/],
    ];
    for (const [text, re] of cases) {
      expect(() => parseManifest(text)).toThrow(re);
      try {
        parseManifest(text);
      } catch (e) {
        expect(e).toMatchObject({ code: 'VERIFICATION_FAILED', details: { file: 'manifest.json' } });
      }
    }
  });

  it("the consortium report's manifest: own format and signing context, never valid as the outputs' manifest (planted swap)", () => {
    const b: ManifestBody = { ...body(), format: REPORT_MANIFEST_FORMAT, files: [describeFile('report.json', Buffer.from('{}')), describeFile('manifest.json', Buffer.from('{}'))] };
    expect(signaturePayload(b).toString('utf8').startsWith('fedsynth/v1/report-manifest\n{')).toBe(true);
    const m = signManifest(b, keys.privateKey);
    const text = formatManifest(m);
    expect(parseManifest(text, REPORT_MANIFEST)).toEqual(m);
    expect(manifestSignatureValid(m, keys.publicKey)).toBe(true);
    // the same body relabelled as an outputs manifest: refused by format, and its signature does not carry over
    expect(() => parseManifest(text)).toThrow(/manifest\.json: unknown format "fedsynth-report-manifest\/v1"/);
    expect(manifestSignatureValid({ ...m, format: MANIFEST_FORMAT }, keys.publicKey)).toBe(false);
    // an outputs manifest is not a report manifest either; a report manifest never lists itself
    expect(() => parseManifest(formatManifest(signManifest(body(), keys.privateKey)), REPORT_MANIFEST)).toThrow(/^report-manifest\.json: unknown format/);
    const self = signManifest({ ...b, files: [describeFile('report-manifest.json', Buffer.from('{}'))] }, keys.privateKey);
    expect(() => parseManifest(formatManifest(self), REPORT_MANIFEST)).toThrow(/report-manifest\.json: a file entry has an invalid name/);
  });
});
