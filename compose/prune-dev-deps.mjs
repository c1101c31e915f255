// prune-dev-deps: removes development-only packages (marked `"dev": true` in package-lock.json) from
// an installed node_modules tree, so the images carry only runtime dependencies. Usage: node prune-dev-deps.mjs APP_DIR
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const app = process.argv[2] ?? '.';
const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8'));
let removed = 0;
for (const [path, meta] of Object.entries(lock.packages ?? {})) {
  if (path === '' || meta.dev !== true || !path.startsWith('node_modules/')) continue;
  const dir = join(app, path);
  if (existsSync(dir)) {
    rmSync(dir, { recursive: true, force: true });
    removed += 1;
  }
}
rmSync(join(app, 'node_modules', '.bin'), { recursive: true, force: true });
rmSync(join(app, 'node_modules', '.cache'), { recursive: true, force: true });
process.stdout.write(`prune-dev-deps: removed ${removed} development packages\n`);
