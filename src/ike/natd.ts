/**
 * NAT detection for IKEv2 (RFC 7296 §2.23): building the NAT_DETECTION_SOURCE_IP and
 * NAT_DETECTION_DESTINATION_IP notify data and judging what the peer sent.
 *
 * - A DESTINATION hash that does not match our own address/port means *we* are behind a
 *   NAT: we send keepalives (RFC 3948 §4) and, as initiator, move to port 4500.
 * - No SOURCE hash matching the address/port the message came from means the *peer* is
 *   behind a NAT: we follow its address/port on authenticated messages.
 * - `encap = yes` (strongSwan's force-encap, ike_natd.c) replaces our SOURCE hash with one
 *   over a random IPv4 address and port 0, so the peer believes we are behind a NAT and
 *   both sides encapsulate ESP in UDP.
 */

import { natdHash } from '../crypto/natd-hash.js';
import { bytesEqual } from '../util/hex.js';

export interface Endpoint {
  /** 4 or 16 bytes */
  readonly address: Uint8Array;
  readonly port: number;
}

export interface NatdToSend {
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
}

/**
 * The two notify data values for a message sent from `local` to `remote`.
 * `fakeSource` (force-encap) is the random address used in place of ours, port 0.
 */
export function buildNatd(
  spiI: bigint,
  spiR: bigint,
  local: Endpoint,
  remote: Endpoint,
  fakeSource?: Uint8Array,
): NatdToSend {
  const source = fakeSource ? natdHash(spiI, spiR, fakeSource, 0) : natdHash(spiI, spiR, local.address, local.port);
  return { source, destination: natdHash(spiI, spiR, remote.address, remote.port) };
}

export interface NatdResult {
  /** the notifies were present (NAT-T supported by the peer) */
  readonly supported: boolean;
  /** our address/port was changed on the way: we are behind a NAT */
  readonly localBehindNat: boolean;
  /** the peer's address/port as seen here differs from its own view: it is behind a NAT */
  readonly remoteBehindNat: boolean;
}

/**
 * Judge the peer's notifies on a message received on `local` from `remote` (both as seen by
 * us). `sourceHashes` may hold several values (a host with several addresses sends one per
 * address, §2.23); `destinationHash` is the one DESTINATION notify. Without both kinds of
 * notify the peer does not support NAT-T and no NAT is assumed.
 */
export function judgeNatd(
  spiI: bigint,
  spiR: bigint,
  local: Endpoint,
  remote: Endpoint,
  sourceHashes: readonly Uint8Array[],
  destinationHash: Uint8Array | undefined,
): NatdResult {
  if (sourceHashes.length === 0 || destinationHash === undefined) {
    return { supported: false, localBehindNat: false, remoteBehindNat: false };
  }
  const expectDst = natdHash(spiI, spiR, local.address, local.port);
  const expectSrc = natdHash(spiI, spiR, remote.address, remote.port);
  return {
    supported: true,
    localBehindNat: !bytesEqual(expectDst, destinationHash),
    remoteBehindNat: !sourceHashes.some((h) => bytesEqual(h, expectSrc)),
  };
}
