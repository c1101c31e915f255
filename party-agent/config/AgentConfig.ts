// AgentConfig: the party agent's configuration file (JSON, or YAML when the `yaml` package is present),
// validated with zod; errors list every problem as `field.path: why`, relative paths resolve against the file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { tryParseHostPort } from '../../shared/identity/hostPort.js';

const PARTY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/; // same rule as certificate CNs (shared/identity/PartyRole.ts)
const epsilon = z.number().positive().max(100);
const path = z.string().min(1, 'must be a non-empty path');

export const AgentConfigZ = z
  .object({
    party: z.object({ id: z.string().regex(PARTY_ID, 'must be 1-63 letters, digits, ".", "_" or "-"') }).strict(),
    coordinator: z
      .object({ address: z.string().refine((a) => tryParseHostPort(a) !== undefined, 'must be HOST:PORT') })
      .strict(),
    /** Startup kit directory (fedsynth pki issue). */
    kit: path,
    dataset: z
      .object({
        id: z.string().min(1),
        // TODO(data-plane): replace with SourceConfigZ (party-agent/data/SourceConfig.ts) and resolve
        // its relative file paths with resolveConfigPath(configDir, p).
        source: z.unknown(),
        /** Schema file (fedsynth schema). */
        schema: path,
        onInvalid: z.enum(['fail', 'drop-row', 'map-to-missing']).default('fail'),
        /**
         * Rows held back as a control sample before any release (never counted for a study; used only
         * by the local risk evaluation of delivered outputs). 0 = none; at most half the validated rows.
         */
        controlRows: z.number().int().min(0).default(0),
      })
      .strict(),
    policy: z
      .object({
        allowedColumns: z.union([z.literal('*'), z.array(z.string().min(1)).min(1, 'must list at least one column, or be "*"')]),
        maxEpsilonPerStudy: epsilon,
        maxDeltaPerStudy: z.number().min(0).lt(1e-3, 'must be below 1e-3'),
        /** Total epsilon this dataset may ever spend across studies (the ledger enforces it). */
        lifetimeEpsilon: epsilon.max(1000),
        autoApprove: z.union([z.boolean(), z.object({ maxEpsilon: epsilon }).strict()]).default(false),
        allowedMechanisms: z.array(z.enum(['mst', 'aim', 'dpsgd'])).min(1),
        minParties: z.number().int().min(2).default(2),
        /** Masking / HE aggregation only unless true (plain sums reveal each party's noisy counts to the coordinator). */
        allowPlainAggregation: z.boolean().default(false),
        /** How many silos one person may appear in; per-party sensitivity scales with it. */
        maxSilosPerIndividual: z.number().int().min(1).default(1),
        /** Floors for the study's colluders f and dropouts d: a study assuming fewer is refused (docs/threat-model.md). */
        minColluders: z.number().int().min(0).default(0),
        minDropouts: z.number().int().min(0).default(0),
        /**
         * SecAgg+ (masking): refuse rounds whose sparse graph gives this party fewer neighbours
         * than this, on top of the protocol's safe minimum (0 = that minimum only; docs/secagg.md).
         */
        minNeighbours: z.number().int().min(0).max(254).default(0),
        /** Study id -> modes its rounds may also use besides the approved one (default: the approved mode only). */
        extraRoundModes: z.record(z.string().min(1), z.array(z.enum(['plain', 'masking', 'he']))).default({}),
      })
      .strict()
      .superRefine((p, ctx) => {
        if (p.maxEpsilonPerStudy > p.lifetimeEpsilon) {
          ctx.addIssue({ code: 'custom', path: ['maxEpsilonPerStudy'], message: 'must not exceed lifetimeEpsilon' });
        }
        if (typeof p.autoApprove === 'object' && p.autoApprove.maxEpsilon > p.maxEpsilonPerStudy) {
          ctx.addIssue({ code: 'custom', path: ['autoApprove', 'maxEpsilon'], message: 'must not exceed maxEpsilonPerStudy' });
        }
      }),
    state: z.object({ dir: path }).strict(),
    /** Prometheus text on GET /metrics at this host:port (plain HTTP); absent = no port is opened. */
    metrics: z.object({ listen: z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9464') }).strict().optional(),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .optional(),
  })
  .strict();

/** The config as written in the file. */
export type AgentConfigInput = z.input<typeof AgentConfigZ>;
/** The validated config, defaults applied and `kit`, `dataset.schema`, `state.dir` made absolute. */
export type AgentConfig = z.output<typeof AgentConfigZ> & { readonly configFile: string; readonly configDir: string };

/** Resolves `p` against the config file's directory unless it is absolute. */
export function resolveConfigPath(configDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(configDir, p);
}

/** Validates an already-parsed config; `file` names it in errors and anchors relative paths. */
export function parseAgentConfig(raw: unknown, file: string): AgentConfig {
  const r = AgentConfigZ.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length === 0 ? '(root)' : i.path.join('.')}: ${i.message}`);
    throw new FedsynthError(ErrorCode.InvalidConfig, `invalid agent config ${file}:\n  ${lines.join('\n  ')}`, {
      file,
      issues: lines,
    });
  }
  const configFile = resolve(file);
  const configDir = dirname(configFile);
  const c = r.data;
  return {
    ...c,
    kit: resolveConfigPath(configDir, c.kit),
    dataset: { ...c.dataset, schema: resolveConfigPath(configDir, c.dataset.schema) },
    state: { dir: resolveConfigPath(configDir, c.state.dir) },
    configFile,
    configDir,
  };
}

/** Reads, parses (JSON; YAML for .yaml/.yml when the `yaml` package is installed) and validates a config file. */
export async function loadAgentConfig(file: string): Promise<AgentConfig> {
  if (!existsSync(file)) throw new FedsynthError(ErrorCode.NotFound, `agent config not found: ${file}`, { file });
  const text = readFileSync(file, 'utf8');
  const ext = extname(file).toLowerCase();
  let raw: unknown;
  try {
    raw = ext === '.yaml' || ext === '.yml' ? await parseYaml(text, file) : JSON.parse(text);
  } catch (e) {
    if (e instanceof FedsynthError) throw e;
    throw new FedsynthError(ErrorCode.InvalidConfig, `agent config ${file} cannot be parsed: ${(e as Error).message}`, { file });
  }
  return parseAgentConfig(raw, file);
}

async function parseYaml(text: string, file: string): Promise<unknown> {
  const moduleName = 'yaml'; // optional: present only as a transitive dependency
  let mod: { parse: (s: string) => unknown };
  try {
    mod = (await import(moduleName)) as { parse: (s: string) => unknown };
  } catch {
    throw new FedsynthError(ErrorCode.InvalidConfig, `agent config ${file}: YAML needs the 'yaml' package, which is not installed; use JSON`, {
      file,
    });
  }
  return mod.parse(text);
}
