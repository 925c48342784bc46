/**
 * `esprit pcap encrypt` core, sans-IO: plaintext IP packets + one SA in, outer
 * packets (IP + [UDP + framing] + ESP, RFC 4303 §3.1, RFC 3948 §2.1) out.
 *
 *   tunnel:    outer IP(SA src -> SA dst) [UDP] ESP( inner IP packet, NH 4/41 )
 *   transport: IP(SA src -> SA dst, the packet's TTL/TOS) [UDP] ESP( upper layer, NH = protocol )
 *
 * Transport mode re-emits only the base IP header: IPv6 extension headers of the
 * plaintext packet are not carried over.
 */
import type { DropReason, SealResult } from '../esp/types.js';
import type { SaConfig } from '../sad/sa-config.js';
import { frameEsp } from '../udpencap/framing.js';
import { WireError } from '../util/errors.js';
import { buildIpPacket, decodeIpPacket } from '../wire/ip/ip-packet.js';
import { buildUdp } from '../wire/ip/udp.js';
import type { CapturePacket } from '../wire/pcap/capture-packet.js';
import { linkPayload } from '../wire/pcap/link-layer.js';
import type { PcapRecord } from '../wire/pcap/pcap-file.js';

/** What the capture tools need from an outbound ESP SA (the ESP engine's EspSa). */
export interface OutboundSa {
  seal(nextHeader: number, payload: Uint8Array, out: Uint8Array): SealResult;
  maxSealLength(payloadLen: number): number;
}

export type EncryptSkip = 'non-ip' | 'malformed' | 'fragment' | 'family-mismatch';

export interface EncryptSummary {
  packets: number;
  encrypted: number;
  readonly skipped: Partial<Record<EncryptSkip, number>>;
  readonly dropped: Partial<Record<DropReason, number>>;
}

const IPPROTO_ESP = 50;
const IPPROTO_UDP = 17;

function bump<K extends string>(m: Partial<Record<K, number>>, k: K): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** Wrap one ESP packet per the SA's encapsulation into an outer IP packet. */
export function outerPacket(
  sa: SaConfig,
  esp: Uint8Array,
  hdr: { ttl: number; tos: number; id: number; df: boolean },
): Uint8Array {
  const src = sa.src.bytes;
  const dst = sa.dst.bytes;
  const e = sa.encapsulation;
  const { ttl, tos, id, df } = hdr;
  if (e.type === 'none') return buildIpPacket({ src, dst, protocol: IPPROTO_ESP, payload: esp, ttl, tos, id, df });
  const udp = buildUdp({
    src,
    dst,
    sport: e.sport,
    dport: e.dport,
    payload: frameEsp(e.type, esp),
    // RFC 3948 §2.1: the UDP checksum is sent as 0 over IPv4; IPv6 needs one (RFC 8200 §8.1)
    checksum: sa.src.family === 4 ? 'zero' : 'compute',
  });
  return buildIpPacket({ src, dst, protocol: IPPROTO_UDP, payload: udp, ttl, tos, id, df });
}

/** Encrypt every IP packet of a capture with one outbound SA. Never throws on packet contents. */
export function encryptCapture(
  packets: readonly CapturePacket[],
  sa: SaConfig,
  engine: OutboundSa,
): { records: PcapRecord[]; summary: EncryptSummary } {
  const summary: EncryptSummary = { packets: 0, encrypted: 0, skipped: {}, dropped: {} };
  const records: PcapRecord[] = [];
  for (const cp of packets) {
    summary.packets++;
    let ipBytes: Uint8Array;
    let ip: ReturnType<typeof decodeIpPacket>;
    try {
      const link = linkPayload(cp.linkType, cp.data);
      if (link.kind !== 'ip') {
        bump(summary.skipped, 'non-ip');
        continue;
      }
      ip = decodeIpPacket(link.packet, 'ip');
      ipBytes = link.packet.subarray(0, ip.totalLen);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      bump(summary.skipped, 'malformed');
      continue;
    }
    let nextHeader: number;
    let payload: Uint8Array;
    if (sa.mode === 'tunnel') {
      nextHeader = ip.version === 4 ? 4 : 41;
      payload = ipBytes;
    } else {
      if (ip.version !== sa.src.family) {
        bump(summary.skipped, 'family-mismatch');
        continue;
      }
      if (ip.isFragment) {
        bump(summary.skipped, 'fragment');
        continue;
      }
      nextHeader = ip.protocol;
      payload = ipBytes.subarray(ip.headerLen);
    }
    const out = new Uint8Array(engine.maxSealLength(payload.length));
    const r = engine.seal(nextHeader, payload, out);
    if (!r.ok) {
      bump(summary.dropped, r.reason);
      continue;
    }
    const esp = out.subarray(0, r.length);
    // transport mode keeps the packet's own IPv4 identification, DF, TTL and TOS (RFC 4303 §3.1.1)
    const v4 = ip.version === 4;
    const hdr =
      sa.mode === 'tunnel'
        ? { ttl: 64, tos: ip.tos, id: Number(r.seq & 0xffffn), df: false }
        : {
            ttl: ip.ttl,
            tos: ip.tos,
            id: v4 ? ((ipBytes[4] as number) << 8) | (ipBytes[5] as number) : 0,
            df: v4 && ((ipBytes[6] as number) & 0x40) !== 0,
          };
    records.push({ timestampNs: cp.timestampNs, data: outerPacket(sa, esp, hdr) });
    summary.encrypted++;
  }
  return { records, summary };
}
