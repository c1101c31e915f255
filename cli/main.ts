// The `fedsynth` command line: builds the command tree and maps typed errors to stable exit codes.
// Each subcommand lives in cli/commands/<name>.ts and exports `register(program)`.
import { Command, CommanderError } from 'commander';
import { ErrorCode, isFedsynthError } from '../shared/errors/FedsynthError.js';
import { exitCodeFor } from './exitCodes.js';
import { VERSION } from '../shared/version.js';

type Registrar = (program: Command) => void;

/**
 * The command table. Command modules pull in heavy libraries (DuckDB, node-seal, X.509), so only
 * the module of the command being run is loaded; `fedsynth --help` lists the summaries below.
 */
const COMMANDS: readonly { name: string; summary: string; load: () => Promise<{ register: Registrar }> }[] = [
  { name: 'demo', summary: 'run a local 3-hospital consortium demo on bundled sample data', load: () => import('./commands/demo.js') },
  { name: 'simulate', summary: 'run a whole consortium in one command on a split table (research, tests)', load: () => import('./commands/simulate.js') },
  { name: 'generate', summary: 'write a table of known structure (seeded random Bayesian network) for tests and benchmarks', load: () => import('./commands/generate.js') },
  { name: 'evaluate', summary: 'score synthetic data against real data (TV over 1/2/3-way marginals, report)', load: () => import('./commands/evaluate.js') },
  { name: 'plan', summary: 'chart fidelity, utility and risk against epsilon on stand-in data, before any budget is spent', load: () => import('./commands/plan.js') },
  { name: 'privacy', summary: 'convert, plan and audit privacy budgets; sample the exact noise', load: () => import('./commands/privacy.js') },
  { name: 'sample', summary: 'draw more synthetic rows from a fitted model.json (no budget spent)', load: () => import('./commands/sample.js') },
  { name: 'verify', summary: 'check a study output directory against its signed manifest', load: () => import('./commands/verify.js') },
  { name: 'pki', summary: 'create the consortium CA, issue and revoke startup kits', load: () => import('./commands/pki.js') },
  { name: 'coordinator', summary: 'run the coordinator service', load: () => import('./commands/coordinator.js') },
  { name: 'agent', summary: 'run a party agent next to a silo; approve or refuse studies', load: () => import('./commands/agent.js') },
  { name: 'study', summary: 'create, watch, cancel studies and fetch their outputs (operators)', load: () => import('./commands/study.js') },
  { name: 'custodian', summary: 'run the key custodian of homomorphic aggregation', load: () => import('./commands/custodian.js') },
  { name: 'schema', summary: 'infer and check consortium schemas', load: () => import('./commands/schema.js') },
  { name: 'audit', summary: 'verify hash-chained audit logs', load: () => import('./commands/audit.js') },
];

export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('fedsynth')
    .description(
      'Federated, differentially private synthetic tabular data.\n' +
        'Start with `fedsynth demo` (a local 3-party consortium on bundled sample data).',
    )
    .version(VERSION)
    .exitOverride()
    // Argument errors carry the same `fedsynth: CODE:` prefix as every other error (exit 64).
    .configureOutput({ outputError: (str, write) => write(str.startsWith('error: ') ? `fedsynth: ${ErrorCode.InvalidArgument}: ${str.slice('error: '.length)}` : str) })
    .showHelpAfterError()
    // Descriptions are written as paragraphs with line breaks for the source's width; the help
    // rewraps them to the terminal's, so a break inside a paragraph becomes a space. Blank lines,
    // indented lines and list items ("- ", "* ") keep their breaks.
    .configureHelp({ commandDescription: (cmd) => reflowParagraphs(cmd.description()) });
  const wanted = argv.slice(2).find((a) => !a.startsWith('-'));
  const entry = COMMANDS.find((c) => c.name === wanted);
  if (entry) {
    (await entry.load()).register(program);
  } else {
    for (const c of COMMANDS) program.command(c.name).description(c.summary);
  }
  return program;
}

/** Runs the CLI; resolves to the process exit code (0 only on success). */
export async function main(argv: readonly string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0.
      if (err.exitCode === 0) return 0;
      return exitCodeFor(ErrorCode.InvalidArgument);
    }
    if (isFedsynthError(err)) {
      process.stderr.write(`fedsynth: ${err.code}: ${err.message}\n`);
      return exitCodeFor(err.code);
    }
    process.stderr.write(`fedsynth: INTERNAL: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 70;
  }
}

/** Joins the lines of each paragraph of `text` with spaces (keeps blank lines, indented lines and list items). */
export function reflowParagraphs(text: string): string {
  return text.replace(/([^\n])\n(?![\n\s]|[-*] )/g, '$1 ');
}
