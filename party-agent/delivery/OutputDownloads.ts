// OutputDownloads: the agent's receiver of delivered study outputs — chunks written in order to a
// temporary file, checked against the sender's SHA-256, renamed into outputs/<study>/, acknowledged.
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { FrameRefusals } from '../../platform/grpc/FrameRefusals.js';
import { createHash } from 'node:crypto';
import { mkdirSync, createWriteStream, renameSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AgentMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

type AgentBody = NonNullable<AgentMessage['body']>;

/** One delivered chunk of one output file. */
export interface DeliveryChunk {
  studyId: string;
  fileName: string;
  offset: number;
  data: Uint8Array;
  last: boolean;
  sha256: string;
}

export interface OutputDownloadsOptions {
  stateDir: string;
  log: Logger;
  audit: (event: string, details: Record<string, unknown>) => void;
  /** Called once the manifest (always delivered last) is stored, with the study's output folder. */
  onManifest(studyId: string, dir: string): void;
  /** True for a study this party approved: outputs of any other study are refused (absent: not checked). */
  approved?: (studyId: string) => boolean;
  /** Where a refused chunk is logged (naming the field) and counted; default: a warn line only. */
  refusedFrames?: FrameRefusals;
}

interface Download {
  file: string;
  tmp: string;
  out: WriteStream;
  hash: ReturnType<typeof createHash>;
  offset: number;
}

export class OutputDownloads {
  private readonly downloads = new Map<string, Download>();

  constructor(private readonly opts: OutputDownloadsOptions) {}

  private refuse(field: string, code: ErrorCode, message: string, details: Record<string, unknown>): void {
    if (this.opts.refusedFrames) this.opts.refusedFrames.refuse(field, code, message, details);
    else this.opts.log.warn({ ...details, code, field }, `refused: ${message}`);
  }

  onDelivery(chunk: DeliveryChunk, send: (b: AgentBody) => void): void {
    // Names become paths under outputs/: letters, digits, '.', '_', '-', never starting with '.'
    // (so never '.' or '..': a study id '..' would put files in the agent's state directory).
    const safeName = (n: string): boolean => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(n);
    if (!safeName(chunk.studyId)) {
      this.refuse('delivery.study_id', ErrorCode.ProtocolViolation, 'a delivery with an unsafe study id', { studyId: chunk.studyId, file: chunk.fileName });
      return;
    }
    if (!safeName(chunk.fileName)) {
      this.refuse('delivery.file_name', ErrorCode.ProtocolViolation, 'a delivery with an unsafe file name', { studyId: chunk.studyId, file: chunk.fileName });
      return;
    }
    if (this.opts.approved && !this.opts.approved(chunk.studyId)) {
      this.refuse('delivery.study_id', ErrorCode.UnknownStudy, `a delivery for study ${chunk.studyId}, which this party has not approved`, { studyId: chunk.studyId, file: chunk.fileName });
      return;
    }
    const key = `${chunk.studyId}/${chunk.fileName}`;
    const dir = join(this.opts.stateDir, 'outputs', chunk.studyId);
    let d = this.downloads.get(key);
    if (chunk.offset === 0) {
      if (d) d.out.destroy();
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${chunk.fileName}.part`);
      d = { file: join(dir, chunk.fileName), tmp, out: createWriteStream(tmp), hash: createHash('sha256'), offset: 0 };
      this.downloads.set(key, d);
    }
    if (!d || chunk.offset !== d.offset) {
      this.refuse('delivery.offset', ErrorCode.OutOfStep, `out-of-order delivery chunk (offset ${chunk.offset}, expected ${d?.offset ?? 0})`, { studyId: chunk.studyId, file: chunk.fileName, offset: chunk.offset });
      return;
    }
    d.out.write(chunk.data);
    d.hash.update(chunk.data);
    d.offset += chunk.data.length;
    if (chunk.last) {
      const dl = d;
      this.downloads.delete(key);
      const digest = dl.hash.digest('hex');
      dl.out.end(() => {
        let ok = digest === chunk.sha256;
        try {
          if (ok) renameSync(dl.tmp, dl.file);
        } catch (e) {
          // the state directory went away (agent shutting down): nothing was stored
          ok = false;
          this.opts.log.warn({ file: chunk.fileName, err: (e as Error).message }, 'could not store a delivered file');
        }
        this.opts.log.info({ studyId: chunk.studyId, file: chunk.fileName, ok }, 'received study output');
        this.opts.audit('delivery.received', { studyId: chunk.studyId, file: chunk.fileName, sha256: digest, ok });
        // The manifest comes last: score the synthetic data against this party's own rows (local-only report).
        if (ok && chunk.fileName === 'manifest.json') this.opts.onManifest(chunk.studyId, dir);
        try {
          send({ $case: 'deliveryAck', value: { studyId: chunk.studyId, fileName: chunk.fileName, ok, sha256: digest } });
        } catch {
          // coordinator will re-deliver on reconnect
        }
      });
    }
  }
}

/** Reads a file delivered to this agent (for tests and `agent outputs`). */
export function readDelivered(stateDir: string, studyId: string, file: string): Buffer {
  return readFileSync(join(stateDir, 'outputs', studyId, file));
}
