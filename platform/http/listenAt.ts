// listenAt: binds a Node HTTP(S) server to a `host:port` address (port 0 = any free port) and closes
// it again, for the coordinator's console and the services' metrics endpoints.
import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

type AnyServer = HttpServer | HttpsServer;

/** Listens on `listen` (host:port) and returns the bound port. */
export async function listenAt(server: AnyServer, listen: string): Promise<number> {
  const { host, port } = splitListenAddress(listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Drops open connections and stops listening. */
export async function closeServer(server: AnyServer): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
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
