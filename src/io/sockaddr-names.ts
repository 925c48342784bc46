import { formatIp, tryParseIp } from '../util/ip-addr.js';
import { AF_INET, AF_INET6 } from './libc.js';
import { encodeSockaddr, SOCKADDR_IN_SIZE, SOCKADDR_IN6_SIZE } from './sockaddr.js';

/**
 * Caches between the data plane's (address text, port) pairs and kernel sockaddrs, so the
 * per-datagram work of a UDP endpoint made through the FFI is a map lookup, not a parse or
 * a format (a tunnel talks to few peers; the caches are bounded and simply cleared when full).
 *
 *   get("192.0.2.1", 4500, 4) ──> | 02 00 | 11 94 | c0 00 02 01 | 00 x8 |   (sockaddr_in, sockaddr.ts)
 *   text(sockaddr_in from the kernel) ──> "192.0.2.1"   (IPv6: RFC 5952 text, as formatIp)
 */

const MAX_ENTRIES = 1024;

/** The 4 or 16 bytes of an IPv4/IPv6 literal, or undefined. */
export function parseIpLiteral(s: string): Uint8Array | undefined {
  return tryParseIp(s)?.bytes;
}

export class SockaddrNames {
  private lastAddress = '';
  private lastPort = -1;
  private lastName: Uint8Array | undefined;
  private readonly out = new Map<string, Map<number, Uint8Array>>();
  private outSize = 0;
  private readonly v4 = new Map<number, string>();
  private readonly v6 = new Map<string, string>();

  /** The sockaddr for (address, port) in `family`, or undefined when the address is not of that family or the port is out of range. */
  get(address: string, port: number, family: 4 | 6): Uint8Array | undefined {
    const size = family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE;
    const last = this.lastName;
    if (port === this.lastPort && address === this.lastAddress && last) return last.length === size ? last : undefined;
    let byPort = this.out.get(address);
    let name = byPort?.get(port);
    if (name && name.length !== size) return undefined;
    if (!name) {
      if (!Number.isInteger(port) || port < 1 || port > 0xffff) return undefined;
      const ip = tryParseIp(address);
      if (!ip || ip.family !== family) return undefined;
      const buf = new Uint8Array(size);
      encodeSockaddr(buf, family, ip.bytes, port);
      name = buf;
      if (this.outSize >= MAX_ENTRIES) {
        this.out.clear();
        this.outSize = 0;
        byPort = undefined;
      }
      if (!byPort) {
        byPort = new Map();
        this.out.set(address, byPort);
      }
      byPort.set(port, name);
      this.outSize++;
    }
    this.lastAddress = address;
    this.lastPort = port;
    this.lastName = name;
    return name;
  }

  /** The address text of a sockaddr_in/in6 written by the kernel, or undefined for another family. */
  text(sa: Uint8Array): string | undefined {
    const family = (sa[0] ?? 0) | ((sa[1] ?? 0) << 8);
    if (family === AF_INET) {
      const key = (((sa[4] ?? 0) << 24) | ((sa[5] ?? 0) << 16) | ((sa[6] ?? 0) << 8) | (sa[7] ?? 0)) >>> 0;
      let s = this.v4.get(key);
      if (s === undefined) {
        s = `${sa[4]}.${sa[5]}.${sa[6]}.${sa[7]}`;
        if (this.v4.size >= MAX_ENTRIES) this.v4.clear();
        this.v4.set(key, s);
      }
      return s;
    }
    if (family === AF_INET6 && sa.length >= SOCKADDR_IN6_SIZE) {
      const bytes = sa.subarray(8, 24);
      let key = '';
      for (let i = 0; i < 16; i++) key += String.fromCharCode(bytes[i] ?? 0);
      let s = this.v6.get(key);
      if (s === undefined) {
        s = formatIp(bytes.slice());
        if (this.v6.size >= MAX_ENTRIES) this.v6.clear();
        this.v6.set(key, s);
      }
      return s;
    }
    return undefined;
  }
}
