// ConsoleServer: the coordinator's read-only operator web console and Prometheus endpoint, served
// over HTTPS with client-certificate authentication against the consortium CA (operator roles only).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoordinatorStore, DeliveryAckRecord, RoundRecord, StudyPartyRecord } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { CoordinatorMetrics } from '../metrics/CoordinatorMetrics.js';
import { closeServer, listenAt } from '../../platform/http/listenAt.js';
import { peerIdentityFromCertificate } from '../../platform/pki/peerIdentityFromCertificate.js';
import { studySpecFromJsonText } from '../../platform/wire/studySpecWire.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { OPERATOR_REPORT_FILES } from '../delivery/signConsortiumReport.js';
import { unreleasedRhoByParty } from '../../shared/study/RoundAccount.js';
import { OUTPUT_FILES } from '../delivery/StudyOutputs.js';
import { auditPage, partiesPage, refusalPage, studiesPage, studyPage, type AuditLine } from './consolePages.js';

export interface ConsoleOptions {
  /** host:port; port 0 picks a free port (see `port` after start). */
  listen: string;
  tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer };
  store: CoordinatorStore;
  gateway: AgentGateway;
  metrics: CoordinatorMetrics;
  /** The coordinator's hash-chained audit log file (absent: the page says so). */
  auditLogPath: string;
  outputsDir: string;
  isRevoked: (serial: string) => boolean;
  /** Certificate roles (subject OU) allowed to read the console. */
  roles: ReadonlySet<string>;
  log: Logger;
}

/** The audit page shows at most this many records (the newest). */
const AUDIT_LINES = 500;

export class ConsoleServer {
  private readonly server: Server;
  port = 0;

