// bench/demo: `fedsynth demo` as the README runs it (3 agent processes, a coordinator, AIM at
// epsilon 1, masking): wall seconds, CPU seconds of all its processes, its phases (DemoPhases), load.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** CPU seconds of this process's waited-for descendants (Linux /proc; undefined elsewhere). */
function childrenCpuSeconds(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    // After "pid (comm) ": field 3 is state, so cutime (16) and cstime (17) are at 13 and 14.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

function runDemo(out: string, mechanism: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'fedsynth.js'), 'demo', '--quiet', '--mechanism', mechanism, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(0) : reject(new Error(`fedsynth demo exited ${code}: ${err.trim()}`))));
  });
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const runs = Math.max(1, Number(process.env.BENCH_DEMO_RUNS ?? 1));
  for (const mechanism of (process.env.BENCH_DEMO_MECHANISMS ?? 'aim').split(',')) {
    for (let r = 0; r < runs; r++) {
      const out = mkdtempSync(join(tmpdir(), 'fedsynth-bench-demo-'));
      try {
        const load = loadavg()[0];
        const cpu0 = childrenCpuSeconds();
        const t0 = performance.now();
        await runDemo(out, mechanism);
        const seconds = (performance.now() - t0) / 1000;
        const cpu1 = childrenCpuSeconds();
        const demo = JSON.parse(readFileSync(join(out, 'demo.json'), 'utf8')) as { timings?: { totalSeconds?: number; phases?: Record<string, number> }; rounds?: number };
        // phases: seconds per demo phase (cli/demo/DemoPhases); outside them: process start, signing, temp dir removal, exit.
        const total = demo.timings?.totalSeconds;
        emit({
          case: `demo ${mechanism}`,
          run: r + 1,
          seconds,
          cpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
          phases: demo.timings?.phases,
          outsidePhasesSeconds: total !== undefined ? seconds - total : undefined,
          timings: demo.timings,
          rounds: demo.rounds,
          cpus: cpus().length,
          loadBefore: load,
          loadAfter: loadavg()[0],
        });
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
}
