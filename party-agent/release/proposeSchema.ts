// proposeSchema: a party's schema proposal from a sample file; with a DP request, the edges of the
// public-range numeric columns are DP quantiles, charged to the party's own ledger (and audited) first.
import { randomUUID } from 'node:crypto';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { inferSchema } from '../../shared/schema/inferSchema.js';
import { dpQuantileEdges } from '../../shared/schema/dpQuantileEdges.js';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { cryptoRandomSource } from '../../shared/dp/random/RandomSource.js';
import { summarizeColumns, valueHistogram } from '../data/summarizeColumns.js';
import { loadAgentConfig } from '../config/AgentConfig.js';
import type { BudgetLedger } from '../ledger/BudgetLedger.js';
import { agentDelta, agentLedgerPath, chargeAndAudit, openAgentAuditForCommand, openAgentLedger } from '../ledger/agentLedger.js';

/** A PUBLIC range [lo, hi] of a numeric column, the support of its DP quantiles. */
export interface PublicRange {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
}

/** Who pays for a DP release: the ledger of the agent configured in `configFile`, or nobody (the data is covered by no party's budget). */
export type ReleaseAccount = { readonly kind: 'ledger'; readonly configFile: string } | { readonly kind: 'none' };

export interface DpEdgesRequest {
  /** zCDP rho spent in total, split evenly over the range columns. */
  readonly rho: number;
  readonly ranges: readonly PublicRange[];
  readonly account: ReleaseAccount;
}

export interface ProposeSchemaRequest {
  /** CSV (with header) or Parquet sample file. */
  readonly data: string;
  readonly bins: number;
  readonly maxCategories: number;
  readonly dp?: DpEdgesRequest;
}

/** What the caller is told along the way, in order (the CLI prints each). */
export type ProposalNotice =
  | { readonly kind: 'unaccounted' }
  | { readonly kind: 'reading' }
  | {
      readonly kind: 'charged';
      readonly rho: number;
      readonly delta: number;
      readonly party: string;
      readonly dataset: string;
      readonly studyId: string;
      readonly ledgerPath: string;
      readonly lifetimeSpent: number;
    }
  | { readonly kind: 'released'; readonly columns: readonly string[]; readonly spent: number; readonly delta: number };

/** The delta a release charged to no ledger is reported with. */
const NO_LEDGER_DELTA = 1e-9;

interface OpenAccount {
  readonly delta: number;
  /** Charges durably before the release; a refusal throws (BUDGET_EXCEEDED) and nothing is computed. */
  charge(rho: number, label: string): void;
  close(): void;
}

async function openAccount(account: ReleaseAccount, notify: (n: ProposalNotice) => void): Promise<OpenAccount> {
  if (account.kind === 'none') {
    notify({ kind: 'unaccounted' });
    return { delta: NO_LEDGER_DELTA, charge: () => undefined, close: () => undefined };
  }
  const config = await loadAgentConfig(account.configFile);
  const audit = openAgentAuditForCommand(config);
  let ledger: BudgetLedger;
  try {
    ledger = openAgentLedger(config);
  } catch (e) {
    audit.close();
    throw e;
  }
  const delta = agentDelta(config);
  return {
    delta,
    charge: (rho, label) => {
      const studyId = `schema-inference/${new Date().toISOString()}`;
      chargeAndAudit(ledger, audit, { studyId, idempotencyKey: `${studyId}/${randomUUID()}`, rho, label });
      notify({
        kind: 'charged',
        rho,
        delta,
        party: config.party.id,
        dataset: config.dataset.id,
        studyId,
        ledgerPath: agentLedgerPath(config),
        lifetimeSpent: ledger.lifetimeSpent(),
      });
    },
    close: () => {
      ledger.close();
      audit.close();
    },
  };
}

/** Every range column must be a numeric or integer column of the proposal. */
function checkRangeColumns(schema: Schema, ranges: readonly PublicRange[]): void {
  for (const p of ranges) {
    const c = schema.columns.find((x) => x.name === p.name);
    if (!c) throw new FedsynthError(ErrorCode.InvalidArgument, `--public-range: unknown column ${p.name}`);
    if (c.type !== 'numeric' && c.type !== 'integer') {
      throw new FedsynthError(ErrorCode.InvalidArgument, `--public-range ${c.name}: not a numeric column in the proposal`);
    }
  }
}

/** Replaces the edges of the range columns by DP quantile edges (Smith 2011); returns the schema and the rho spent. */
async function dpEdges(schema: Schema, data: string, bins: number, rho: number, ranges: readonly PublicRange[]): Promise<{ schema: Schema; spent: number }> {
  const rng = cryptoRandomSource();
  const perColumn = rho / ranges.length;
  let spent = 0;
  const columns = [];
  for (const c of schema.columns) {
    const r = ranges.find((p) => p.name === c.name);
    if (!r || (c.type !== 'numeric' && c.type !== 'integer')) {
      columns.push(c);
      continue;
    }
    const e = dpQuantileEdges(await valueHistogram(data, c.name), r.lo, r.hi, bins, perColumn, rng, c.type === 'integer');
    spent += e.rho;
    const { min: _min, max: _max, ...rest } = c as typeof c & { min?: number; max?: number };
    columns.push({ ...rest, edges: e.edges, outOfDomain: 'clamp' as const });
  }
  return { schema: parseSchema({ ...schema, columns }), spent };
}

/**
 * Infers a proposal from `data`; with `dp`, opens the paying ledger first (before anything is read),
 * charges it (durably, audited) and only then computes the DP quantile edges. A refused charge throws
 * BUDGET_EXCEEDED with nothing released.
 */
export async function proposeSchema(req: ProposeSchemaRequest, notify: (n: ProposalNotice) => void = () => undefined): Promise<Schema> {
  const dp = req.dp;
  const account = dp === undefined ? undefined : await openAccount(dp.account, notify);
  try {
    notify({ kind: 'reading' });
    const summaries = await summarizeColumns(req.data, req.maxCategories);
    const proposal = inferSchema(summaries, { bins: req.bins, maxCategories: req.maxCategories });
    if (dp === undefined || account === undefined) return proposal;
    checkRangeColumns(proposal, dp.ranges);
    const names = dp.ranges.map((p) => p.name);
    account.charge(dp.rho, `schema infer: DP quantile edges of ${names.join(', ')}`);
    const r = await dpEdges(proposal, req.data, req.bins, dp.rho, dp.ranges);
    if (r.spent > dp.rho * (1 + 1e-9)) throw new FedsynthError(ErrorCode.Internal, `DP quantiles spent rho ${r.spent} > charged ${dp.rho}`);
    notify({ kind: 'released', columns: names, spent: r.spent, delta: account.delta });
    return r.schema;
  } finally {
    account?.close();
  }
}
