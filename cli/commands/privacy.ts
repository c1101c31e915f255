// The `fedsynth privacy` command: zCDP <-> (epsilon, delta) conversion, distributed noise plans,
// exact noise samples for external audit, the empirical canary audit, and a party agent's budget ledger.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { epsilonFromRho, rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { exponentialMechanismEpsilon } from '../../shared/dp/mechanisms/exponentialMechanismRho.js';
import { planDistributedGaussian } from '../../shared/dp/distributed/planDistributedGaussian.js';
import { marginalSensitivity } from '../../shared/dp/privacyUnit.js';
import { cryptoRandomSource, seededRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import { parseRational, rationalFromNumber, type Rational } from '../../shared/dp/rational/Rational.js';
import { DiscreteGaussianSampler } from '../../shared/dp/samplers/DiscreteGaussianSampler.js';
import { DiscreteLaplaceSampler } from '../../shared/dp/samplers/DiscreteLaplaceSampler.js';
import { SkellamSampler } from '../../shared/dp/samplers/SkellamSampler.js';
import { discreteLaplaceScaleForVariance } from '../../shared/dp/samplers/referencePmf.js';
import { readLedger } from '../../party-agent/ledger/BudgetLedger.js';
import { canaryAudit } from '../../shared/dp/audit/canaryAudit.js';
import { studyCanaryAudit } from '../../shared/dp/audit/studyCanaryAudit.js';
import { studyCanaryAuditExact } from '../../shared/dp/audit/studyCanaryAuditExact.js';

function num(v: string | undefined, name: string, integer = false): number {
  if (v === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `missing --${name}`);
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--${name} must be ${integer ? 'an integer' : 'a number'}, got "${v}"`);
  }
  return x;
}

function printJson(x: unknown): void {
  process.stdout.write(JSON.stringify(x, null, 2) + '\n');
}

/** The Adult domain shipped with fedsynth (source tree or built dist/ tree). */
function defaultDomainPath(): string | undefined {
  for (const rel of ['../../data/adult-domain.json', '../../../data/adult-domain.json']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

function readDomain(file: string | undefined): { path: string; columns: number } {
  const path = file ?? defaultDomainPath();
  if (path === undefined) throw new FedsynthError(ErrorCode.NotFound, 'Adult domain file not found; pass --domain FILE');
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FedsynthError(ErrorCode.InvalidDomain, `cannot read domain ${path}: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FedsynthError(ErrorCode.InvalidDomain, `${path}: expected {"column": size, ...}`);
  }
  const sizes = Object.values(parsed as Record<string, unknown>);
  if (sizes.length < 2 || !sizes.every((s) => typeof s === 'number' && Number.isInteger(s) && s >= 1)) {
    throw new FedsynthError(ErrorCode.InvalidDomain, `${path}: need >= 2 columns with integer sizes >= 1`);
  }
  return { path, columns: sizes.length };
}

interface PlanArgs {
  epsilon?: string;
  delta?: string;
  parties?: string;
  colluders: string;
  dropouts: string;
  mechanism: string;
  domain?: string;
  maxSilos: string;
}

