// The `fedsynth coordinator` commands: run the consortium coordinator service (gRPC over mTLS).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { makeLogger } from '../../platform/logging/logging.js';
import { startCoordinator } from '../../coordinator/startCoordinator.js';
import { DEFAULT_ROUND_TIMEOUT_MS, MAX_ROUND_TIMEOUT_MS, MIN_ROUND_TIMEOUT_MS } from '../../shared/study/roundTimeout.js';
import { numberOption } from '../util/readInput.js';

export function register(program: Command): void {
  const coord = program.command('coordinator').description('Run the consortium coordinator (gRPC over mutual TLS)');
  coord
    .command('start')
    .description(
      'Start the coordinator service. Party agents dial out to it; operators use `fedsynth study`.\n' +
        'State (SQLite), study outputs and the hash-chained audit log live in --data-dir; after a crash,\n' +
        'starting it again resumes every unfinished study from its last committed round.',
    )
    .requiredOption('--kit <dir>', 'coordinator startup kit (fedsynth pki init / pki issue --role coordinator)')
    .option('--listen <host:port>', 'address to listen on (port 0 = any free port)', '127.0.0.1:7443')
    .option('--data-dir <dir>', 'state directory', 'fedsynth-coordinator')
    .option('--port-file <file>', 'write the bound port to this file (useful with port 0)')
    .option('--log <file>', 'JSON log file (default: stderr)')
    .option('--allow-seeds', 'accept seeded studies (simulations and tests only)')
    .option('--round-timeout <ms>', `how long a round stage waits for a party's answer, for studies that set none (fedsynth study create --round-timeout); ${MIN_ROUND_TIMEOUT_MS}..${MAX_ROUND_TIMEOUT_MS}`, String(DEFAULT_ROUND_TIMEOUT_MS))
    .option('--approval-timeout <ms>', 'how long a study waits for parties to approve', '600000')
    .option('--console <host:port>', 'serve the read-only operator console and Prometheus /metrics here (HTTPS, operator certificates only); off by default')
    .action(async (f: { kit: string; listen: string; dataDir: string; portFile?: string; log?: string; allowSeeds?: boolean; roundTimeout: string; approvalTimeout: string; console?: string }) => {
      const log = makeLogger({ file: f.log, name: 'coordinator' });
      // With --log nothing else reaches the terminal: say once where the log goes.
      if (f.log) process.stderr.write(`fedsynth coordinator: logging to ${resolve(f.log)} (JSON lines)\n`);
      const { coordinator, audit } = await startCoordinator({
        kitDir: resolve(f.kit),
        listen: f.listen,
        dataDir: resolve(f.dataDir),
        log,
        allowSeeds: Boolean(f.allowSeeds),
        portFile: f.portFile,
        roundTimeoutMs: numberOption(f.roundTimeout, '--round-timeout', { integer: true, min: MIN_ROUND_TIMEOUT_MS, max: MAX_ROUND_TIMEOUT_MS })!,
        approvalTimeoutMs: Number(f.approvalTimeout),
        consoleListen: f.console,
      });
      await new Promise<void>((done) => {
        const stop = () => {
          log.info('shutting down');
          void coordinator.stop().finally(() => {
            audit.close();
            done();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
