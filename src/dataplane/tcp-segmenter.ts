/**
 * The TUN read side of the offloads: with TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
 * the kernel hands over TCP segments of up to 64 KB (TSO) and packets whose transport
 * checksum is left partial, each behind a virtio_net_hdr (layout in tcp-coalescer.ts).
 * Before ESP, each frame becomes ordinary packets: a partial checksum is completed, and a
 * GSO frame is cut into `gso_size` segments the way the kernel's tcp_gso_segment does:
 *
 *   | IP | TCP (seq S, flags F) | payload 0 .. n-1 |   gso_size G
 *     -> | IP (len, id+k, csum) | TCP (seq S+k*G, F without FIN/PSH except last,
 *          CWR only on the first, full checksum) | payload k*G .. |   for k = 0, 1, ...
 *
 * The checksum field of a partial packet holds the pseudo-header sum (CHECKSUM_PARTIAL);
 * completing it is summing from csum_start to the end and storing the complement at
 * csum_start + csum_offset (RFC 1071; linux/skbuff.h "CHECKSUM_PARTIAL"). Sans-IO: bytes
 * in, packets out through `emit` (valid only during the call).
 */

import { readU16 } from '../util/be-bytes.js';
import { OnesSum, sum16 } from './ones-sum.js';
import { VNET_HDR_LEN } from './tcp-coalescer.js';

const F_NEEDS_CSUM = 1;
const GSO_NONE = 0;
const GSO_TCPV4 = 1;
const GSO_TCPV6 = 4;
const IPPROTO_TCP = 6;
const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

export interface TcpSegmenterCounters {
  frames: number;
  /** GSO frames cut into segments */
  gsoFrames: number;
  /** packets emitted */
  packets: number;
  /** partial checksums completed */
  checksums: number;
  /** frames dropped: header or lengths inconsistent, or an unknown gso_type */
  malformed: number;
}

function le16(b: Uint8Array, at: number): number {
  return (b[at] as number) | ((b[at + 1] as number) << 8);
}

export class TcpSegmenter {
  readonly counters: TcpSegmenterCounters = { frames: 0, gsoFrames: 0, packets: 0, checksums: 0, malformed: 0 };
  private scratch = new Uint8Array(2048);

  /** @param cs the checksum loop (native when the helper is loaded; ones-sum.ts) */
  constructor(private readonly cs: OnesSum = new OnesSum()) {}

  /**
   * One frame read from the TUN (virtio_net_hdr + packet). The packet bytes may be changed
   * in place (checksum completion). Returns the number of packets emitted.
   */
  split(frame: Uint8Array, emit: (pkt: Uint8Array) => void): number {
    this.counters.frames++;
    if (frame.length <= VNET_HDR_LEN) return this.bad();
    const flags = frame[0] as number;
    const gso = (frame[1] as number) & 0x7f;
    const pkt = frame.subarray(VNET_HDR_LEN);
    if (gso === GSO_NONE) {
      if (flags & F_NEEDS_CSUM) {
        const start = le16(frame, 6);
        const off = le16(frame, 8);
        if (start + off + 2 > pkt.length) return this.bad();
        this.complete(pkt, start, start + off);
        this.counters.checksums++;
      }
      this.counters.packets++;
      emit(pkt);
      return 1;
    }
    if (gso !== GSO_TCPV4 && gso !== GSO_TCPV6) return this.bad();
    const mss = le16(frame, 4);
    const v6 = gso === GSO_TCPV6;
    // the headers as the packet has them (hdr_len from the kernel is a hint only)
    let ipHl: number;
    if (v6) {
      if (pkt.length < 60 || (pkt[0] as number) >> 4 !== 6 || pkt[6] !== IPPROTO_TCP) return this.bad();
      ipHl = 40;
    } else {
      if (pkt.length < 40 || (pkt[0] as number) >> 4 !== 4 || pkt[9] !== IPPROTO_TCP) return this.bad();
      ipHl = ((pkt[0] as number) & 0x0f) * 4;
      if (ipHl < 20) return this.bad();
    }
    if (pkt.length < ipHl + 20) return this.bad();
    const tcpHl = ((pkt[ipHl + 12] as number) >> 4) * 4;
    const hl = ipHl + tcpHl;
    if (tcpHl < 20 || pkt.length <= hl || mss === 0) return this.bad();
    const payload = pkt.length - hl;
    if (this.scratch.length < hl + mss) this.scratch = new Uint8Array(hl + mss);
    const s = this.scratch;
    const seq0 = ((readU16(pkt, ipHl + 4) << 16) | readU16(pkt, ipHl + 6)) >>> 0;
    const id0 = v6 ? 0 : readU16(pkt, 4);
    const tcpFlags = pkt[ipHl + 13] as number;
    this.counters.gsoFrames++;
    let n = 0;
    for (let at = 0; at < payload; at += mss) {
      const len = Math.min(mss, payload - at);
      const last = at + len >= payload;
      s.set(pkt.subarray(0, hl), 0);
      s.set(pkt.subarray(hl + at, hl + at + len), hl);
      const total = hl + len;
      if (v6) {
        s[4] = (total - 40) >> 8;
        s[5] = (total - 40) & 0xff;
      } else {
        s[2] = total >> 8;
        s[3] = total & 0xff;
        const id = (id0 + n) & 0xffff;
        s[4] = id >> 8;
        s[5] = id & 0xff;
        s[10] = 0;
        s[11] = 0;
        const c = ~sum16(s, 0, ipHl, 0) & 0xffff;
        s[10] = c >> 8;
        s[11] = c & 0xff;
      }
      const seq = (seq0 + at) >>> 0;
      s[ipHl + 4] = seq >>> 24;
      s[ipHl + 5] = (seq >>> 16) & 0xff;
      s[ipHl + 6] = (seq >>> 8) & 0xff;
      s[ipHl + 7] = seq & 0xff;
      let f = tcpFlags;
      if (!last) f &= ~(TCP_FIN | TCP_PSH);
      if (n > 0) f &= ~TCP_CWR;
      s[ipHl + 13] = f;
      // RFC 793 §3.1: checksum over the pseudo-header and the whole segment (field zero)
      s[ipHl + 16] = 0;
      s[ipHl + 17] = 0;
      const tcpLen = total - ipHl;
      let sum = v6 ? sum16(s, 8, 40, IPPROTO_TCP + tcpLen) : sum16(s, 12, 20, IPPROTO_TCP + tcpLen);
      sum = this.cs.sum(s, ipHl, total, sum);
      const c = ~sum & 0xffff;
      s[ipHl + 16] = c >> 8;
      s[ipHl + 17] = c & 0xff;
      n++;
      this.counters.packets++;
      emit(s.subarray(0, total));
    }
    return n;
  }

  /** CHECKSUM_PARTIAL: the field at `at` holds the pseudo-header sum; complete it over pkt[start..]. */
  private complete(pkt: Uint8Array, start: number, at: number): void {
    // a result of 0 goes out as 0xffff (the same in one's complement; 0 means "no checksum"
    // for UDP over IPv4, RFC 768, and is invalid over IPv6, RFC 8200 §8.1), as the kernel's
    // skb_checksum_help writes CSUM_MANGLED_0
    const c = ~this.cs.sum(pkt, start, pkt.length, 0) & 0xffff || 0xffff;
    pkt[at] = c >> 8;
    pkt[at + 1] = c & 0xff;
  }

  private bad(): 0 {
    this.counters.malformed++;
    return 0;
  }
}
