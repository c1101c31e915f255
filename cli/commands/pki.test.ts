// Tests of the `fedsynth pki` command wiring: init, issue, revoke through commander, JSON output.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadKit } from '../../platform/pki/loadKit.js';
import { loadTrust } from '../../platform/pki/loadTrust.js';
import { register } from './pki.js';
import { runRegistered } from '../../test/support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-pki-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const run = async (...args: string[]): Promise<unknown> => JSON.parse(await runRegistered(register, args));

it('pki init / issue / revoke', async () => {
  const ca = join(root, 'ca');
  const init = (await run('pki', 'init', '--dir', ca, '--name', 'Hospitals', '--coordinator-host', '127.0.0.1,coord.example')) as {
    coordinatorKit: string;
  };
  expect(existsSync(join(init.coordinatorKit, 'coordinator.crt'))).toBe(true);
  expect(loadKit(init.coordinatorKit).manifest.role).toBe('coordinator');
  const issued = (await run('pki', 'issue', '--ca', ca, '--party', 'st-mary', '--coordinator', 'coord.example:7000', '--out', join(root, 'kit'))) as {
    certSerial: string;
  };
  expect(loadKit(join(root, 'kit')).manifest).toMatchObject({ id: 'st-mary', coordinator: 'coord.example:7000' });
  await run('pki', 'issue', '--ca', ca, '--role', 'custodian', '--out', join(root, 'cust'));
  expect(loadKit(join(root, 'cust')).identity).toMatchObject({ partyId: 'custodian', role: 'custodian' });
  const rev = (await run('pki', 'revoke', '--ca', ca, '--party', 'st-mary', '--reason', 'keyCompromise')) as { revoked: string[]; copy: string[] };
  expect(rev.revoked).toEqual([issued.certSerial]);
  // What revoke says to copy exists, and the operator guide tells the operator to copy the same files.
  expect(rev.copy).toEqual([join(ca, 'crl.pem'), join(ca, 'roster.json')]);
  for (const f of rev.copy) expect(existsSync(f), f).toBe(true);
  const guide = readFileSync(new URL('../../docs/operator-guide.md', import.meta.url), 'utf8');
  const revokeStep = guide.slice(guide.indexOf('To revoke a party'), guide.indexOf('## 2.'));
  for (const f of rev.copy) expect(revokeStep, `the guide's revocation step names ${f}`).toContain(`ca/${f.slice(ca.length + 1)}`);
  expect((await loadTrust(ca)).crl.has(issued.certSerial)).toBe(true);
  expect(readFileSync(join(ca, 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
});
