// MetricsEndpoint: a plain-HTTP Prometheus text endpoint (GET /metrics only) on one configured
// address, for a service that must open no port unless told to (the party agent).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { closeServer, listenAt } from '../http/listenAt.js';

export class MetricsEndpoint {
  private readonly server: Server;
  port = 0;

  constructor(
    private readonly listen: string,
    registry: Registry,
  ) {
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics\n');
        return;
      }
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    });
  }

  /** Binds `listen` (host:port; port 0 = any free port) and returns the port. */
  async start(): Promise<number> {
    this.port = await listenAt(this.server, this.listen);
    return this.port;
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }
}
