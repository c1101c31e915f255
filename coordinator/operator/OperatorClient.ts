// OperatorClient: a promise-based client of the coordinator's OperatorService over mTLS, used by
// `fedsynth study`, the demo and tests. Errors come back as typed FedsynthErrors.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { OperatorServiceClient, type CreateStudyRequest, type StudyStatus, type FileChunk } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { fromGrpcError } from '../grpcErrors.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { secureChannel } from '../../platform/grpc/secureChannel.js';

/**
 * The coordinator's refusal as a typed error; a PERMISSION_DENIED (a valid certificate of another
 * role: a party's, the custodian's or the coordinator's own kit) also says which kit to use.
 */
export function operatorError(e: unknown): FedsynthError {
  const err = fromGrpcError(e);
  if (err.code !== ErrorCode.PermissionDenied) return err;
  return new FedsynthError(err.code, `${err.message}; operators use their own operator kit as --kit (fedsynth pki issue --role operator --name YOU)`, err.details);
}

export class OperatorClient {
  private readonly client: OperatorServiceClient;

  constructor(address: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }) {
    const { credentials, options } = secureChannel(address, { caPem: tls.ca, keyPem: tls.key, certPem: tls.cert });
    this.client = new OperatorServiceClient(address, credentials, {
      ...options,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    });
  }

  /** From a startup kit (coordinator or operator role); the address defaults to the kit's. */
  static fromKit(kitDir: string, address?: string): OperatorClient {
    const kit = loadKit(kitDir);
    return new OperatorClient(address ?? kit.manifest.coordinator, kit.tls);
  }

  close(): void {
    this.client.close();
  }

  private unary<Req, Res>(fn: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      fn.call(this.client, req, (e, r) => (e ? reject(operatorError(e)) : resolve(r)));
    });
  }

  createStudy(req: CreateStudyRequest): Promise<StudyStatus> {
    return this.unary(this.client.createStudy, req);
  }

  listStudies(): Promise<StudyStatus[]> {
    return this.unary<object, { studies: StudyStatus[] }>(this.client.listStudies, {}).then((r) => r.studies);
  }

  getStudy(studyId: string): Promise<StudyStatus> {
    return this.unary(this.client.getStudy, { studyId });
  }

  cancelStudy(studyId: string, reason: string): Promise<StudyStatus> {
    return this.unary(this.client.cancelStudy, { studyId, reason });
  }

  /** Streams status changes until the study ends; resolves with the final status. */
  watchStudy(studyId: string, onStatus: (s: StudyStatus) => void): Promise<StudyStatus> {
    return new Promise((resolve, reject) => {
      let last: StudyStatus | undefined;
      const stream = this.client.watchStudy({ studyId });
      stream.on('data', (s: StudyStatus) => {
        last = s;
        onStatus(s);
      });
      stream.on('error', (e) => reject(operatorError(e)));
      stream.on('end', () => (last ? resolve(last) : reject(new FedsynthError(ErrorCode.Internal, 'status stream ended without a status'))));
    });
  }

  /** Downloads one output file, verifying its SHA-256; returns the path. */
  fetchOutput(studyId: string, fileName: string, outDir: string): Promise<string> {
    mkdirSync(outDir, { recursive: true });
    const dest = join(outDir, fileName);
    const tmp = `${dest}.part`;
    return new Promise((resolve, reject) => {
      const out = createWriteStream(tmp);
      const hash = createHash('sha256');
      let expected = '';
      const stream = this.client.fetchOutput({ studyId, fileName });
      stream.on('data', (c: FileChunk) => {
        hash.update(c.data);
        out.write(c.data);
        if (c.last) expected = c.sha256;
      });
      stream.on('error', (e) => {
        out.destroy();
        reject(operatorError(e));
      });
      stream.on('end', () => {
        out.end(() => {
          const got = hash.digest('hex');
          if (got !== expected) {
            reject(new FedsynthError(ErrorCode.VerificationFailed, `${fileName}: SHA-256 mismatch after download`, { file: fileName }));
            return;
          }
          renameSync(tmp, dest);
          resolve(dest);
        });
      });
    });
  }
}
