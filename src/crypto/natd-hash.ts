import { createHash } from 'node:crypto';

/**
 * The NAT detection hash of IKEv2 (RFC 7296 §2.23):
 *
 *   SHA-1( SPIi | SPIr | IP address | Port )
 *
 * SPIs in the order they appear in the IKE header (SPIr is zero in the IKE_SA_INIT
 * request), the address as 4 or 16 bytes and the port in network byte order. Lives in
 * crypto/ because only this layer may touch node:crypto.
 */
export function natdHash(spiI: bigint, spiR: bigint, address: Uint8Array, port: number): Uint8Array {
  const input = new Uint8Array(16 + address.length + 2);
  const view = new DataView(input.buffer);
  view.setBigUint64(0, spiI);
  view.setBigUint64(8, spiR);
  input.set(address, 16);
  view.setUint16(16 + address.length, port);
  return new Uint8Array(createHash('sha1').update(input).digest());
}
