/**
 * Userland GRO for the TUN write path: consecutive TCP segments of one flow, decapsulated
 * from one receive batch, are merged into one large packet written with a virtio_net_hdr
 * (TUN opened with IFF_VNET_HDR), so the kernel's IP and TCP receive path runs once per
 * merged packet instead of once per segment (the same idea as Linux GRO, tcp_gro_receive,
 * and wireguard-go's tun/offload_linux.go). Every other packet is written as it came, with
 * an all-zero header. Sans-IO: bytes in, frames out through `emit`.
 *
 *   struct virtio_net_hdr (10 bytes, little-endian on the hosts koffi ships for, linux/virtio_net.h)
 *    0 flags u8        VIRTIO_NET_HDR_F_NEEDS_CSUM (1): checksum from csum_start, at +csum_offset
 *    1 gso_type u8     NONE 0, TCPV4 1, TCPV6 4
 *    2 hdr_len u16     IP + TCP header bytes
 *    4 gso_size u16    payload bytes per segment (the MSS of the merged run)
 *    6 csum_start u16  offset of the TCP header
 *    8 csum_offset u16 16: the TCP checksum field in the TCP header
 *
 * A merged frame carries the first segment's IP and TCP headers with the lengths fixed, a
 * fresh IPv4 header checksum, PSH if the last segment had it, and in the TCP checksum field
 * the pseudo-header sum (RFC 793 §3.1 / RFC 8200 §8.1), as CHECKSUM_PARTIAL expects. Since
 * the kernel trusts a NEEDS_CSUM frame, each segment's own checksum is verified before it
 * may join a merge; one that fails is written alone (and the kernel drops it).
 *
 * Merge rules (a subset of tcp_gro_receive's): IPv4 without options and not fragmented, or
 * IPv6 without extension headers; flags ACK or ACK|PSH only; same addresses, ports, TOS/
 * traffic class and flow label, TTL/hop limit, DF, ack number, TCP header length and options;
 * sequence number contiguous; IPv4 IDs incrementing unless DF; every segment the size of the
 * first except the last (a shorter one, or one with PSH, ends the run); at most 65535 bytes.
 *
 * UDP runs the same way (as Linux udp_gro_receive_segment and wireguard-go's UDP GRO):
 * datagrams of one flow (addresses, ports, TOS/TTL/DF or class/flow label/hop limit) with a
 * verified, non-zero checksum, IPv4 IDs incrementing by one, all the size of the first but
 * the last (a shorter one ends the run), at most 64 per frame, become one frame with
 * gso_type UDP_L4 (5), csum_offset 6 and the UDP length of the whole run; the kernel's
 * __udp_gso_segment gives back the same datagrams. It needs no TUNSETOFFLOAD flag: a
 * TUN opened with IFF_VNET_HDR accepts UDP_L4 frames on write (virtio_net_hdr_to_skb).
 * A datagram that may not merge still ends its flow's run, so a flow keeps its order.
 */

import { readU16, readU32 } from '../util/be-bytes.js';
import { OnesSum, sum16 } from './ones-sum.js';

export const VNET_HDR_LEN = 10;
const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
const VIRTIO_NET_HDR_GSO_UDP_L4 = 5;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** datagrams per merged UDP frame (UDP GSO sends allow 64: gso-send-batch.ts) */
const MAX_UDP_SEGS = 64;
const TCP_ACK = 0x10;
const TCP_PSH = 0x08;
const MAX_FRAME = 65535;
const MAX_ITEMS = 1024;

interface Item {
  /** the segments (views valid until flush), first at segs[first] */
  first: number;
  /** the last segment (segments of an item are linked through nextSeg: other flows interleave) */
  last: number;
  count: number;
  v6: boolean;
  ipHl: number;
  tcpHl: number;
  mss: number;
  payload: number;
  nextSeq: number;
  lastId: number;
  psh: boolean;
  /** no further segment may join */
  closed: boolean;
  /** flow hash, for a quick reject */
  flow: number;
  /** a UDP item (datagrams of `mss` bytes of payload), else TCP */
  udp: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (a[i] !== b[i]) return false;
  return true;
}

export interface TcpCoalescerCounters {
  /** packets given to add() */
  packets: number;
  /** frames emitted */
  frames: number;
  /** segments that joined a merge (beyond the first of each merged frame) */
  merged: number;
  /** TCP segments kept alone because their checksum failed */
  badChecksum: number;
}

