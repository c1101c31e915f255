// logging: pino loggers for CLI-run components — JSON lines to a file (or stderr for services),
// with component/study/round/party ids as bound fields. Never log rows or un-noised counts.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';

/** A JSON logger writing synchronously to `file` (created with its folder), or to stderr. */
export function makeLogger(opts: { file?: string; level?: string; name?: string }): Logger {
  const level = opts.level ?? process.env.FEDSYNTH_LOG_LEVEL ?? 'info';
  if (opts.file) {
    mkdirSync(dirname(opts.file), { recursive: true });
    return pino({ level, name: opts.name, base: { pid: process.pid } }, pino.destination({ dest: opts.file, sync: true, mkdir: true }));
  }
  return pino({ level, name: opts.name, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
}

/** A logger that drops everything (for quiet library use). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
