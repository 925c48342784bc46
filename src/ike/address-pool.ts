/**
 * Sans-IO virtual IP pools (RFC 7296 §3.15 INTERNAL_IP4/6_ADDRESS assignment), modelled
 * on strongSwan's mem_pool (src/libcharon/attributes/mem_pool.c):
 * - `a.b.c.d/n` (IPv4 or IPv6) with more than 2 addresses: if the base is the network ID
 *   the network ID is skipped, otherwise the pool starts at the given base; the last
 *   address (broadcast for IPv4) is always skipped. /31 (/127) based on the network ID
 *   serves both addresses, otherwise only the second; /32 (/128) serves that address.
 * - `a-b`: every address from a to b inclusive, nothing skipped.
 * Leases are per identity: a released lease stays "offline" and the same identity gets
 * it back; offline leases are only handed to others when no never-used address remains
 * (oldest released first). Addresses are offsets from the pool base as bigint, so large
 * IPv6 pools are never enumerated.
 */
import { ConfigError } from '../util/errors.js';
import {
  formatIp,
  type IpFamily,
  ipFromBigInt,
  ipToBigInt,
  parseIp,
  parsePrefix,
  tryParseIp,
} from '../util/ip-addr.js';

interface Lease {
  identity: string;
  online: boolean;
  /** IKE SAs holding it: a reauthentication's new IKE SA asks for the address the old one
   * still holds; the lease goes offline only when the last one releases it */
  holders: number;
}

export class AddressPool {
  readonly family: IpFamily;
  /** First assignable address. */
  private readonly base: bigint;
  /** Number of assignable addresses. */
  readonly size: bigint;
  /** Offsets below this were handed out at least once. */
  private nextUnused = 0n;
  private readonly leases = new Map<bigint, Lease>();
  /** Offline offsets in release order (oldest first). */
  private readonly offline: bigint[] = [];

  private constructor(family: IpFamily, base: bigint, size: bigint) {
    this.family = family;
    this.base = base;
    this.size = size;
  }

  /** Parses a pool `addrs` value: `10.99.100.0/24`, `fd00::/120` or `10.0.0.10-10.0.0.20`. */
  static parse(value: string, path = 'addrs'): AddressPool {
    const v = value.trim();
    const dash = v.indexOf('-');
    if (dash >= 0) {
      const from = parseIp(v.slice(0, dash).trim(), path);
      const to = parseIp(v.slice(dash + 1).trim(), path);
      if (from.family !== to.family) throw new ConfigError(path, `range mixes address families: ${v}`);
      const a = ipToBigInt(from.bytes);
      const b = ipToBigInt(to.bytes);
      if (a > b) throw new ConfigError(path, `range start after end: ${v}`);
      return new AddressPool(from.family, a, b - a + 1n);
    }
    if (!v.includes('/')) throw new ConfigError(path, `expected CIDR or range, got ${JSON.stringify(v)}`);
    const p = parsePrefix(v, path);
    const bits = BigInt((p.addr.family === 4 ? 32 : 128) - p.len);
    const total = 1n << bits;
    const addr = ipToBigInt(p.addr.bytes);
    const network = (addr >> bits) << bits;
    const diff = addr - network;
    if (total > 2n) {
      // mem_pool.c: skip the network ID (or start at the given base), skip the last address.
      const start = diff === 0n ? network + 1n : addr;
      const size = network + total - 1n - start;
      return new AddressPool(p.addr.family, start, size);
    }
    if (total === 2n && diff === 0n) return new AddressPool(p.addr.family, network, 2n);
    return new AddressPool(p.addr.family, addr, total - diff);
  }

  private offsetOf(text: string): bigint | undefined {
    const a = tryParseIp(text);
    if (a === undefined || a.family !== this.family) return undefined;
    const off = ipToBigInt(a.bytes) - this.base;
    return off >= 0n && off < this.size ? off : undefined;
  }

  private addr(off: bigint): string {
    return formatIp(ipFromBigInt(this.base + off, this.family));
  }

  private take(off: bigint, identity: string): string {
    const prev = this.leases.get(off);
    if (prev?.online && prev.identity === identity) {
      prev.holders++;
      return this.addr(off);
    }
    if (prev && !prev.online) this.offline.splice(this.offline.indexOf(off), 1);
    this.leases.set(off, { identity, online: true, holders: 1 });
    return this.addr(off);
  }

  /** True when `text` is inside the assignable range. */
  contains(text: string): boolean {
    return this.offsetOf(text) !== undefined;
  }

  /**
   * Leases an address to `identity`; `requested` (from the peer's CP request) is honoured
   * when free or already leased to the same identity. Returns undefined when exhausted
   * (caller answers INTERNAL_ADDRESS_FAILURE, RFC 7296 §3.10.1).
   */
  acquire(identity: string, requested?: string): string | undefined {
    const reqOff = requested === undefined ? undefined : this.offsetOf(requested);
    if (reqOff !== undefined) {
      const l = this.leases.get(reqOff);
      if (l === undefined || l.identity === identity) return this.take(reqOff, identity);
    }
    // The identity's own offline lease comes back first.
    const own = this.offline.find((o) => this.leases.get(o)?.identity === identity);
    if (own !== undefined) return this.take(own, identity);
    // Never-used addresses next (skip ones leased out of order via `requested`).
    while (this.nextUnused < this.size) {
      const off = this.nextUnused++;
      if (!this.leases.has(off)) return this.take(off, identity);
    }
    // Then reassign the oldest offline lease of another identity.
    const old = this.offline[0];
    if (old !== undefined) return this.take(old, identity);
    return undefined;
  }

  /** Marks the identity's lease offline; false when it holds no online lease for `address`. */
  release(identity: string, address: string): boolean {
    const off = this.offsetOf(address);
    if (off === undefined) return false;
    const l = this.leases.get(off);
    if (!l || l.identity !== identity || !l.online) return false;
    if (--l.holders > 0) return true;
    l.online = false;
    this.offline.push(off);
    return true;
  }

  get online(): number {
    return this.leases.size - this.offline.length;
  }

  get offlineCount(): number {
    return this.offline.length;
  }
}
