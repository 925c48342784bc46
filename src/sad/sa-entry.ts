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
