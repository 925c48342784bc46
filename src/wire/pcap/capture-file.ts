/**
 * Capture file sniffing: pcap (either byte order, us or ns) or pcapng, by magic.
 */
import { WireError } from '../../util/errors.js';
import type { CapturePacket } from './capture-packet.js';
import { decodePcap, isPcap } from './pcap-file.js';
import { decodePcapng, isPcapng } from './pcapng-file.js';

export interface Capture {
  readonly format: 'pcap' | 'pcapng';
  readonly packets: CapturePacket[];
}

/** Decode a pcap or pcapng file. Throws WireError on anything else or on malformed input. */
export function decodeCapture(buf: Uint8Array): Capture {
  if (isPcapng(buf)) return decodePcapng(buf);
  if (isPcap(buf)) return decodePcap(buf);
  throw new WireError('bad-value', 'capture.magic', 0, 'neither a pcap nor a pcapng file');
}
