// bench/_procMemory: this process's memory and CPU as the per-phase benches read them (Linux):
// VmHWM / VmRSS of /proc/self/status, the high-water mark reset between phases, CPU seconds.
import { readFileSync, writeFileSync } from 'node:fs';

/** Peak (VmHWM) and current (VmRSS) resident set of this process, MB. */
export function procStatus(): { hwmMB: number; rssMB: number } {
  const s = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? 0);
  return { hwmMB: Math.round(kb('VmHWM') / 1024), rssMB: Math.round(kb('VmRSS') / 1024) };
}

/** Resets VmHWM to the current RSS (Linux >= 4.0), so the next reading's peak is the next phase's own. */
export function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

/** CPU seconds (user + system, all threads) of this process so far, to 0.1 s. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1e5) / 10;
}
