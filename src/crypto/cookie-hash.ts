import { createHash } from 'node:crypto';

/**
 * The stateless COOKIE hash of RFC 7296 §2.6:
 *
 *   Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>)
 *
 * with SHA-256 as the hash (the RFC leaves it open; strongSwan also uses SHA-256 via its
 * keyed hasher) and a 4-byte version ID in network byte order, 36 bytes in all (within the
 * 1..64 bytes §3.10.1 allows).
 */
export function cookieHash(
  version: number,
  nonceI: Uint8Array,
  addressI: Uint8Array,
  spiI: bigint,
  secret: Uint8Array,
): Uint8Array {
  const spi = new Uint8Array(8);
  new DataView(spi.buffer).setBigUint64(0, spiI);
  const digest = createHash('sha256').update(nonceI).update(addressI).update(spi).update(secret).digest();
  const out = new Uint8Array(4 + digest.length);
  new DataView(out.buffer).setUint32(0, version >>> 0);
  out.set(digest, 4);
  return out;
}
