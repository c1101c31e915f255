// agentLedger: a party agent's budget ledger opened from its config (policy epsilon caps as zCDP rho),
// and the audited charge used both by the running agent and by local releases (`schema infer --dp-rho`).
import { mkdirSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { policyBudget, policyDelta } from '../policy/policyBudget.js';
import type { AgentConfig } from '../config/AgentConfig.js';
import { BudgetLedger, type ChargeRequest, type LedgerCharge } from './BudgetLedger.js';
import { openAuditHook, type AuditHook } from '../../platform/audit/auditHook.js';

/** The delta the agent converts its epsilon caps with (its policy's, or 1e-9 when that is 0). */
export function agentDelta(config: AgentConfig): number {
  return policyDelta(config.policy);
}

export function agentLedgerPath(config: AgentConfig): string {
  return join(config.state.dir, 'ledger.sqlite');
}

export function agentAuditLogPath(config: AgentConfig): string {
  return join(config.state.dir, 'audit.log');
}

/** Opens (creating the state directory if needed) the ledger with the caps of the agent's policy. */
export function openAgentLedger(config: AgentConfig): BudgetLedger {
  mkdirSync(config.state.dir, { recursive: true });
  return new BudgetLedger(agentLedgerPath(config), { ...policyBudget(config.policy), defaultDataset: config.dataset.id });
}

/** Charges the ledger (refusals throw BudgetExceededError, nothing recorded) and audits the charge. */
export function chargeAndAudit(ledger: BudgetLedger, audit: (event: string, details: Record<string, unknown>) => void, req: ChargeRequest): LedgerCharge {
  const c = ledger.charge(req);
  audit('privacy.charged', { studyId: req.studyId, key: req.idempotencyKey, rho: req.rho, label: req.label, replayed: c.replayed });
  return c;
}

/** Other processes holding `path` open (Linux /proc; elsewhere an empty list). */
function otherHolders(path: string): number[] {
  let target: string;
  let pids: string[];
  try {
    target = realpathSync(path);
    pids = readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's process
    }
    if (fds.some((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === target; } catch { return false; } })) out.push(Number(pid));
  }
  return out;
}

/**
 * Opens the agent's audit log for a one-off command. The hash chain has a single writer: if the
 * running agent holds the file open, appending here would fork the chain, so this refuses instead
 * (checked through /proc on Linux; elsewhere the operator must stop the agent first, see docs/data.md).
 */
export function openAgentAuditForCommand(config: AgentConfig): AuditHook {
  const path = agentAuditLogPath(config);
  const holders = otherHolders(path);
  if (holders.length > 0) {
    throw new FedsynthError(
      ErrorCode.OutOfStep,
      `the party agent is running (process ${holders.join(', ')} holds ${path}); its audit log has a single writer: stop the agent, then retry`,
      { file: path, pids: holders },
    );
  }
  return openAuditHook(path, config.party.id);
}
