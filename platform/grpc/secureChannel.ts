// secureChannel: the client side of mutual TLS for fedsynth's gRPC clients (agent, custodian, operator):
// the consortium CA, the client's own kit, and the server's name or IP checked without an IP as TLS ServerName.
import * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { tryParseHostPort } from '../../shared/identity/hostPort.js';

/**
 * The TLS ServerName (SNI) sent when the server is identified by an IP address. RFC 6066 (section 3)
 * does not permit an IP literal there (Node warns, DEP0123, and will ignore it), and grpc-js sends
 * either the dialled host or `grpc.ssl_target_name_override`, never nothing; so it sends this name,
 * under the `.invalid` top-level domain that can never name a real host (RFC 6761). Our servers
 * pick no certificate by SNI; what identifies the server is the check below, not this name.
 */
export const IP_SERVER_SNI = 'ip-address.invalid';

/** The client's kit (PEM) and, when it differs from the dialled host, the name the server's certificate must carry. */
export interface ClientTls {
  caPem: Buffer;
  keyPem: Buffer;
  certPem: Buffer;
  /** Name (or IP) expected in the server's certificate instead of the dialled host. */
  serverName?: string;
}

/** Credentials and the channel options they need, for a client of `address` (`host:port`, `[v6]:port`). */
export interface SecureChannel {
  credentials: grpc.ChannelCredentials;
  options: grpc.ChannelOptions;
}

/**
 * The server's identity is checked exactly as grpc-js and node:tls check it by default
 * (`tls.checkServerIdentity`: a DNS name against the certificate's DNS names, an IP against its IP
 * addresses, chained to the consortium CA), against `serverName` when given, else the dialled host.
 * Only the ServerName sent differs when that identity is an IP: IP_SERVER_SNI instead of the IP,
 * with the check pinned to the IP (grpc-js would otherwise check the certificate against the
 * override name).
 */
export function secureChannel(address: string, tls: ClientTls): SecureChannel {
  const expected = tls.serverName !== undefined && tls.serverName !== '' ? tls.serverName : tryParseHostPort(address)?.host;
  if (expected !== undefined && isIP(expected) !== 0) {
    const credentials = grpc.credentials.createSsl(tls.caPem, tls.keyPem, tls.certPem, {
      checkServerIdentity: (_serverName: string, cert: PeerCertificate) => checkServerIdentity(expected, cert),
    });
    return { credentials, options: { 'grpc.ssl_target_name_override': IP_SERVER_SNI } };
  }
  const credentials = grpc.credentials.createSsl(tls.caPem, tls.keyPem, tls.certPem);
  return { credentials, options: expected !== undefined && expected === tls.serverName ? { 'grpc.ssl_target_name_override': expected } : {} };
}