export class TcpCoalescer {
  readonly counters: TcpCoalescerCounters = { packets: 0, frames: 0, merged: 0, badChecksum: 0 };
  private readonly segs: Uint8Array[] = [];
  private readonly nextSeg: number[] = [];
  private readonly items: Item[] = [];
  private nItems = 0;
  private readonly frame = new Uint8Array(VNET_HDR_LEN + MAX_FRAME);

  /**
   * @param emit writes one frame (virtio_net_hdr + packet) to the TUN; the bytes are reused after it returns
   * @param cs the checksum loop (native when the helper is loaded; ones-sum.ts)
   */
  constructor(
    private readonly emit: (frame: Uint8Array) => void,
    private readonly cs: OnesSum = new OnesSum(),
  ) {}

  /** Packets waiting for flush(). */
  get pending(): number {
    return this.segs.length;
  }

  /** Queue one IP packet; it must stay unchanged until flush(). True when it joined an earlier segment. */
  add(pkt: Uint8Array): boolean {
    this.counters.packets++;
    if (this.nItems >= MAX_ITEMS || this.segs.length >= MAX_ITEMS) this.flush();
    const idx = this.segs.length;
    this.segs.push(pkt);
    this.nextSeg[idx] = -1;
    const len = pkt.length;
    const v = len >= 20 ? (pkt[0] as number) >> 4 : 0;
    let ipHl = 0;
    let proto = 0;
    if (v === 4) {
      // RFC 791: IHL 5 (no options), total length exact, MF clear, offset 0
      proto = pkt[9] as number;
      if (pkt[0] !== 0x45 || readU16(pkt, 2) !== len || (readU16(pkt, 6) & 0x3fff) !== 0) return this.single(idx);
      ipHl = 20;
    } else if (v === 6) {
      // RFC 8200: payload length exact, no extension headers
      proto = pkt[6] as number;
      if (len < 40 || readU16(pkt, 4) + 40 !== len) return this.single(idx);
      ipHl = 40;
    } else return this.single(idx);
    if (proto === IPPROTO_UDP) return this.addUdp(idx, pkt, v === 6, ipHl);
    if (proto !== IPPROTO_TCP) return this.single(idx);
    if (len < ipHl + 20) return this.single(idx);
    const t = ipHl;
    // a TCP packet that may not merge still closes its flow's item (order within the flow)
    const flow =
      (readU16(pkt, t) * 31 + readU16(pkt, t + 2)) ^
      (v === 4 ? readU32(pkt, 12) ^ readU32(pkt, 16) : readU32(pkt, 20) ^ readU32(pkt, 36));
    const tcpHl = ((pkt[t + 12] as number) >> 4) * 4;
    const flags = pkt[t + 13] as number;
    const payload = len - ipHl - tcpHl;
    if (tcpHl < 20 || payload <= 0 || (flags & ~TCP_PSH) !== TCP_ACK) return this.single(idx, flow, v === 6, ipHl);
    if (!this.checksumOk(pkt, v === 6, ipHl, len)) {
      this.counters.badChecksum++;
      return this.single(idx, flow, v === 6, ipHl);
    }
    const seq = readU32(pkt, t + 4);
    const psh = (flags & TCP_PSH) !== 0;
    // only the newest item of this flow may take it (keeps the flow's order)
    for (let i = this.nItems - 1; i >= 0; i--) {
      const it = this.items[i] as Item;
      if (it.flow !== flow || it.v6 !== (v === 6) || it.udp) continue;
      const head = this.segs[it.first] as Uint8Array;
      if (it.ipHl !== ipHl || !this.sameFlow(head, pkt, it.v6, t)) continue;
      if (
        !it.closed &&
        it.tcpHl === tcpHl &&
        seq === it.nextSeq &&
        payload <= it.mss &&
        ipHl + tcpHl + it.payload + payload <= MAX_FRAME &&
        this.sameHeaders(head, pkt, it.v6, t, tcpHl) &&
        (it.v6 || (head[6] as number) & 0x40 || readU16(pkt, 4) === ((it.lastId + 1) & 0xffff))
      ) {
        this.nextSeg[it.last] = idx;
        it.last = idx;
        it.count++;
        it.payload += payload;
        it.nextSeq = (seq + payload) >>> 0;
        it.lastId = v === 4 ? readU16(pkt, 4) : 0;
        it.psh = psh;
        if (psh || payload < it.mss) it.closed = true;
        this.counters.merged++;
        return true;
      }
      break;
    }
    const it = this.alone(idx, flow, v === 6, ipHl, false);
    it.tcpHl = tcpHl;
    it.mss = payload;
    it.payload = payload;
    it.nextSeq = (seq + payload) >>> 0;
    it.lastId = v === 4 ? readU16(pkt, 4) : 0;
    it.psh = psh;
    it.closed = psh;
    return false;
  }

