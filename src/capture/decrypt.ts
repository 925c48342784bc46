/**
 * `esprit pcap decrypt` core, sans-IO: captured packets + SAs in, decrypted inner
 * packets (for a LINKTYPE_RAW pcap) + a per-SA summary out.
 *
 * Per packet: link header -> IP -> ESP (locate-esp.ts) -> SA by (SPI, destination),
 * falling back to the SPI alone when exactly one SA has it (a NAT rewrote the
 * destination) -> open (replay window, ICV) -> tunnel: the inner packet; transport:
 * the rebuilt IP packet (rebuild-transport.ts).
 */
import type { DropReason, OpenResult } from '../esp/types.js';
import type { SaConfig } from '../sad/sa-config.js';
import { WireError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import { decodeIpPacket } from '../wire/ip/ip-packet.js';
import type { CapturePacket } from '../wire/pcap/capture-packet.js';
import { linkPayload } from '../wire/pcap/link-layer.js';
import type { PcapRecord } from '../wire/pcap/pcap-file.js';
import { type IgnoreReason, locateEsp } from './locate-esp.js';
import { rebuildTransport } from './rebuild-transport.js';

/** What the capture tools need from an inbound ESP SA (the ESP engine's EspSa). */
export interface InboundSa {
  open(esp: Uint8Array): OpenResult;
}

const NH_IPV4 = 4;
const NH_IPV6 = 41;

export interface SaSummary {
  readonly index: number;
  readonly spi: number;
  readonly dst: string;
  decrypted: number;
  readonly dropped: Partial<Record<DropReason, number>>;
}

export interface DecryptSummary {
  packets: number;
  decrypted: number;
  /** ESP whose SPI matches no SA (or several, ambiguously) */
  unmatched: number;
  readonly ignored: Partial<Record<IgnoreReason, number>>;
  readonly sas: SaSummary[];
}

export interface DecryptResult {
  readonly records: PcapRecord[];
  readonly summary: DecryptSummary;
}

function bump<K extends string>(m: Partial<Record<K, number>>, k: K): void {
  m[k] = (m[k] ?? 0) + 1;
}

function spiOf(esp: Uint8Array): number {
  return new DataView(esp.buffer, esp.byteOffset, 4).getUint32(0);
}

/** RFC 4301 §4.1: an inbound SA is looked up by SPI and destination. */
function findSa(sas: readonly SaConfig[], spi: number, dst: Uint8Array): number | undefined {
  const bySpi: number[] = [];
  for (let i = 0; i < sas.length; i++) {
    const s = sas[i] as SaConfig;
    if (s.spi !== spi) continue;
    if (bytesEqual(s.dst.bytes, dst)) return i;
    bySpi.push(i);
  }
  return bySpi.length === 1 ? bySpi[0] : undefined;
}

/**
 * Decrypt every ESP packet of a capture. `openSa` builds the inbound ESP engine for
 * an SA (each SA gets one, so its replay window spans the whole capture).
 * Never throws on packet contents: everything is counted in the summary.
 */
export function decryptCapture(
  packets: readonly CapturePacket[],
  sas: readonly SaConfig[],
  openSa: (cfg: SaConfig) => InboundSa,
): DecryptResult {
  const engines = sas.map((s) => openSa(s));
  const summary: DecryptSummary = {
    packets: 0,
    decrypted: 0,
    unmatched: 0,
    ignored: {},
    sas: sas.map((s, index) => ({ index, spi: s.spi, dst: s.dst.text, decrypted: 0, dropped: {} })),
  };
  const records: PcapRecord[] = [];
  for (const cp of packets) {
    summary.packets++;
    let link: ReturnType<typeof linkPayload>;
    try {
      link = linkPayload(cp.linkType, cp.data);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      bump(summary.ignored, 'malformed');
      continue;
    }
    if (link.kind !== 'ip') {
      bump(summary.ignored, 'non-ip');
      continue;
    }
    const loc = locateEsp(link.packet, sas);
    if (loc.kind === 'ignored') {
      bump(summary.ignored, loc.reason);
      continue;
    }
    const index = findSa(sas, spiOf(loc.esp), loc.ip.dst);
    if (index === undefined) {
      summary.unmatched++;
      continue;
    }
    const sa = sas[index] as SaConfig;
    const s = summary.sas[index] as SaSummary;
    // the engine decrypts in place: work on a copy, the capture stays as read
    const r = (engines[index] as InboundSa).open(loc.esp.slice());
    if (!r.ok) {
      bump(s.dropped, r.reason);
      continue;
    }
    let out: Uint8Array | undefined;
    if (sa.mode === 'tunnel') {
      // RFC 4303 §3.1.2: the payload is a whole IP packet; trim TFC padding (RFC 4303 §2.7)
      if (r.nextHeader === NH_IPV4 || r.nextHeader === NH_IPV6) {
        try {
          const inner = decodeIpPacket(r.payload, 'inner');
          if (inner.version === (r.nextHeader === NH_IPV4 ? 4 : 6)) out = r.payload.subarray(0, inner.totalLen);
        } catch (e) {
          if (!(e instanceof WireError)) throw e;
        }
      }
    } else if (r.nextHeader !== NH_IPV4 && r.nextHeader !== NH_IPV6) {
      const natOa = sa.natOa ? { src: sa.natOa.src?.bytes, dst: sa.natOa.dst?.bytes } : undefined;
      out = rebuildTransport(loc.packet, loc.ip, r.nextHeader, r.payload, natOa).packet;
    }
    if (!out) {
      bump(s.dropped, 'bad-next-header');
      continue;
    }
    s.decrypted++;
    summary.decrypted++;
    records.push({ timestampNs: cp.timestampNs, data: out.slice() });
  }
  return { records, summary };
}
