// Where `ptyplex web` listens: HOST:PORT, [V6]:PORT or :PORT (loopback),
// and whether that is this machine only.
import net from 'node:net';

export interface ListenAddress {
  host: string;
  port: number;
}

export class ListenAddressError extends Error {
  override readonly name = 'ListenAddressError';
}

export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || port > 65535) throw new ListenAddressError(`--listen "${text}": give HOST:PORT (e.g. 127.0.0.1:7681; port 0 picks a free one)`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  if (m[1] !== undefined && net.isIPv6(host) === false) throw new ListenAddressError(`--listen "${text}": "${host}" is not an IPv6 address`);
  return { host, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

/**
 * True for a bound address that is every interface. Given as the address
 * the socket got (`server.address()`), so 0, ::0 and the like, which the
 * kernel reads as these, are known for what they are.
 */
export function isWildcard(bound: string): boolean {
  return bound === '0.0.0.0' || bound === '::' || bound === '::ffff:0.0.0.0';
}

/** The host as a URL or Host header spells it. */
export function hostText(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}
