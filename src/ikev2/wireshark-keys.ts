/**
 * One row of Wireshark's `ikev2_decryption_table` UAT for an IKE SA, as strongSwan's save-keys
 * plugin writes it: SPIi, SPIr, SK_ei, SK_er, "encryption", SK_ai, SK_ar, "integrity". The
 * algorithm strings must equal the names in Wireshark's packet-isakmp.c tables
 * (vs_ikev2_encr_algs / vs_ikev2_auth_algs); AES-GCM keys include their 4-octet salt.
 * Wireshark has no ChaCha20-Poly1305 entry: such SAs get no row.
 */
import { toHex } from '../util/hex.js';
import type { IkeSa } from './ike-sa.js';

const GCM_ICV: Record<number, number> = { 18: 8, 19: 12, 20: 16 };
const INTEG: Record<number, string> = {
  2: 'HMAC_SHA1_96 [RFC2404]',
  12: 'HMAC_SHA2_256_128 [RFC4868]',
  13: 'HMAC_SHA2_384_192 [RFC4868]',
  14: 'HMAC_SHA2_512_256 [RFC4868]',
};

export function wiresharkEncrName(encr: number, keyBits: number | undefined): string | undefined {
  if (encr === 12 && keyBits) return `AES-CBC-${keyBits} [RFC3602]`;
  const icv = GCM_ICV[encr];
  if (icv && keyBits) return `AES-GCM-${keyBits} with ${icv} octet ICV [RFC5282]`;
  if (encr === 11) return 'NULL [RFC2410]';
  return undefined;
}

export function ikev2DecryptionRow(sa: IkeSa): string | undefined {
  const s = sa.suite;
  const k = sa.keys;
  if (!s || !k) return undefined;
  const encr = wiresharkEncrName(s.encr, s.encrKeyBits);
  if (!encr) return undefined;
  const integ = s.integ === undefined || s.integ === 0 ? 'NONE [RFC4306]' : INTEG[s.integ];
  if (!integ) return undefined;
  const spi = (n: bigint): string => n.toString(16).padStart(16, '0');
  return [
    spi(sa.spiI),
    spi(sa.spiR),
    toHex(k.skEi),
    toHex(k.skEr),
    `"${encr}"`,
    toHex(k.skAi),
    toHex(k.skAr),
    `"${integ}"`,
  ].join(',');
}
