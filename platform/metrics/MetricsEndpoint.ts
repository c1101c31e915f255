// MetricsEndpoint: a plain-HTTP Prometheus text endpoint (GET /metrics only) on one configured
// address, for a service that must open no port unless told to (the party agent).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

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
    const { host, port } = splitListenAddress(this.listen);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** host:port (IPv6 hosts in brackets); InvalidArgument otherwise. */
export function splitListenAddress(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(i + 1));
  if (i <= 0 || host === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `address must be host:port, got '${listen}'`, { listen });
  }
  return { host, port };
}
