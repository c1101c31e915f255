// The `fedsynth agent` commands: run a party agent next to a silo, and let its operator see and
// approve (or refuse) the studies the coordinator announces.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { StudySpec as WireStudySpec, aggregationToJSON, mechanismToJSON } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { assertReviewedHash, storedStudy } from '../../party-agent/verification/SpecBinding.js';
import { AgentStore } from '../../party-agent/state/AgentStore.js';
import { loadAgentConfig } from '../../party-agent/config/AgentConfig.js';
import { makeLogger } from '../../platform/logging/logging.js';
import { startAgent } from '../../party-agent/startAgent.js';

async function stateDirOf(f: { config?: string; state?: string }): Promise<string> {
  if (f.state) return resolve(f.state);
  if (f.config) return (await loadAgentConfig(f.config)).state.dir;
  throw new FedsynthError(ErrorCode.InvalidArgument, 'give --config FILE or --state DIR');
}

/** The spec's names as the operator uses them ('aim', 'masking'), or for a row an older agent stored with a value it cannot read (UNSPECIFIED), the proto names and why: such a study cannot be approved. */
function reviewedNames(specJson: string): Record<string, unknown> {
  try {
    const { spec, specHash } = storedStudy(specJson);
    return { specHash, mechanism: spec.mechanism, aggregation: spec.aggregation };
  } catch (e) {
    const w = WireStudySpec.fromJSON((JSON.parse(specJson) as { spec: unknown }).spec);
    return { unreadable: (e as Error).message, mechanism: mechanismToJSON(w.mechanism), aggregation: aggregationToJSON(w.aggregation) };
  }
}

/** What an operator reviews before approving: every privacy term of the spec and its hash. */
function describe(specJson: string): Record<string, unknown> {
  const raw = JSON.parse(specJson) as { spec: unknown; parties?: unknown };
  const s = WireStudySpec.fromJSON(raw.spec);
  const { specHash, mechanism, aggregation, ...unreadable } = reviewedNames(specJson);
  return {
    specHash,
    title: s.title,
    mechanism,
    epsilon: s.epsilon,
    delta: s.delta,
    rho: s.rho,
    columns: s.columns,
    parties: Array.isArray(raw.parties) ? raw.parties.map(String) : [],
    aggregation,
    minParties: s.minParties,
    colluders: s.colluders,
    dropouts: s.dropouts,
    maxSilosPerIndividual: Math.max(1, s.maxSilosPerIndividual),
    ...unreadable,
  };
}

export function register(program: Command): void {
  const agent = program.command('agent').description('Run a party agent next to a data silo, and manage its study approvals');
  agent
    .command('start')
    .description(
      'Start the party agent. It validates the local data against the consortium schema, then dials\n' +
        'OUT to the coordinator (no inbound port), shows what each study asks and joins only studies its\n' +
        'policy or operator approves. Randomness always comes from the OS CSPRNG: seeds are refused.',
    )
    .requiredOption('--config <file>', 'agent config file (JSON; see docs/operator-guide.md)')
    .option('--coordinator <host:port>', 'override the coordinator address of the config')
    .option('--log <file>', 'JSON log file (default: stderr)')
    .option('--seed <s>', 'refused: agents never use seeded randomness')
    .action(async (f: { config: string; coordinator?: string; log?: string; seed?: string }) => {
      if (f.seed !== undefined) {
        throw new FedsynthError(ErrorCode.InvalidArgument, '--seed is for `fedsynth simulate` only: a real agent draws its noise and keys from the OS CSPRNG', { field: '--seed' });
      }
      const log = makeLogger({ file: f.log, name: 'agent' });
      const started = await startAgent(resolve(f.config), log, { coordinator: f.coordinator });
      const refused = await new Promise<FedsynthError | undefined>((done) => {
        const stop = () => void started.stop().finally(() => done(undefined));
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        // A permanent refusal (wrong CA, revoked, duplicate kit) ends the process with its exit code.
        void started.fatal.then((e) => started.stop().finally(() => done(e)));
      });
      if (refused) throw refused;
    });
  agent
    .command('studies')
    .description('List the studies this agent was shown, with what they ask, its decision and the spec hash to approve')
    .option('--config <file>', 'agent config file')
    .option('--state <dir>', 'agent state directory (instead of --config)')
    .action(async (f: { config?: string; state?: string }) => {
      const store = new AgentStore(join(await stateDirOf(f), 'agent.sqlite'));
      try {
        for (const s of store.studies()) process.stdout.write(`${JSON.stringify({ studyId: s.studyId, decision: s.decision, reason: s.reason, ...describe(s.specJson) })}\n`);
      } finally {
        store.close();
      }
    });
  for (const [name, approved] of [
    ['approve', true],
    ['refuse', false],
  ] as const) {
    const cmd = agent
      .command(`${name} <study>`)
      .description(
        approved
          ? "Approve a study waiting for this party's decision (the running agent sends it); --spec-hash binds\nthe approval to the spec you reviewed in `fedsynth agent studies`"
          : "Refuse a study waiting for this party's decision (the running agent sends it)",
      )
      .option('--config <file>', 'agent config file')
      .option('--state <dir>', 'agent state directory (instead of --config)')
      .option('--reason <text>', 'reason shown to the consortium', approved ? 'approved by the operator' : 'refused by the operator');
    if (approved) cmd.requiredOption('--spec-hash <sha256:hex>', 'the specHash shown by `fedsynth agent studies` for the spec you reviewed');
    cmd.action(async (study: string, f: { config?: string; state?: string; reason: string; specHash?: string }) => {
      const store = new AgentStore(join(await stateDirOf(f), 'agent.sqlite'));
      try {
        const s = store.study(study);
        if (!s) throw new FedsynthError(ErrorCode.UnknownStudy, `this agent has not been shown study '${study}' (see \`fedsynth agent studies\`)`, { studyId: study });
        if (s.decision !== 'pending') throw new FedsynthError(ErrorCode.OutOfStep, `study '${study}' was already ${s.decision}`, { studyId: study });
        if (approved) assertReviewedHash(storedStudy(s.specJson), f.specHash ?? '');
        store.upsertStudy(study, s.specJson, approved ? 'approved' : 'refused', f.reason);
        process.stdout.write(`${JSON.stringify({ studyId: study, decision: approved ? 'approved' : 'refused' })}\n`);
      } finally {
        store.close();
      }
    });
  }
}
