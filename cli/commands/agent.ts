// The `fedsynth agent` commands: run a party agent next to a silo, and let its operator see and
// approve (or refuse) the studies the coordinator announces.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentStore } from '../../party-agent/state/AgentStore.js';
import { loadAgentConfig } from '../../party-agent/config/AgentConfig.js';
import { makeLogger } from '../../platform/logging/logging.js';
import { startAgent } from '../../party-agent/startAgent.js';

async function stateDirOf(f: { config?: string; state?: string }): Promise<string> {
  if (f.state) return resolve(f.state);
  if (f.config) return (await loadAgentConfig(f.config)).state.dir;
  throw new FedsynthError(ErrorCode.InvalidArgument, 'give --config FILE or --state DIR');
}

function describe(specJson: string): Record<string, unknown> {
  const { spec, parties } = JSON.parse(specJson) as { spec: unknown; parties: string[] };
  const s = StudySpec.fromJSON(spec);
  return { title: s.title, mechanism: s.mechanism, epsilon: s.epsilon, delta: s.delta, columns: s.columns, parties, aggregation: s.aggregation };
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
      await new Promise<void>((done) => {
        const stop = () => void started.stop().finally(done);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
  agent
    .command('studies')
    .description('List the studies this agent was shown, with what they ask and its decision')
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
    agent
      .command(`${name} <study>`)
      .description(`${approved ? 'Approve' : 'Refuse'} a study waiting for this party's decision (the running agent sends it)`)
      .option('--config <file>', 'agent config file')
      .option('--state <dir>', 'agent state directory (instead of --config)')
      .option('--reason <text>', 'reason shown to the consortium', approved ? 'approved by the operator' : 'refused by the operator')
      .action(async (study: string, f: { config?: string; state?: string; reason: string }) => {
        const store = new AgentStore(join(await stateDirOf(f), 'agent.sqlite'));
        try {
          const s = store.study(study);
          if (!s) throw new FedsynthError(ErrorCode.UnknownStudy, `this agent has not been shown study '${study}' (see \`fedsynth agent studies\`)`, { studyId: study });
          if (s.decision !== 'pending') throw new FedsynthError(ErrorCode.OutOfStep, `study '${study}' was already ${s.decision}`, { studyId: study });
          store.upsertStudy(study, s.specJson, approved ? 'approved' : 'refused', f.reason);
          process.stdout.write(`${JSON.stringify({ studyId: study, decision: approved ? 'approved' : 'refused' })}\n`);
        } finally {
          store.close();
        }
      });
  }
}
