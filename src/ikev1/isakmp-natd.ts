/**
 * IKEv1 NAT detection (RFC 3947 §3.2; the drafts use the same hash under payload type 130):
 *
 *   HASH = HASH(CKY-I | CKY-R | IP | Port)
 *
 * with the negotiated phase 1 hash (MD5 16 octets, SHA1 20 ...), not HMAC. The first NAT-D
 * payload a side sends hashes the peer's address and port as it sends to them, the following
 * ones its own. On receipt: no NAT iff the first payload matches our own address/port and one
 * of the others matches the peer's address/port as we see it. A mismatch of the first means
 * *we* are behind a NAT (we keep the mapping alive, RFC 3947 §3.2 and RFC 3948 §4); no match
 * among the others means the *peer* is.
 */
import { prfHash } from '../crypto/ike/prf.js';
import { cookieBytes } from '../crypto/ikev1/ikev1-keymat.js';
import type { Endpoint } from '../ike/natd.js';
import { bytesEqual } from '../util/hex.js';

export function isakmpNatdHash(prfId: number, spiI: bigint, spiR: bigint, e: Endpoint): Uint8Array {
  const port = new Uint8Array([(e.port >> 8) & 0xff, e.port & 0xff]);
  return prfHash(prfId, cookieBytes(spiI), cookieBytes(spiR), e.address, port);
}

/**
 * The hashes to send from `local` to `remote`: [peer, own]. `fakeLocal` replaces our own
 * (forced encapsulation: the peer then believes we are behind a NAT, as strongSwan's
 * `encap = yes` fakes it with a random address).
 */
export function buildIsakmpNatd(
  prfId: number,
  spiI: bigint,
  spiR: bigint,
  local: Endpoint,
  remote: Endpoint,
  fakeLocal?: Endpoint,
): Uint8Array[] {
  return [isakmpNatdHash(prfId, spiI, spiR, remote), isakmpNatdHash(prfId, spiI, spiR, fakeLocal ?? local)];
}

export interface IsakmpNatdResult {
  readonly localBehindNat: boolean;
  readonly remoteBehindNat: boolean;
}

/** Judge the NAT-D hashes of a message received on `local` from `remote`; undefined without at least two. */
export function judgeIsakmpNatd(
  prfId: number,
  spiI: bigint,
  spiR: bigint,
  local: Endpoint,
  remote: Endpoint,
  hashes: readonly Uint8Array[],
): IsakmpNatdResult | undefined {
  const [first, ...others] = hashes;
  if (!first || others.length === 0) return undefined;
  const mine = isakmpNatdHash(prfId, spiI, spiR, local);
  const theirs = isakmpNatdHash(prfId, spiI, spiR, remote);
  return {
    localBehindNat: !bytesEqual(first, mine),
    remoteBehindNat: !others.some((h) => bytesEqual(h, theirs)),
  };
}
