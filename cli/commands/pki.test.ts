// Tests of the `fedsynth pki` command wiring: init, issue, revoke through commander, JSON output.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, expect, it, vi } from 'vitest';
import { loadKit } from '../pki/loadKit.js';
import { loadTrust } from '../pki/loadTrust.js';
import { register } from './pki.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-pki-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function run(...args: string[]): Promise<unknown> {
  const program = new Command().exitOverride();
  register(program);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  try {
    await program.parseAsync(['node', 'fedsynth', ...args]);
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(out.join(''));
}

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
  const rev = (await run('pki', 'revoke', '--ca', ca, '--party', 'st-mary', '--reason', 'keyCompromise')) as { revoked: string[] };
  expect(rev.revoked).toEqual([issued.certSerial]);
  expect((await loadTrust(ca)).crl.has(issued.certSerial)).toBe(true);
  expect(readFileSync(join(ca, 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
});
