// waitForLocalReports: the demo waits until each agent has written its local-only evaluation report
// (the agents write them on delivery, while the demo evaluates against its full sample).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the local reports that appeared within `timeoutMs` (agent state dirs given). */
export async function waitForLocalReports(agentStateDirs: readonly string[], studyId: string, timeoutMs: number): Promise<string[]> {
  const files = agentStateDirs.map((d) => join(d, 'outputs', studyId, 'report.html'));
  const deadline = Date.now() + timeoutMs;
  while (!files.every((f) => existsSync(f)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return files.filter((f) => existsSync(f));
}
