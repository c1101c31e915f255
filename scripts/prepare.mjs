#!/usr/bin/env node
// The `prepare` step of `npm install` / `npm ci`: compiles the TypeScript sources into dist/
// (incremental: an unchanged tree takes seconds) and links the `fedsynth` command, saying what it does.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const say = (line) => process.stderr.write(`fedsynth: ${line}\n`);
const first = !existsSync(join(root, 'dist', '.tsbuildinfo'));
say(first ? 'compiling the TypeScript sources into dist/ (tsc; about a minute the first time)...' : 'compiling what changed into dist/ (tsc, incremental)...');
const t0 = Date.now();
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (tsc.status !== 0) {
  say(`tsc failed (exit ${tsc.status ?? tsc.signal}); see the errors above`);
  process.exit(tsc.status ?? 1);
}
say(`built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const link = spawnSync(process.execPath, [join(root, 'scripts', 'link-bin.mjs')], { cwd: root, stdio: 'inherit' });
if (link.status !== 0) process.exit(link.status ?? 1);
say('ready: npx fedsynth demo');