  constructor(private readonly o: ConsoleOptions) {
    // rejectUnauthorized: false so that a request without a (valid) certificate gets a readable
    // 401 page; every request is checked in `authenticate` before anything is read.
    this.server = createServer(
      { ca: o.tls.caPem, cert: o.tls.certPem, key: o.tls.keyPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (req, res) => void this.handle(req, res),
    );
  }

  async start(): Promise<number> {
    this.port = await listenAt(this.server, this.o.listen);
    return this.port;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  /** The operator's name, or a refusal already sent. */
  private authenticate(req: IncomingMessage, res: ServerResponse): string | undefined {
    const socket = req.socket as TLSSocket;
    const refuse = (status: 401 | 403, message: string) => {
      this.o.metrics.consoleRefused();
      this.o.log.warn({ status, url: req.url, remote: socket.remoteAddress }, `console request refused: ${message}`);
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(refusalPage(status, message));
      return undefined;
    };
    const cert = socket.getPeerCertificate();
    if (!cert || !cert.raw) return refuse(401, 'This console needs a client certificate issued by the consortium CA (an operator certificate).');
    if (!socket.authorized) return refuse(401, `The client certificate was not accepted: ${String(socket.authorizationError)}.`);
    let id;
    try {
      id = peerIdentityFromCertificate(cert.raw);
    } catch (e) {
      return refuse(403, (e as Error).message);
    }
    if (this.o.isRevoked(id.serial)) return refuse(403, `certificate ${id.serial} of ${id.partyId} is revoked`);
    if (!this.o.roles.has(id.role)) return refuse(403, `role '${id.role}' may not read the operator console (allowed: ${[...this.o.roles].join(', ')})`);
    return `${id.role} ${id.partyId}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const operator = this.authenticate(req, res);
    if (operator === undefined) return;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end('read-only console\n');
        return;
      }
      const url = new URL(req.url ?? '/', 'https://console.invalid');
      const path = url.pathname;
      const html = (body: string) =>
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }).end(body);
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': this.o.metrics.contentType }).end(await this.o.metrics.text());
      } else if (path === '/') {
        html(studiesPage(operator, this.o.store.listStudies().reverse().map((study) => ({ study, spec: this.specOf(study.specJson), roundsDone: this.o.store.roundsDone(study.id), parties: this.o.store.parties(study.id) })), this.o.gateway.onlineParties()));
      } else if (path === '/parties') {
        const invited = new Map<string, { studies: number; rhoCharged: number; rhoUnreleased: number }>();
        for (const s of this.o.store.listStudies()) {
          const unreleased = unreleasedRhoByParty(this.o.store.roundAccounts(s.id));
          for (const p of this.o.store.parties(s.id)) {
            const cur = invited.get(p.partyId) ?? { studies: 0, rhoCharged: 0, rhoUnreleased: 0 };
            invited.set(p.partyId, { studies: cur.studies + 1, rhoCharged: cur.rhoCharged + p.rhoCharged, rhoUnreleased: cur.rhoUnreleased + (unreleased.get(p.partyId) ?? 0) });
          }
        }
        html(partiesPage(operator, invited, this.o.gateway.onlineParties()));
      } else if (path === '/audit') {
        const study = url.searchParams.get('study') ?? undefined;
        const { lines, total } = this.auditLines(study);
        html(auditPage(operator, lines, total, study));
      } else if (path.startsWith('/studies/')) {
        this.studyRoute(decodeURIComponent(path.slice('/studies/'.length)), operator, res, html);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    } catch (e) {
      this.o.log.error({ err: (e as Error).message, url: req.url }, 'console page failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error (see the coordinator log)\n');
    }
  }

  private studyRoute(rest: string, operator: string, res: ServerResponse, html: (body: string) => void): void {
    const [studyId, files, name] = rest.split('/');
    if (!studyId || !this.o.store.hasStudy(studyId)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('unknown study\n');
      return;
    }
    const dir = join(this.o.outputsDir, studyId);
    if (files === 'files') {
      // Only the JSON documents (run.json, model.json, manifest.json) are shown: no synthetic rows here.
      if (!name || !name.endsWith('.json') || !([...OUTPUT_FILES, ...OPERATOR_REPORT_FILES] as readonly string[]).includes(name) || !existsSync(join(dir, name))) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such output\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-security-policy': "default-src 'none'" }).end(readFileSync(join(dir, name)));
      return;
    }
    const study = this.o.store.getStudy(studyId);
    const parties = this.o.store.parties(studyId);
    const rounds: RoundRecord[] = [];
    for (let i = 0, n = this.o.store.roundsDone(studyId); i < n; i++) {
      const r = this.o.store.journaledRound(studyId, i);
      if (r) rounds.push(r);
    }
    const deliveries = new Map<string, readonly DeliveryAckRecord[]>(parties.map((p) => [p.partyId, this.o.store.deliveryAcks(studyId, p.partyId)]));
    const outputs = existsSync(dir) ? readdirSync(dir).filter((f) => ([...OUTPUT_FILES, ...OPERATOR_REPORT_FILES] as readonly string[]).includes(f)).sort().map((f) => ({ name: f, bytes: statSync(join(dir, f)).size })) : [];
    html(studyPage(operator, { study, spec: this.specOf(study.specJson), parties, online: new Set(this.o.gateway.onlineParties()), rounds, deliveries, outputs, accounts: this.o.store.roundAccounts(studyId), delivered: this.approvedHolding(studyId, parties) }));
  }

  /** Approved parties of the study that confirmed every output file. */
  private approvedHolding(studyId: string, parties: readonly StudyPartyRecord[]): number {
    const holding = this.o.store.partiesHolding(studyId, OUTPUT_FILES);
    return parties.filter((p) => p.decision === 'approved' && holding.has(p.partyId)).length;
  }

  private specOf(json: string): StudySpec | undefined {
    try {
      return studySpecFromJsonText(json);
    } catch {
      return undefined;
    }
  }

  /** The newest audit records (optionally of one study) and the number of records in the file. */
  private auditLines(study: string | undefined): { lines: AuditLine[]; total: number } {
    if (!existsSync(this.o.auditLogPath)) return { lines: [], total: 0 };
    const all = readFileSync(this.o.auditLogPath, 'utf8').split('\n').filter((l) => l.length > 0);
    const parsed: AuditLine[] = [];
    for (const l of all) {
      try {
        const r = JSON.parse(l) as AuditLine & { studyId?: string };
        const details = r.details ?? {};
        if (study && r.studyId !== study && details.studyId !== study) continue;
        parsed.push({ seq: r.seq, time: r.time, actor: r.actor, event: r.event, details });
      } catch {
        // a torn last line: the audit log file itself reports it on open
      }
    }
    return { lines: parsed.slice(-AUDIT_LINES).reverse(), total: all.length };
  }
}
