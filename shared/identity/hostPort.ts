// hostPort: parsing of `HOST:PORT` network addresses (IPv4, [IPv6] or DNS name) used for the
// coordinator address in kits and agent configs.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6]:port`; port 1..65535. Returns undefined if malformed. */
export function tryParseHostPort(address: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(address.trim());
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? m[2]!, port };
}

/** Like tryParseHostPort but throws InvalidArgument naming the bad value. */
export function parseHostPort(address: string, what = 'address'): HostPort {
  const hp = tryParseHostPort(address);
  if (hp === undefined) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `invalid ${what} ${JSON.stringify(address)}: expected HOST:PORT`, {
      address,
    });
  }
  return hp;
}