  /**
   * A UDP datagram (rules below, as Linux udp_gro_receive_segment): joins the newest item of its flow when it continues
   * the run, else starts one.
   */
  private addUdp(idx: number, pkt: Uint8Array, v6: boolean, ipHl: number): boolean {
    const len = pkt.length;
    const t = ipHl;
    const payload = len - ipHl - 8;
    if (payload <= 0) return this.single(idx);
    const flow =
      (readU16(pkt, t) * 31 + readU16(pkt, t + 2)) ^
      (v6 ? readU32(pkt, 20) ^ readU32(pkt, 36) : readU32(pkt, 12) ^ readU32(pkt, 16));
    // RFC 768: length = header + data, exactly the IP payload; a zero checksum (IPv4: none
    // computed) is left alone, since a merged frame would go out with one computed. Either
    // way it is written alone and ends its flow's run (the flow's order is kept).
    if (readU16(pkt, t + 4) !== len - ipHl || readU16(pkt, t + 6) === 0) {
      this.alone(idx, flow, v6, ipHl, true);
      return false;
    }
    if (!this.checksumOk(pkt, v6, ipHl, len, IPPROTO_UDP)) {
      this.counters.badChecksum++;
      this.alone(idx, flow, v6, ipHl, true);
      return false;
    }
    const id = v6 ? 0 : readU16(pkt, 4);
    for (let i = this.nItems - 1; i >= 0; i--) {
      const it = this.items[i] as Item;
      if (it.flow !== flow || it.v6 !== v6 || !it.udp) continue;
      const head = this.segs[it.first] as Uint8Array;
      if (it.ipHl !== ipHl || !this.sameFlow(head, pkt, v6, t)) continue;
      if (
        !it.closed &&
        payload <= it.mss &&
        it.count < MAX_UDP_SEGS &&
        ipHl + 8 + it.payload + payload <= MAX_FRAME &&
        this.sameIpFields(head, pkt, v6) &&
        (v6 || id === ((it.lastId + 1) & 0xffff))
      ) {
        this.nextSeg[it.last] = idx;
        it.last = idx;
        it.count++;
        it.payload += payload;
        it.lastId = id;
        if (payload < it.mss) it.closed = true;
        this.counters.merged++;
        return true;
      }
      break;
    }
    const it = this.alone(idx, flow, v6, ipHl, true);
    it.closed = false;
    it.mss = payload;
    it.payload = payload;
    it.lastId = id;
    return false;
  }

  /** Emit every queued packet, merged where possible, in arrival order of their first segment. */
  flush(): void {
    const n = this.nItems;
    this.nItems = 0;
    try {
      for (let i = 0; i < n; i++) {
        const it = this.items[i] as Item;
        if (it.count === 1) this.emitPlain(this.segs[it.first] as Uint8Array);
        else this.emitMerged(it);
      }
    } finally {
      this.segs.length = 0;
      this.nextSeg.length = 0;
    }
  }

  /** A packet written alone; a TCP one (ipHl 20/40) still ends its flow's item. */
  private single(idx: number, flow = 0, v6 = false, ipHl = 0): false {
    // ipHl 0 (not TCP): never taken for a flow's item by add()
    this.alone(idx, flow, v6, ipHl, false);
    return false;
  }

  /** An item of one packet; closed: nothing may join it (add/addUdp reopen it as a run's start). */
  private alone(idx: number, flow: number, v6: boolean, ipHl: number, udp: boolean): Item {
    const it = this.item();
    it.first = idx;
    it.last = idx;
    it.count = 1;
    it.closed = true;
    it.flow = flow;
    it.v6 = v6;
    it.ipHl = ipHl;
    it.udp = udp;
    return it;
  }

  private item(): Item {
    let it = this.items[this.nItems];
    if (!it) {
      it = {
        first: 0,
        last: 0,
        count: 0,
        v6: false,
        ipHl: 0,
        tcpHl: 0,
        mss: 0,
        payload: 0,
        nextSeq: 0,
        lastId: 0,
        psh: false,
        closed: true,
        flow: -1,
        udp: false,
      };
      this.items.push(it);
    }
    this.nItems++;
    return it;
  }

  /** addresses and ports */
  private sameFlow(a: Uint8Array, b: Uint8Array, v6: boolean, t: number): boolean {
    return (v6 ? sameBytes(a, b, 8, 40) : sameBytes(a, b, 12, 20)) && sameBytes(a, b, t, t + 4);
  }

