// projectRoot: the checkout's root as seen from a bench file, whether it runs from the sources or
// from dist/ (the first of ../ and ../../ that holds data/adult-domain.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export function projectRoot(): string {
  for (const rel of ['../', '../../']) {
    const root = new URL(rel, import.meta.url).pathname;
    try {
      readFileSync(join(root, 'data/adult-domain.json'));
      return root;
    } catch {
      // try the next candidate (source tree or dist/)
    }
  }
  throw new Error('data/adult-domain.json not found');
}
