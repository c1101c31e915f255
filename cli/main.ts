// The `fedsynth` command line: builds the command tree and maps typed errors to stable exit codes.
// Each subcommand lives in cli/commands/<name>.ts and exports `register(program)`.
import { Command, CommanderError } from 'commander';
import { isFedsynthError } from '../shared/errors/FedsynthError.js';
import { exitCodeFor } from './exitCodes.js';
import { register as registerDemo } from './commands/demo.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerEvaluate } from './commands/evaluate.js';
import { register as registerPrivacy } from './commands/privacy.js';
import { register as registerPki } from './commands/pki.js';
import { register as registerAudit } from './commands/audit.js';
import { register as registerSchema } from './commands/schema.js';
import { register as registerStudy } from './commands/study.js';
import { register as registerAgent } from './commands/agent.js';
import { register as registerCoordinator } from './commands/coordinator.js';
import { register as registerSample } from './commands/sample.js';
import { register as registerVerify } from './commands/verify.js';
import { register as registerCustodian } from './commands/custodian.js';
import { VERSION } from '../shared/version.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('fedsynth')
    .description(
      'Federated, differentially private synthetic tabular data.\n' +
        'Start with `fedsynth demo` (a local 3-party consortium on bundled sample data).',
    )
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  for (const reg of [
    registerDemo,
    registerSimulate,
    registerEvaluate,
    registerPrivacy,
    registerSample,
    registerVerify,
    registerPki,
    registerCoordinator,
    registerAgent,
    registerStudy,
    registerCustodian,
    registerSchema,
    registerAudit,
  ]) {
    reg(program);
  }
  return program;
}

/** Runs the CLI; resolves to the process exit code (0 only on success). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return 0;
      return 64;
    }
    if (isFedsynthError(err)) {
      process.stderr.write(`fedsynth: ${err.code}: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    process.stderr.write(`fedsynth: INTERNAL: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 70;
  }
}