function planCommand(o: PlanArgs): void {
  const epsilon = num(o.epsilon, 'epsilon');
  const delta = num(o.delta, 'delta');
  const parties = num(o.parties, 'parties', true);
  const colluders = num(o.colluders, 'colluders', true);
  const dropouts = num(o.dropouts, 'dropouts', true);
  const k = num(o.maxSilos, 'max-silos', true);
  const rho = rhoFromEpsilon(epsilon, delta);
  const { path, columns: d } = readDomain(o.domain);
  // Typical releases of each mechanism (one zCDP charge each):
  //  MST (McKenna, Miklau, Sheldon 2021): rho/3 for all d one-way marginals together, rho/3 for the
  //    d-1 exponential-mechanism selections, rho/3 for the d-1 selected two-way marginals together.
  //  AIM (McKenna et al. 2022): T = 16 d rounds; each round spends 0.9 rho/T on one marginal and
  //    0.1 rho/T on one exponential-mechanism selection (initial budget, before any annealing).
  let releases: { name: string; marginals: number; rho: number }[];
  let selection: { count: number; rhoEach: number };
  if (o.mechanism === 'mst') {
    releases = [
      { name: 'one-way marginals', marginals: d, rho: rho / 3 },
      { name: 'selected two-way marginals', marginals: d - 1, rho: rho / 3 },
    ];
    selection = { count: d - 1, rhoEach: rho / 3 / (d - 1) };
  } else if (o.mechanism === 'aim') {
    const t = 16 * d;
    releases = [{ name: 'one marginal per round', marginals: 1, rho: (0.9 * rho) / t }];
    selection = { count: t, rhoEach: (0.1 * rho) / t };
  } else {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--mechanism must be mst or aim, got "${o.mechanism}"`);
  }
  const measurements = releases.map((r) => {
    const s = marginalSensitivity(r.marginals, k);
    const plan = planDistributedGaussian({ rho: r.rho, l2Sensitivity: s.l2, l1Sensitivity: s.l1, parties, colluders, dropouts });
    return {
      release: r.name,
      marginals: r.marginals,
      rho: r.rho,
      l1Sensitivity: s.l1,
      l2Sensitivity: s.l2,
      perPartySigma2: plan.perPartySigma2,
      perPartyStddev: Math.sqrt(plan.perPartySigma2),
      honestMinParties: plan.honestMinParties,
      guaranteedRho: plan.rho,
      totalSigma2AllParties: plan.sumSigma2(parties),
      totalSigma2WorstCase: plan.sumSigma2(parties - dropouts),
      centralSigma2: (s.l2 * s.l2) / (2 * r.rho),
    };
  });
  printJson({
    mechanism: o.mechanism,
    epsilon,
    delta,
    rho,
    domain: { path, columns: d },
    maxSilosPerIndividual: k,
    parties,
    colluders,
    dropouts,
    measurements,
    selection: { count: selection.count, rhoEach: selection.rhoEach, epsilonEach: exponentialMechanismEpsilon(selection.rhoEach) },
  });
}

function sampleCommand(o: { distribution: string; variance?: string; n: string; seed?: string }): void {
  const n = num(o.n, 'n', true);
  if (n < 0) throw new FedsynthError(ErrorCode.InvalidArgument, '--n must be >= 0');
  if (o.variance === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, 'missing --variance');
  const variance: Rational = parseRational(o.variance);
  if (variance.num <= 0n) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, '--variance must be > 0');
  let draw: (rng: RandomSource) => number;
  if (o.distribution === 'discrete-gaussian') {
    const s = new DiscreteGaussianSampler(variance);
    draw = (r) => s.sample(r);
  } else if (o.distribution === 'skellam') {
    const s = new SkellamSampler(variance);
    draw = (r) => s.sample(r);
  } else if (o.distribution === 'discrete-laplace') {
    // The variance 2q/(1-q)^2 (q = e^(-1/b)) is inverted numerically; the sampler is exact for the
    // resulting double scale b (its exact dyadic value).
    const s = new DiscreteLaplaceSampler(rationalFromNumber(discreteLaplaceScaleForVariance(Number(variance.num) / Number(variance.den))));
    draw = (r) => s.sample(r);
  } else {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--distribution must be discrete-gaussian, discrete-laplace or skellam`);
  }
  const rng = o.seed === undefined ? cryptoRandomSource() : seededRandomSource(o.seed, `privacy/sample/${o.distribution}`);
  let buf: string[] = [];
  for (let i = 0; i < n; i++) {
    buf.push(String(draw(rng)));
    if (buf.length === 65536) {
      process.stdout.write(buf.join('\n') + '\n');
      buf = [];
    }
  }
  if (buf.length > 0) process.stdout.write(buf.join('\n') + '\n');
}

function ledgerCommand(o: { state?: string }): void {
  if (o.state === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, 'missing --state FILE');
  const charges = readLedger(o.state);
  const byStudy: Record<string, number> = {};
  const byDataset: Record<string, number> = {};
  for (const c of charges) {
    byStudy[c.studyId] = (byStudy[c.studyId] ?? 0) + c.rho;
    byDataset[c.dataset] = (byDataset[c.dataset] ?? 0) + c.rho;
  }
  printJson({
    state: o.state,
    charges: charges.map((c) => ({ ...c, replayed: undefined, createdAt: new Date(c.createdMs).toISOString() })),
    spentByStudy: byStudy,
    spentByDataset: byDataset,
  });
}

