/**
 * Results of the ESP engine. The data path never throws: every dropped packet is
 * a typed reason with a counter (strongSwan esp_packet.h PARSE/VERIFY/FAILED,
 * boringtun TunnResult).
 */

export const DROP_REASONS = [
  'truncated', // shorter than SPI+seq+IV+ICV, or ciphertext not block-aligned
  'unknown-spi', // no SA for this SPI (and destination)
  'replay', // duplicate or left of the window (RFC 4303 §3.4.3)
  'icv', // integrity check failed (RFC 4303 §3.4.4)
  'bad-padding', // padding bytes not 1, 2, 3, ... or pad length too long (RFC 4303 §2.4)
  'bad-next-header', // next header not valid for the SA's mode, or inner packet malformed
  'dummy', // next header 59: dummy packet, dropped silently (RFC 4303 §2.6)
  'lifetime-expired', // hard byte/packet lifetime reached
  'seq-overflow', // outbound sequence number would cycle (RFC 4303 §3.3.3)
  'too-big', // output buffer too small
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export type LifetimeEvent = 'soft' | 'hard' | undefined;

export type SealResult =
  | {
      readonly ok: true;
      readonly length: number;
      /** the sequence number as sent: high and low 32 bits, and as a BigInt (built on read) */
      readonly seqHi: number;
      readonly seqLo: number;
      readonly seq: bigint;
      readonly lifetime: LifetimeEvent;
    }
  | { readonly ok: false; readonly reason: DropReason };

export type OpenResult =
  | {
      readonly ok: true;
      /** RFC 4303 §2.6 next header of the decrypted payload (4 = IPv4, 41 = IPv6, 6 = TCP ...) */
      readonly nextHeader: number;
      /** a view into the caller's buffer: the payload without padding, TFC padding included */
      readonly payload: Uint8Array;
      /** the full (ESN-inferred) sequence number: high and low 32 bits, and as a BigInt (built on read) */
      readonly seqHi: number;
      readonly seqLo: number;
      readonly seq: bigint;
      readonly lifetime: LifetimeEvent;
    }
  | { readonly ok: false; readonly reason: DropReason };
