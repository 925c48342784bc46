import { AF_INET, AF_INET6 } from './libc.js';

/**
 * struct sockaddr_in / sockaddr_in6 as the kernel reads and writes them (linux/in.h, linux/in6.h):
 *
 *   sockaddr_in  (16): | family u16 LE | port u16 BE | addr[4]  | zero[8]                    |
 *   sockaddr_in6 (28): | family u16 LE | port u16 BE | flowinfo u32 | addr[16] | scope_id u32 |
 *
 * The family is in host order (little-endian on the platforms koffi ships for Linux),
 * the port in network order.
 */

export const SOCKADDR_IN_SIZE = 16;
export const SOCKADDR_IN6_SIZE = 28;

/** Size of the sockaddr for an address family (4 or 6). */
export function sockaddrSize(family: 4 | 6): number {
  return family === 4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE;
}

/**
 * Write a sockaddr for `addr` (4 or 16 bytes) and `port` into `out` (at least sockaddrSize bytes).
 * Returns the sockaddr length, or 0 when the address length does not fit the family.
 */
export function encodeSockaddr(out: Uint8Array, family: 4 | 6, addr: Uint8Array, port: number): number {
  if (family === 4) {
    if (addr.length !== 4 || out.length < SOCKADDR_IN_SIZE) return 0;
    out.fill(0, 0, SOCKADDR_IN_SIZE);
    out[0] = AF_INET & 0xff;
    out[1] = AF_INET >> 8;
    out[2] = (port >> 8) & 0xff;
    out[3] = port & 0xff;
    out.set(addr, 4);
    return SOCKADDR_IN_SIZE;
  }
  if (addr.length !== 16 || out.length < SOCKADDR_IN6_SIZE) return 0;
  out.fill(0, 0, SOCKADDR_IN6_SIZE);
  out[0] = AF_INET6 & 0xff;
  out[1] = AF_INET6 >> 8;
  out[2] = (port >> 8) & 0xff;
  out[3] = port & 0xff;
  out.set(addr, 8);
  return SOCKADDR_IN6_SIZE;
}

/** The address bytes inside a sockaddr written by the kernel (a view, no copy), or undefined for another family. */
export function sockaddrAddress(sa: Uint8Array): Uint8Array | undefined {
  const family = (sa[0] ?? 0) | ((sa[1] ?? 0) << 8);
  if (family === AF_INET && sa.length >= SOCKADDR_IN_SIZE) return sa.subarray(4, 8);
  if (family === AF_INET6 && sa.length >= SOCKADDR_IN6_SIZE) return sa.subarray(8, 24);
  return undefined;
}

/** The port inside a sockaddr_in/in6. */
export function sockaddrPort(sa: Uint8Array): number {
  return ((sa[2] ?? 0) << 8) | (sa[3] ?? 0);
}