export function register(program: Command): void {
  const privacy = program
    .command('privacy')
    .description('Privacy accounting (zCDP), distributed noise plans, noise samples for audit, budget ledgers');

  privacy
    .command('convert')
    .description('Convert rho-zCDP to (epsilon, delta)-DP or back (Canonne-Kamath-Steinke 2020, Cor. 13)')
    .option('--rho <R>', 'zCDP parameter rho (give --rho or --epsilon)')
    .option('--epsilon <E>', 'target epsilon; prints the largest rho that guarantees it')
    .requiredOption('--delta <D>', 'delta, in (0, 1)')
    .addHelpText('after', '\nExamples:\n  fedsynth privacy convert --epsilon 1 --delta 1e-9\n  fedsynth privacy convert --rho 0.5 --delta 1e-6')
    .action((o: { rho?: string; epsilon?: string; delta: string }) => {
      const delta = num(o.delta, 'delta');
      if ((o.rho === undefined) === (o.epsilon === undefined)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, 'give exactly one of --rho and --epsilon');
      }
      if (o.rho !== undefined) {
        const rho = num(o.rho, 'rho');
        printJson({ rho, epsilon: epsilonFromRho(rho, delta), delta });
      } else {
        const epsilon = num(o.epsilon, 'epsilon');
        printJson({ rho: rhoFromEpsilon(epsilon, delta), epsilon, delta });
      }
    });

  privacy
    .command('plan')
    .description('Per-party discrete Gaussian noise for a typical MST/AIM measurement (KLS 2021 bound)')
    .requiredOption('--epsilon <E>', 'total epsilon of the study')
    .requiredOption('--delta <D>', 'delta of the study')
    .requiredOption('--parties <N>', 'number of parties adding noise shares')
    .option('--colluders <F>', 'parties that may collude with the coordinator (their noise is known)', '0')
    .option('--dropouts <D>', 'parties that may drop out (their noise is missing)', '0')
    .option('--mechanism <M>', 'mst or aim', 'mst')
    .option('--domain <FILE>', 'domain JSON {column: size} (default: bundled Adult domain)')
    .option('--max-silos <K>', 'maxSilosPerIndividual: silos one person may appear in (multiplies sensitivity)', '1')
    .addHelpText(
      'after',
      '\nThe noise of parties-colluders-dropouts honest survivors alone must give the rho of each release.\n' +
        'Example:\n  fedsynth privacy plan --epsilon 1 --delta 1e-9 --parties 10 --colluders 1 --dropouts 2 --mechanism mst',
    )
    .action((o: PlanArgs) => planCommand(o));

  privacy
    .command('sample')
    .description('Print exact noise draws, one integer per line (for external statistical audit)')
    .requiredOption('--distribution <D>', 'discrete-gaussian | discrete-laplace | skellam')
    .requiredOption('--variance <V>', 'variance parameter: decimal or fraction, parsed exactly (e.g. 100, 2.5, 1/3)')
    .option('--n <N>', 'number of draws', '1000')
    .option('--seed <S>', 'deterministic seed (AES-CTR PRG, stream privacy/sample/<distribution>); default: OS CSPRNG')
    .addHelpText('after', '\nFor discrete-gaussian the variance is sigma^2 of N_Z(0, sigma^2); for discrete-laplace the scale\nis solved from the variance numerically; for skellam it is the variance 2 mu.')
    .action((o: { distribution: string; variance?: string; n: string; seed?: string }) => sampleCommand(o));

  privacy
    .command('audit')
    .description('Empirical lower bound on epsilon from canaries (Jagielski et al. 2020 / Nasr et al. 2021), beside the claim')
    .requiredOption('--epsilon <E>', 'claimed epsilon of the audited release (or, with --study, of the whole study)')
    .requiredOption('--delta <D>', 'claimed delta')
    .option('--study <M>', 'audit a whole study of mechanism M (mst or aim) instead of its first release')
    .option('--runs <N>', 'independent runs of the release (default 200) or, with --study, of the whole study (default 2000)')
    .option('--attack <A>', 'with --study: transcript (the released noisy marginals, default) or model (the output model only)', 'transcript')
    .option('--exact-trials <N>', 'with --study: draw N trials per side of the transcript attack exactly (only the canary cells of the releases, profile from real studies) instead of --runs studies; AIM then runs one marginal per epoch, no pruning')
    .option('--canaries <M>', 'canaries per run, each in its own empty cell; half inserted per run (release audit only)', '1000')
    .option('--parties <P>', 'simulated parties adding noise shares (canaries at party 0)', '3')
    .option('--columns <C>', 'columns of the audited table (release audit: every 1-way marginal is released; study: at most 6)')
    .option('--group <K>', 'records per canary; K > 1 audits the group claim (K^2 rho-zCDP) (release audit only)', '1')
    .option('--confidence <C>', 'confidence of the lower bound', '0.95')
    .option('--seed <S>', 'deterministic noise (AES-CTR PRG); default: OS CSPRNG')
    .addHelpText(
      'after',
      '\nRuns the first release of MST/AIM (every 1-way marginal through the in-process federated oracle,\n' +
        'exact per-party discrete Gaussian noise at rho = rhoFromEpsilon(E, D)) --runs times with canaries\n' +
        'inserted at one party, attacks each canary with the most powerful test (threshold on its noisy\n' +
        'cells) and prints the epsilon its error rates prove (Clopper-Pearson, union bound over a threshold\n' +
        'grid fixed in advance). A correct mechanism gives epsilonLowerBound < claimedEpsilon with probability\n' +
        '>= confidence; the bound is a floor, not an estimate of the true epsilon (docs/privacy.md).\n' +
        'With --study M the whole study (every release and selection of MST or AIM, small table, one canary\n' +
        'record at party 0 in every other run) is run --runs times; the attack reads the released noisy marginals\n' +
        "(--attack transcript: the likelihood-ratio statistic of the canary's cells) or only the output model\n" +
        "(--attack model: the canary cell's expected count in the synthetic data); one trial per study.\n" +
        'With --exact-trials N the transcript attack gets N trials per side: the canary cells of the study\n' +
        "releases are drawn with the study's own noise plan, read from real studies (exact for MST, and for AIM\n" +
        'with one marginal per epoch and no pruning, the configuration it then audits; docs/privacy.md). Progress on stderr. Examples:\n  fedsynth privacy audit --epsilon 1 --delta 1e-6 --runs 200\n' +
        '  fedsynth privacy audit --epsilon 4 --delta 1e-6 --study mst --runs 4000\n  fedsynth privacy audit --epsilon 1 --delta 1e-6 --study mst --exact-trials 2000000 --seed s',
    )
    .action(
      async (o: { epsilon: string; delta: string; study?: string; attack: string; exactTrials?: string; runs?: string; canaries: string; parties: string; columns?: string; group: string; confidence: string; seed?: string }) => {
        const onRun = (done: number, runs: number): void => {
          if (done % 100 === 0 || done === runs) process.stderr.write(`audit: run ${done}/${runs}\n`);
        };
        if (o.study !== undefined) {
          if (o.study !== 'mst' && o.study !== 'aim') throw new FedsynthError(ErrorCode.InvalidArgument, `--study must be mst or aim, got "${o.study}"`, { field: 'study' });
          if (num(o.group, 'group', true) !== 1) throw new FedsynthError(ErrorCode.InvalidArgument, '--group applies to the release audit only (not with --study)', { field: 'group' });
          if (o.attack !== 'transcript' && o.attack !== 'model') throw new FedsynthError(ErrorCode.InvalidArgument, `--attack must be transcript or model, got "${o.attack}"`, { field: 'attack' });
          if (o.exactTrials !== undefined) {
            if (o.attack !== 'transcript') throw new FedsynthError(ErrorCode.InvalidArgument, '--exact-trials runs the transcript attack', { field: 'attack' });
            let reported = 0;
            const result = await studyCanaryAuditExact({
              mechanism: o.study,
              epsilon: num(o.epsilon, 'epsilon'),
              delta: num(o.delta, 'delta'),
              trials: num(o.exactTrials, 'exact-trials', true),
              parties: num(o.parties, 'parties', true),
              columns: num(o.columns ?? '3', 'columns', true),
              confidence: num(o.confidence, 'confidence'),
              seed: o.seed,
              onProgress: (done, total) => {
                if (done - reported >= total / 10 || done === total) {
                  reported = done;
                  process.stderr.write(`audit: ${done}/${total} (profile studies, then trials)\n`);
                }
              },
            });
            printJson(result);
            return;
          }
          printJson(
            await studyCanaryAudit({
              mechanism: o.study,
              epsilon: num(o.epsilon, 'epsilon'),
              delta: num(o.delta, 'delta'),
              runs: num(o.runs ?? '2000', 'runs', true),
              parties: num(o.parties, 'parties', true),
              columns: num(o.columns ?? '3', 'columns', true),
              attack: o.attack,
              confidence: num(o.confidence, 'confidence'),
              seed: o.seed,
              onRun,
            }),
          );
          return;
        }
        const result = await canaryAudit({
          epsilon: num(o.epsilon, 'epsilon'),
          delta: num(o.delta, 'delta'),
          runs: num(o.runs ?? '200', 'runs', true),
          canaries: num(o.canaries, 'canaries', true),
          parties: num(o.parties, 'parties', true),
          columns: num(o.columns ?? '2', 'columns', true),
          group: num(o.group, 'group', true),
          confidence: num(o.confidence, 'confidence'),
          seed: o.seed,
          onRun,
        });
        printJson(result);
      },
    );

  privacy
    .command('ledger')
    .description("List a party agent's privacy-budget ledger (JSON)")
    .requiredOption('--state <FILE>', "the agent's ledger SQLite file")
    .action((o: { state?: string }) => ledgerCommand(o));
}
