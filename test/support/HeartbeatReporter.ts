// HeartbeatReporter: a vitest reporter that, when the output is not a terminal (CI, a log file),
// prints a progress line every 30 s: files and tests done, and what is running and for how long.
import type { Reporter, TestCase, TestModule, TestSpecification } from 'vitest/node';

/** Seconds between two progress lines (FEDSYNTH_TEST_HEARTBEAT_S; 0 turns them off). */
function intervalSeconds(): number {
  const v = Number(process.env.FEDSYNTH_TEST_HEARTBEAT_S ?? 30);
  return Number.isFinite(v) && v >= 0 ? v : 30;
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * vitest's default reporter prints a file's results when the file ends, so outside a terminal a
 * slow file looks like a hung run. This reporter adds, on stderr, one line per interval while the
 * run lasts: `[tests 4m30s] 21/57 files, 180 passed, 0 failed; running: test/x.test.ts > name (95s)`.
 */
export default class HeartbeatReporter implements Reporter {
  private readonly out: NodeJS.WritableStream;
  private readonly enabled: boolean;
  private timer: NodeJS.Timeout | undefined;
  private t0 = Date.now();
  private files = 0;
  private filesDone = 0;
  private passed = 0;
  private failed = 0;
  /** Running module id → start time and its running test (name, start time). */
  private readonly running = new Map<string, { since: number; collecting: boolean; test?: { name: string; since: number } }>();

  constructor(opts: { out?: NodeJS.WritableStream; force?: boolean } = {}) {
    this.out = opts.out ?? process.stderr;
    this.enabled = opts.force === true || !process.stdout.isTTY;
  }

  onTestRunStart(specifications: ReadonlyArray<TestSpecification>): void {
    this.t0 = Date.now();
    this.files = specifications.length;
    const every = intervalSeconds();
    if (this.enabled && every > 0) {
      this.timer = setInterval(() => this.beat(), every * 1000);
      this.timer.unref();
    }
  }

  onTestModuleQueued(testModule: TestModule): void {
    this.running.set(testModule.moduleId, { since: Date.now(), collecting: true });
  }

  onTestModuleStart(testModule: TestModule): void {
    const m = this.running.get(testModule.moduleId);
    if (m) m.collecting = false;
    else this.running.set(testModule.moduleId, { since: Date.now(), collecting: false });
  }

  onTestCaseReady(testCase: TestCase): void {
    const m = this.running.get(testCase.module.moduleId);
    if (m) m.test = { name: testCase.fullName, since: Date.now() };
  }

  onTestCaseResult(testCase: TestCase): void {
    const state = testCase.result().state;
    if (state === 'passed') this.passed++;
    else if (state === 'failed') this.failed++;
    const m = this.running.get(testCase.module.moduleId);
    if (m?.test?.name === testCase.fullName) m.test = undefined;
  }

  onTestModuleEnd(testModule: TestModule): void {
    this.running.delete(testModule.moduleId);
    this.filesDone++;
  }

  onTestRunEnd(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The progress line (also used by the tests of this reporter). */
  line(now = Date.now()): string {
    const root = process.cwd() + '/';
    const running = [...this.running].map(([id, m]) => {
      const file = id.startsWith(root) ? id.slice(root.length) : id;
      if (m.test) return `${file} > ${m.test.name} (${seconds(now - m.test.since)})`;
      return `${file} (${m.collecting ? 'loading' : 'in hooks'}, ${seconds(now - m.since)})`;
    });
    return `[tests ${seconds(now - this.t0)}] ${this.filesDone}/${this.files} files, ${this.passed} passed, ${this.failed} failed; running: ${running.length > 0 ? running.join('; ') : 'nothing (collecting or finishing)'}`;
  }

  private beat(): void {
    this.out.write(`${this.line()}\n`);
  }
}
