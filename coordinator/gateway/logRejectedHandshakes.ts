// logRejectedHandshakes: a warning for each TLS client the coordinator's gRPC server refuses in the
// handshake (a kit of another CA, no certificate), at most once per peer address per minute.
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/**
 * Hooks 'tlsClientError' on the server's bound HTTP/2 servers. grpc-js keeps them in a private
 * `http2Servers` map (no public hook exists); when it is missing, says once that refusals go unlogged.
 */
export function logRejectedHandshakes(server: object, log: Logger, perPeerMs = 60_000): void {
  const servers = (server as { http2Servers?: Map<EventEmitter, unknown> }).http2Servers;
  if (!(servers instanceof Map)) {
    log.warn('this grpc-js exposes no server to hook: TLS handshakes it refuses are not logged');
    return;
  }
  const last = new Map<string, number>();
  // A refused socket is destroyed before 'tlsClientError': remember each raw socket's address on arrival.
  const addresses = new WeakMap<object, string>();
  for (const s of servers.keys()) {
    s.on('connection', (raw: { remoteAddress?: string }) => {
      if (raw.remoteAddress) addresses.set(raw, raw.remoteAddress);
    });
    s.on('tlsClientError', (err: Error, socket: { remoteAddress?: string; _parent?: object }) => {
      const peer = socket.remoteAddress ?? addresses.get(socket._parent ?? socket) ?? 'unknown';
      const now = Date.now();
      if (now - (last.get(peer) ?? -Infinity) < perPeerMs) return;
      last.set(peer, now);
      log.warn({ peer, err: err.message }, 'rejected a TLS client in the handshake (certificate not from this consortium CA?); further ones from this address are not logged for a minute');
    });
  }
}
