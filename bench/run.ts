// The benchmark runner (`npm run bench [-- name ...]`): imports every bench/<name>.ts module and
// prints each of its records as one JSON line on stdout, with the machine facts first.
import { readdirSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type Emit = (rec: Record<string, unknown>) => void;

async function main(): Promise<void> {
  const dir = dirname(fileURLToPath(import.meta.url));
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
    .map((f) => basename(f, '.js'))
    .filter((n) => wanted.length === 0 || wanted.includes(n))
    .sort();
  const emit: Emit = (rec) => process.stdout.write(`${JSON.stringify(rec)}\n`);
  emit({ bench: 'machine', node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), benches: names });
  let failed = 0;
  for (const name of names) {
    const t0 = Date.now();
    try {
      const mod = (await import(pathToFileURL(`${dir}/${name}.js`).href)) as { run?: (emit: Emit) => Promise<void> };
      if (typeof mod.run !== 'function') continue;
      await mod.run((rec) => emit({ bench: name, ...rec }));
      emit({ bench: name, event: 'finished', seconds: (Date.now() - t0) / 1000 });
    } catch (e) {
      failed++;
      emit({ bench: name, event: 'failed', error: (e as Error).message });
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