  /** IP fields that must match: TOS/TTL/DF, or version/class/flow label/hop limit */
  private sameIpFields(a: Uint8Array, b: Uint8Array, v6: boolean): boolean {
    if (v6) return sameBytes(a, b, 0, 4) && a[7] === b[7];
    return a[1] === b[1] && a[8] === b[8] && ((a[6] as number) & 0x40) === ((b[6] as number) & 0x40);
  }

  /** sameIpFields, the ack number and the TCP options */
  private sameHeaders(a: Uint8Array, b: Uint8Array, v6: boolean, t: number, tcpHl: number): boolean {
    return this.sameIpFields(a, b, v6) && sameBytes(a, b, t + 8, t + 12) && sameBytes(a, b, t + 20, t + tcpHl);
  }

  /** RFC 793 §3.1 / RFC 768: the checksum over pseudo-header + segment sums to 0xffff. */
  private checksumOk(p: Uint8Array, v6: boolean, ipHl: number, len: number, proto = IPPROTO_TCP): boolean {
    const l4Len = len - ipHl;
    let s = v6 ? sum16(p, 8, 40, proto + l4Len) : sum16(p, 12, 20, proto + l4Len);
    s = this.cs.sum(p, ipHl, len, s);
    return s === 0xffff;
  }

  private emitPlain(pkt: Uint8Array): void {
    const f = this.frame;
    f.fill(0, 0, VNET_HDR_LEN);
    f.set(pkt, VNET_HDR_LEN);
    this.counters.frames++;
    this.emit(f.subarray(0, VNET_HDR_LEN + pkt.length));
  }

  /**
   * A run as one GSO frame: the first packet's IP and transport headers, the lengths of the
   * whole run, a fresh IPv4 header checksum, and in the transport checksum field the
   * pseudo-header sum (RFC 793 §3.1, RFC 768, RFC 8200 §8.1), as CHECKSUM_PARTIAL expects.
   * TCP: PSH if the last segment had it, gso_type TCPV4/TCPV6, csum_offset 16. UDP: the UDP
   * length of the whole run, gso_type UDP_L4, csum_offset 6; the kernel cuts it into
   * `gso_size` datagrams with their own lengths and checksums (__udp_gso_segment), the same
   * bytes that came in.
   */
  private emitMerged(it: Item): void {
    const f = this.frame;
    const head = this.segs[it.first] as Uint8Array;
    const hl = it.ipHl + (it.udp ? 8 : it.tcpHl);
    const o = VNET_HDR_LEN;
    f.set(head.subarray(0, hl), o);
    let at = o + hl;
    for (let k = it.first; k >= 0; k = this.nextSeg[k] ?? -1) {
      const s = this.segs[k] as Uint8Array;
      f.set(s.subarray(hl), at);
      at += s.length - hl;
    }
    const total = at - o;
    const t = o + it.ipHl;
    const l4Len = total - it.ipHl;
    if (it.v6) {
      f[o + 4] = l4Len >> 8;
      f[o + 5] = l4Len & 0xff;
    } else {
      f[o + 2] = total >> 8;
      f[o + 3] = total & 0xff;
      f[o + 10] = 0;
      f[o + 11] = 0;
      const c = ~sum16(f, o, o + 20, 0) & 0xffff;
      f[o + 10] = c >> 8;
      f[o + 11] = c & 0xff;
    }
    const proto = it.udp ? IPPROTO_UDP : IPPROTO_TCP;
    const csumOffset = it.udp ? 6 : 16;
    if (it.udp) {
      f[t + 4] = l4Len >> 8;
      f[t + 5] = l4Len & 0xff;
    } else if (it.psh) f[t + 13] = (f[t + 13] as number) | TCP_PSH;
    // CHECKSUM_PARTIAL: the field holds the pseudo-header sum; the kernel adds the segment
    const ph = it.v6 ? sum16(f, o + 8, o + 40, proto + l4Len) : sum16(f, o + 12, o + 20, proto + l4Len);
    f[t + csumOffset] = ph >> 8;
    f[t + csumOffset + 1] = ph & 0xff;
    f[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    f[1] = it.udp ? VIRTIO_NET_HDR_GSO_UDP_L4 : it.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    f[2] = hl & 0xff;
    f[3] = hl >> 8;
    f[4] = it.mss & 0xff;
    f[5] = it.mss >> 8;
    f[6] = it.ipHl & 0xff;
    f[7] = it.ipHl >> 8;
    f[8] = csumOffset;
    f[9] = 0;
    this.counters.frames++;
    this.emit(f.subarray(0, o + total));
  }
}
