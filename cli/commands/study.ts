// The `fedsynth study` commands: an operator creates, lists, watches, cancels studies on the
// coordinator and fetches their outputs (over mTLS with an operator/coordinator kit).
import { mechanismToWire } from '../../platform/wire/studySpecWire.js';
import { join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DEFAULT_POOLED_RISK_SHARE, mechanismOption, pooledRiskOption, studyParameterOptions, trainingOption, type TrainingFlags } from '../util/studyParameterOptions.js';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { domainHash } from '../../shared/study/domainHash.js';
import { Aggregation, Mechanism, StudySpec, type StudyStatus } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { OperatorClient } from '../../coordinator/operator/OperatorClient.js';
import { readJsonFile, numberOption } from '../util/readInput.js';
import { Progress } from '../util/Progress.js';
import { followStudy } from '../util/followStudy.js';
import { OUTPUT_FILES } from '../../coordinator/delivery/StudyOutputs.js';
import { OPERATOR_REPORT_FILES } from '../../coordinator/delivery/signConsortiumReport.js';
import { SHIPPED_CA_FILE } from '../../platform/delivery/verifyStudyOutputs.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { DEFAULT_ROUND_TIMEOUT_MS, MAX_ROUND_TIMEOUT_MS, MIN_ROUND_TIMEOUT_MS } from '../../shared/study/roundTimeout.js';

interface Conn {
  kit: string;
  coordinator?: string;
}

function client(f: Conn): OperatorClient {
  return OperatorClient.fromKit(resolve(f.kit), f.coordinator);
}

/** A readable summary of a study's status (JSON); `rounds` adds one line per round (`study status`). */
export function summarizeStatus(s: StudyStatus, o: { rounds?: boolean } = {}): Record<string, unknown> {
  const spec = s.spec;
  // Rounds that charged a party without releasing its contribution (failed, interrupted, or a dropout after the charge).
  const notReleased = s.rounds.filter((r) => r.outcome === 'failed' || r.outcome === 'interrupted' || (r.outcome === 'released' && r.summary.includes('without release'))).map((r) => r.summary);
  return {
    studyId: spec?.studyId,
    title: spec?.title,
    state: s.state,
    phase: s.phase,
    progress: Number(s.progress.toFixed(3)),
    mechanism: spec ? Mechanism[spec.mechanism].replace('MECHANISM_', '').toLowerCase() : undefined,
    aggregation: spec ? Aggregation[spec.aggregation].replace('AGGREGATION_', '').toLowerCase() : undefined,
    neighbours: spec?.aggregation === Aggregation.AGGREGATION_MASKING ? spec.neighbours || 'full graph' : undefined,
    rounds: s.roundsDone,
    // How long the coordinator waits for a party's answer to each stage (the study's own, else the coordinator's).
    roundTimeoutMs: s.roundTimeoutMs || undefined,
    privacy: { rhoSpent: s.rhoSpent, epsilonSpent: s.epsilonSpent, rhoBudget: spec?.rho, epsilon: spec?.epsilon, delta: spec?.delta },
    // rhoCharged: released rounds; rhoChargedNotReleased: charges whose aggregate never came back. Their sum is the party's ledger for the study.
    parties: s.parties.map((p) => ({ id: p.partyId, online: p.online, decision: p.decision, rhoCharged: p.rhoCharged, rhoChargedNotReleased: p.rhoChargedUnreleased, dropped: p.dropped, outputsDelivered: p.outputsDelivered })),
    notReleased: notReleased.length > 0 ? notReleased : undefined,
    roundLog: o.rounds ? s.rounds.map((r) => r.summary) : undefined,
    delivery: s.state === 'delivering' || s.state === 'done' ? `outputs delivered to ${s.partiesDelivered}/${s.partiesToDeliver} parties (confirmed by hash)` : undefined,
    error: s.errorCode ? { code: s.errorCode, message: s.errorMessage } : undefined,
  };
}

function withConn(cmd: Command): Command {
  return cmd
    .requiredOption('--kit <dir>', 'your operator startup kit (fedsynth pki issue --role operator --name YOU)')
    .option('--coordinator <host:port>', 'coordinator address (default: the kit\'s)');
}

