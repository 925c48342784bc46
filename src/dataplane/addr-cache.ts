import { type IpAddr, tryParseIp } from '../util/ip-addr.js';

/** Entries kept before the cache starts over (a gateway sees few peer addresses at a time). */
const ADDR_CACHE_MAX = 256;

/**
 * Parsed IP addresses by their text, for the per-packet paths that get an address as text
 * (the UDP rim's source address, IKE's local address): one parse per distinct address.
 * Bounded: when full it is cleared, so an attacker spraying source addresses costs a
 * parse each, never memory.
 */
export class AddrCache {
  private readonly map = new Map<string, IpAddr | undefined>();

  /** The address `s` names, or undefined when it is not an IP literal. */
  parse(s: string): IpAddr | undefined {
    if (this.map.has(s)) return this.map.get(s);
    const a = tryParseIp(s);
    if (this.map.size >= ADDR_CACHE_MAX) this.map.clear();
    this.map.set(s, a);
    return a;
  }
}
