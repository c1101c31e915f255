// ledgerChild: a child process used by BudgetLedger.test.ts (run with vite-node).
// Modes: "race" charges a list of keys and prints a JSON summary; "crash" charges then dies before sending.
import { BudgetLedger } from '../../party-agent/ledger/BudgetLedger.js';

const [mode, path, who] = process.argv.slice(2);
const ledger = new BudgetLedger(path, { perStudyRho: 10, lifetimeRho: 0.5 });
if (mode === 'crash') {
  ledger.charge({ studyId: 's1', idempotencyKey: 's1/r1/m1', rho: 0.1, label: 'crash-test' });
  process.kill(process.pid, 'SIGKILL'); // dies between the charge and the send
}
let ok = 0;
let replayed = 0;
let refused = 0;
const keys = [...Array.from({ length: 20 }, (_, i) => `s1/shared/${i}`), ...Array.from({ length: 15 }, (_, i) => `s1/${who}/${i}`)];
for (const key of keys) {
  try {
    const c = ledger.charge({ studyId: 's1', idempotencyKey: key, rho: 0.01, label: key });
    if (c.replayed) replayed++;
    else ok++;
  } catch (e) {
    if ((e as { code?: string }).code === 'BUDGET_EXCEEDED') refused++;
    else throw e;
  }
}
ledger.close();
process.stdout.write(JSON.stringify({ ok, replayed, refused }) + '\n');
