#!/usr/bin/env node
// Links this package's own `fedsynth` command into node_modules/.bin (npm links the bins of
// dependencies only), so `npx fedsynth ...` works in a fresh checkout after `npm install`.
import { chmodSync, existsSync, lstatSync, mkdirSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'fedsynth');
mkdirSync(binDir, { recursive: true });
try {
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) unlinkSync(link);
} catch {
  // nothing to remove
}
symlinkSync(join('..', '..', 'bin', 'fedsynth.js'), link);
chmodSync(join(root, 'bin', 'fedsynth.js'), 0o755);