export function register(program: Command): void {
  const study = program.command('study').description('Create, watch and manage studies on the coordinator (operator commands)');
  const create = withConn(study.command('create'))
    .description('Create a study; the coordinator announces it to the parties, which approve or refuse it')
    .option('--schema <file>', 'consortium schema (raw data; outputs decoded to labels)')
    .option('--domain <file.json>', 'domain file {column: size} (integer-coded data), instead of --schema');
  studyParameterOptions(create)
    .option('--rows <n>', 'synthetic rows', '10000')
    .option('--parties <ids>', 'comma-separated party ids to invite (default: every party online)')
    .option('--min-parties <t>', 'fewest parties that may answer a round (threshold)', '2')
    .option('--colluders <f>', 'parties that may collude with the coordinator', '0')
    .option('--dropouts <d>', 'parties that may drop out of a round', '0')
    .option('--max-silos <k>', 'silos one person may appear in (multiplies the sensitivity; agents refuse a k below their own)', '1')
    .option('--neighbours <k>', 'masking: SecAgg+ neighbours per party, even, below the number of parties (0 = automatic: full graph up to 64 parties, else the smallest safe k; docs/secagg.md)', '0')
    .option('--title <text>', 'title shown to the parties', 'fedsynth study')
    .option('--target <column>', 'target column for utility evaluation')
    .option('--pooled-risk <off|on|share>', `consortium-wide risk figures after delivery, a DP release through secure aggregation paid from the study's budget: off, on (${DEFAULT_POOLED_RISK_SHARE} of rho) or a share in (0, 0.5] (docs/evaluation.md "Pooled risk")`, 'off')
    .option('--id <studyId>', 'study id (default: generated)')
    .option('--round-timeout <ms>', `how long the coordinator waits for a party's answer to each stage of this study's rounds (0 = the coordinator's --round-timeout, ${DEFAULT_ROUND_TIMEOUT_MS} by default; ${MIN_ROUND_TIMEOUT_MS}..${MAX_ROUND_TIMEOUT_MS})`, '0')
    .option('--watch', 'follow progress until the study ends (events on stderr; reconnects if the coordinator restarts)')
    .option('--json', 'with --watch: print the final status as one JSON line on stdout (nothing else goes to stdout)')
    .action(async (f: Conn & { json?: boolean; schema?: string; domain?: string; epsilon: string; delta: string; mechanism: string; aggregation: string; rows: string; parties?: string; minParties: string; colluders: string; dropouts: string; maxSilos: string; neighbours: string; title: string; target?: string; id?: string; watch?: boolean; pooledRisk: string; roundTimeout: string } & TrainingFlags) => {
      let domain: Domain;
      let schemaJson = '';
      if (f.schema) {
        const raw = readJsonFile(f.schema, 'schema file');
        const schema = parseSchema(raw);
        schemaJson = JSON.stringify(raw);
        domain = Domain.fromJson(schemaDomain(schema));
      } else if (f.domain) {
        domain = Domain.fromJson(readJsonFile(f.domain, 'domain file') as Record<string, number>);
      } else {
        throw new FedsynthError(ErrorCode.InvalidArgument, 'give --schema FILE (raw data) or --domain FILE (integer codes)');
      }
      const mechanism = mechanismOption(f.mechanism);
      const mech = mechanismToWire(mechanism);
      const training = trainingOption(mechanism, f);
      const agg = { masking: Aggregation.AGGREGATION_MASKING, he: Aggregation.AGGREGATION_HE, plain: Aggregation.AGGREGATION_PLAIN }[f.aggregation];
      if (agg === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `--aggregation must be masking, he or plain, got '${f.aggregation}'`);
      const neighbours = numberOption(f.neighbours, '--neighbours', { integer: true, min: 0 })!;
      if (neighbours > 0 && agg !== Aggregation.AGGREGATION_MASKING) throw new FedsynthError(ErrorCode.InvalidArgument, '--neighbours applies to --aggregation masking only');
      const epsilon = numberOption(f.epsilon, '--epsilon', { exclusiveMin: 0 })!;
      const delta = numberOption(f.delta, '--delta', { exclusiveMin: 0, max: 0.5 })!;
      const spec: StudySpec = {
        ...StudySpec.fromPartial({}),
        studyId: f.id ?? '',
        title: f.title,
        mechanism: mech,
        epsilon,
        delta,
        evaluationRho: pooledRiskOption(f.pooledRisk, epsilon, delta),
        domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })),
        aggregation: agg,
        minParties: numberOption(f.minParties, '--min-parties', { integer: true, min: 1 })!,
        colluders: numberOption(f.colluders, '--colluders', { integer: true, min: 0 })!,
        dropouts: numberOption(f.dropouts, '--dropouts', { integer: true, min: 0 })!,
        syntheticRows: numberOption(f.rows, '--rows', { integer: true, min: 1 })!,
        domainHash: domainHash(domain),
        maxSilosPerIndividual: numberOption(f.maxSilos, '--max-silos', { integer: true, min: 1 })!,
        targetColumn: f.target ?? '',
        schemaJson,
        neighbours,
        training: training && { ...training, hidden: [...training.hidden] },
      };
      const c = client(f);
      try {
        const st = await c.createStudy({ spec, parties: f.parties ? f.parties.split(',').map((s) => s.trim()).filter(Boolean) : [], seed: '', splitNote: '', roundTimeoutMs: numberOption(f.roundTimeout, '--round-timeout', { integer: true, min: 0, max: MAX_ROUND_TIMEOUT_MS })! });
        if (f.watch) {
          process.stderr.write(`created study ${st.spec!.studyId}; parties invited: ${st.parties.map((p) => p.partyId).join(', ')}\n`);
          await watch(c, st.spec!.studyId, Boolean(f.json));
        } else {
          process.stdout.write(`${JSON.stringify(summarizeStatus(st))}\n`);
        }
      } finally {
        c.close();
      }
    });
  withConn(study.command('list')).description('List studies').action(async (f: Conn) => {
    const c = client(f);
    try {
      for (const s of await c.listStudies()) process.stdout.write(`${JSON.stringify(summarizeStatus(s))}\n`);
    } finally {
      c.close();
    }
  });
  withConn(study.command('status <studyId>'))
    .description('Show a study: state, each round (charged at which parties, released or not and why), parties online, privacy charged, deliveries')
    .option('--watch', 'follow progress until the study ends (events on stderr; reconnects if the coordinator restarts)')
    .option('--json', 'with --watch: print the final status as one JSON line on stdout')
    .action(async (studyId: string, f: Conn & { watch?: boolean; json?: boolean }) => {
      const c = client(f);
      try {
        if (f.watch) await watch(c, studyId, Boolean(f.json));
        else process.stdout.write(`${JSON.stringify(summarizeStatus(await c.getStudy(studyId), { rounds: true }), null, 2)}\n`);
      } finally {
        c.close();
      }
    });
  withConn(study.command('cancel <studyId>'))
    .description('Cancel a study (no further rounds are asked)')
    .option('--reason <text>', 'reason', 'cancelled by the operator')
    .action(async (studyId: string, f: Conn & { reason: string }) => {
      const c = client(f);
      try {
        process.stdout.write(`${JSON.stringify(summarizeStatus(await c.cancelStudy(studyId, f.reason)))}\n`);
      } finally {
        c.close();
      }
    });
  withConn(study.command('fetch <studyId>'))
    .description(
      `Download a finished study's outputs (${OUTPUT_FILES.join(', ')}), the operator's report (${OPERATOR_REPORT_FILES.join(', ')}) ` +
        `and your kit's CA certificate (${SHIPPED_CA_FILE}, not its key) into --out; check them with \`fedsynth verify DIR\``,
    )
    .option('--out <dir>', 'output directory', '.')
    .action(async (studyId: string, f: Conn & { out: string }) => {
      const c = client(f);
      try {
        const files: string[] = [];
        for (const name of OUTPUT_FILES) files.push(await c.fetchOutput(studyId, name, resolve(f.out)));
        for (const name of OPERATOR_REPORT_FILES) {
          try {
            files.push(await c.fetchOutput(studyId, name, resolve(f.out)));
          } catch (e) {
            // A study finished by an older coordinator has no report: its outputs are still complete.
            if (!isFedsynthError(e) || e.code !== ErrorCode.NotFound) throw e;
            process.stderr.write(`fedsynth: study ${studyId} has no ${name} (finished before the coordinator wrote reports)\n`);
          }
        }
        // The consortium CA certificate from the operator's kit (never a key), so `verify DIR` chains the signer to it.
        const ca = join(resolve(f.out), SHIPPED_CA_FILE);
        writeFileSync(ca, loadKit(resolve(f.kit)).caPem);
        files.push(ca);
        process.stdout.write(`${JSON.stringify({ studyId, files })}\n`);
      } finally {
        c.close();
      }
    });
}

