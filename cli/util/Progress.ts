// Progress: shows a long job's progress to the operator — one redrawn line on a TTY, plain
// timestamped lines otherwise (logs, CI) — always on stderr so stdout stays machine-readable.

export class Progress {
  private lastLine = '';
  private readonly tty: boolean;
  private readonly started = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.tty = Boolean(out.isTTY);
  }

  update(fraction: number, message: string): void {
    if (this.quiet) return;
    const pct = `${Math.round(Math.max(0, Math.min(1, fraction)) * 100)}%`.padStart(4);
    const secs = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    const line = `[${secs}s] ${pct} ${message}`;
    if (this.tty) {
      const width = this.out.columns ?? 100;
      const bar = barOf(fraction, 20);
      this.out.write(`\r\x1b[2K${bar} ${line}`.slice(0, width + 8));
    } else if (line.replace(/^\[[ 0-9.]+s\]/, '') !== this.lastLine.replace(/^\[[ 0-9.]+s\]/, '')) {
      this.out.write(`${line}\n`);
    }
    this.lastLine = line;
  }

  /** A one-off event line (timestamped), kept above the redrawn progress line on a TTY. */
  event(message: string): void {
    if (this.quiet) return;
    const secs = ((Date.now() - this.started) / 1000).toFixed(1).padStart(6);
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(`[${secs}s] ${message}\n`);
    if (this.tty && this.lastLine) this.out.write(this.lastLine);
  }

  done(message: string): void {
    if (this.quiet) return;
    if (this.tty) this.out.write('\r\x1b[2K');
    this.out.write(`${message}\n`);
  }
}

function barOf(f: number, width: number): string {
  const n = Math.round(Math.max(0, Math.min(1, f)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}
