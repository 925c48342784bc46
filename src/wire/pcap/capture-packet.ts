/** One packet read from a pcap or pcapng capture, with its interface's link type. */
export interface CapturePacket {
  /** 0-based position among the packets of the capture (not counting non-packet blocks) */
  readonly index: number;
  /** pcapng interface id (0 for classic pcap) */
  readonly interfaceId: number;
  /** LINKTYPE_* value (tcpdump.org link-layer header types) */
  readonly linkType: number;
  readonly timestampNs: bigint;
  readonly origLen: number;
  /** the captured bytes, a view into the input */
  readonly data: Uint8Array;
}
