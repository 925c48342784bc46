/**
 * Per-SA state of the data plane (dataplane.ts): the ESP engine and cached path of an
 * outbound SA, the ESP engine and rebinding/policy state of an inbound SA, and the index
 * that finds the inbound SA of an SPI when the datagram's destination is unknown.
 */
import type { EspSa } from '../esp/esp-sa.js';
import type { Encapsulation, EncapType, SaConfig } from '../sad/sa-config.js';
import { type SadView, type SaEntry, usableSa } from '../sad/sa-entry.js';
import type { IpAddr } from '../util/ip-addr.js';
import { type Listener, sameBytes } from './listener.js';
import type { Mapping } from './nat-keepalives.js';

export interface OutState {
  readonly entry: SaEntry;
  readonly esp: EspSa;
  /** the entry's dst/encap objects when the fields below were computed (the SAD replaces them on a move) */
  dstRef: IpAddr | undefined;
  encapRef: Encapsulation | undefined;
  framing: EncapType;
  prefixLen: number;
  listener: Listener | undefined;
  dstText: string;
  dport: number;
  mapping: Mapping | undefined;
}

export interface InState {
  readonly entry: SaEntry;
  readonly esp: EspSa;
  /** the peer address when first seen (policies keep the endpoints they were installed with) */
  readonly firstSrc: IpAddr;
  /** highest sequence number accepted so far (hi/lo 32 bits; hi -1 before the first): only a newer packet may move the SA (RFC 7296 §2.23) */
  maxSeqHi: number;
  maxSeqLo: number;
  policyMismatch: number;
  badPacket: number;
}

/** Same keys and ESP parameters: an EspSa built from `a` can keep serving `b`. */
export function sameCrypto(a: SaConfig, b: SaConfig | undefined): boolean {
  return (
    b !== undefined &&
    a.spi === b.spi &&
    a.mode === b.mode &&
    a.esn === b.esn &&
    a.replayWindow === b.replayWindow &&
    a.tfcPadTo === b.tfcPadTo &&
    a.encryption.algorithm === b.encryption.algorithm &&
    a.integrity.algorithm === b.integrity.algorithm &&
    sameBytes(a.encryption.key, b.encryption.key) &&
    sameBytes(a.integrity.key, b.integrity.key)
  );
}

export function hexSpi(spi: number): string {
  return spi.toString(16).padStart(8, '0');
}

export const AMBIGUOUS = Symbol('ambiguous');

/** SPI -> SAs, and this host's addresses: for inbound lookups whose destination is unknown. */
export class InboundIndex {
  private readonly bySpi = new Map<number, SaEntry[]>();

  constructor(private readonly localAddrs: IpAddr[]) {}

  /** Adds a local address (a listener bound to a specific address counts as local). */
  addLocal(a: IpAddr): void {
    if (!this.isLocal(a)) this.localAddrs.push(a);
  }

  /** One of this host's addresses (options.localAddresses and the bound listeners); a bound arrow, passable as is. */
  readonly isLocal = (a: IpAddr): boolean => {
    for (const x of this.localAddrs) if (sameBytes(x.bytes, a.bytes)) return true;
    return false;
  };

  add(e: SaEntry): void {
    const l = this.bySpi.get(e.spi);
    if (!l) this.bySpi.set(e.spi, [e]);
    else if (!l.includes(e)) l.push(e);
  }

  remove(e: SaEntry): void {
    const l = this.bySpi.get(e.spi);
    if (!l) return;
    const i = l.indexOf(e);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) this.bySpi.delete(e.spi);
  }

  /**
   * The inbound SA for an SPI (RFC 4301 §4.4.2: by destination and SPI). When the
   * destination is unknown (wildcard listener, raw IPv6): try each local address; failing
   * that, the one SA with this SPI and family that could be inbound here (UDP: encapsulated
   * with our port as its NAT-T dport; its source not ours), preferring one whose source is
   * the sender. Several left: AMBIGUOUS.
   */
  find(
    sad: SadView,
    spi: number,
    dst: Uint8Array | undefined,
    family: 4 | 6,
    l: Listener | undefined,
    remoteAddress: string | undefined,
  ): SaEntry | undefined | typeof AMBIGUOUS {
    if (dst) return sad.lookupInbound(dst, spi);
    for (const a of this.localAddrs) {
      if (a.family !== family) continue;
      const e = sad.lookupInbound(a.bytes, spi);
      if (e) return e;
    }
    const list = this.bySpi.get(spi);
    if (!list) return undefined;
    let found: SaEntry | undefined;
    let n = 0;
    let fromSender: SaEntry | undefined;
    let nSender = 0;
    for (const e of list) {
      if (!usableSa(e) || e.dst.family !== family || this.isLocal(e.src)) continue;
      if (l && (e.encap.type === 'none' || e.encap.dport !== l.port)) continue;
      found = e;
      n++;
      if (remoteAddress !== undefined && e.src.text === remoteAddress) {
        fromSender = e;
        nSender++;
      }
    }
    if (n <= 1) return found;
    return nSender === 1 ? fromSender : AMBIGUOUS;
  }
}