/**
 * Follows a study to its end: progress and events (waits, retries, dropouts, charges, outages) on
 * stderr; with `json`, the final status as one JSON line on stdout. Reconnects across coordinator restarts.
 */
async function watch(c: OperatorClient, studyId: string, json: boolean): Promise<void> {
  const p = new Progress();
  const final = await followStudy<StudyStatus>({
    watchOnce: (onStatus) => c.watchStudy(studyId, onStatus),
    report: (line) => p.event(line),
    onStatus: (s) => p.update(s.progress, `${s.state}: ${s.phase} (rounds ${s.roundsDone}, epsilon spent ${s.epsilonSpent.toFixed(3)})`),
  });
  p.done(`study ${studyId}: ${final.state}${final.errorCode ? ` (${final.errorCode}: ${final.errorMessage})` : ''}`);
  if (final.state === 'done') p.event(`outputs sent; ${final.partiesDelivered}/${final.partiesToDeliver} parties confirmed receipt so far (a party offline now receives them when it reconnects; \`study status\` shows the count)`);
  if (json) process.stdout.write(`${JSON.stringify(summarizeStatus(final))}\n`);
  if (final.state !== 'done') throw new FedsynthError((final.errorCode || ErrorCode.Internal) as ErrorCode, `study ${studyId} ended ${final.state}: ${final.errorMessage}`);
}
