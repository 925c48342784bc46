/**
 * What the Sad (sad.ts) hands out: SAD entries (RFC 4301 §4.4.2.1), the endpoints that name
 * their peers, and the two reports that carry entries out of it, expire events and NAT
 * mapping changes. docs/sad-spd.md §1 states the identity and the states.
 */

import type { IpAddr } from '../util/ip-addr.js';
import type { Encapsulation, Mode, SaConfig } from './sa-config.js';
import type { ExpireReason, SaCurrent, SaLifetime } from './sa-lifetime.js';

export type SaState = 'larval' | 'mature' | 'dying' | 'dead';
export type SaType = 'esp';

/** An address and UDP port (the port is 0 when the SA is not UDP-encapsulated). */
export interface Endpoint {
  readonly addr: IpAddr;
  readonly port: number;
}

/**
 * One SAD entry. Entries are live views owned by the Sad: read them, never mutate them.
 * `src`/`dst`/`encap` always agree with `cfg` once the SA is mature.
 */
export interface SaEntry {
  /** creation order; dump order and the last tie-breaker of lookupOutbound */
  readonly id: number;
  readonly satype: SaType;
  readonly state: SaState;
  readonly spi: number;
  readonly src: IpAddr;
  readonly dst: IpAddr;
  /** sadb_x_sa2_reqid (u32, 0 = none) */
  readonly reqid: number;
  /** 'any' for a larval SA requested without SA2 (Linux mode 0) */
  readonly mode: Mode | 'any';
  readonly replayWindow: number;
  /** sadb_sa_flags */
  readonly flags: number;
  /** client that did GETSPI; undefined for SAs created by ADD */
  readonly owner: number | undefined;
  /** sadb_msg_seq of the GETSPI or ADD */
  readonly seq: number;
  readonly encap: Encapsulation;
  /** undefined while larval */
  readonly cfg: SaConfig | undefined;
  readonly lifetime: SaLifetime;
  readonly current: Readonly<SaCurrent>;
  /** soft expiry already reported */
  readonly softExpired: boolean;
  /** last NAT mapping change applied by updateMapping, if any */
  readonly mappedMs: number | undefined;
}

export type SadEvent = {
  readonly kind: 'expire';
  readonly which: 'soft' | 'hard';
  readonly reason: ExpireReason;
  readonly entry: SaEntry;
};

export interface MappingChange {
  /** the inbound SA whose peer moved */
  readonly sa: SaEntry;
  readonly old: Endpoint;
  readonly new: Endpoint;
  /** outbound SAs toward the old peer endpoint, already moved to the new one */
  readonly followers: readonly { readonly entry: SaEntry; readonly old: Endpoint }[];
  /** outbound SAs that could not move: an SA with the same (dst, dport, SPI) already exists there */
  readonly conflicts: readonly SaEntry[];
}

/** An outbound lookup (Sad.lookupOutbound). */
export interface OutboundQuery {
  readonly src: IpAddr | Uint8Array;
  readonly dst: IpAddr | Uint8Array;
  /** when non-zero, the SA must carry this reqid */
  readonly reqid?: number;
  /** when given, the SA's NAT-T destination port (the peer's port) must equal it */
  readonly dport?: number;
}

/**
 * What the data path reads from a SAD: the Sad itself, or a SadReplica (sad-replica.ts) in a
 * data-plane worker thread that only ever sees copies of the entries.
 */
export interface SadView {
  lookupInbound(dst: IpAddr | Uint8Array, spi: number): SaEntry | undefined;
  lookupOutbound(q: OutboundQuery): SaEntry | undefined;
  /** the live entry with this id (SaEntry.id), if any */
  getById(id: number): SaEntry | undefined;
  dump(): SaEntry[];
}

/** An address as a map key (its bytes as a string); src key + dst key names an SA pair. */
export function addrKey(a: IpAddr | Uint8Array): string {
  const b = a instanceof Uint8Array ? a : a.bytes;
  return String.fromCharCode(...b);
}

/** Mature and dying SAs carry traffic; larval ones have no keys, dead ones are gone. */
export function usableSa(e: SaEntry): boolean {
  return e.state === 'mature' || e.state === 'dying';
}

/**
 * Outbound preference between two usable SAs of one pair: a mature one over a dying one,
 * then the most recently added, then the newest entry (linux xfrm_state_find: km.dying,
 * then curlft.add_time).
 */
export function betterOutbound(a: SaEntry, b: SaEntry): boolean {
  const ad = a.state === 'dying' ? 1 : 0;
  const bd = b.state === 'dying' ? 1 : 0;
  if (ad !== bd) return ad < bd;
  if (a.current.addtimeMs !== b.current.addtimeMs) return a.current.addtimeMs > b.current.addtimeMs;
  return a.id > b.id;
}
