#!/usr/bin/env node
// Generates TypeScript for the wire (proto/fedsynth/**/v1/*.proto) with buf + ts-proto into
// proto/generated/. `--check` regenerates into a temp dir and fails if the committed code is stale.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const buf = join(root, 'node_modules', '.bin', 'buf');

function listFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

function generate(outDir) {
  const template = readFileSync(join(root, 'buf.gen.yaml'), 'utf8').replace('out: proto/generated', `out: ${outDir}`);
  execFileSync(buf, ['generate', '--template', template], { cwd: root, stdio: 'inherit' });
}

if (!check) {
  rmSync(join(root, 'proto', 'generated'), { recursive: true, force: true });
  generate('proto/generated');
  console.log('generated proto/generated');
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'fedsynth-gen-'));
  try {
    generate(tmp);
    const want = listFiles(tmp).map((f) => relative(tmp, f));
    const have = listFiles(join(root, 'proto', 'generated')).map((f) => relative(join(root, 'proto', 'generated'), f));
    const stale = [];
    for (const f of new Set([...want, ...have])) {
      const a = existsSync(join(tmp, f)) ? readFileSync(join(tmp, f), 'utf8') : null;
      const b = existsSync(join(root, 'proto', 'generated', f)) ? readFileSync(join(root, 'proto', 'generated', f), 'utf8') : null;
      if (a !== b) stale.push(f);
    }
    if (stale.length > 0) {
      console.error(`fedsynth: GENERATED_STALE: proto/generated is stale (${stale.join(', ')}); run \`npm run gen\` and commit.`);
      process.exit(1);
    }
    console.log('proto/generated is up to date');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
