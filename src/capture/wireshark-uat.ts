/**
 * SAs as Wireshark `esp_sa` UAT entries (Wireshark 4.0 epan/dissectors/packet-ipsec.c:
 * uat_esp_sa_record_t and its UAT_FLD_* list, 8 fields in this order):
 *
 *   "protocol","src IP","dst IP","SPI","encryption algorithm","encryption key",
 *   "authentication algorithm","authentication key"
 *
 * protocol is "IPv4" or "IPv6"; algorithms are the value_string texts of
 * esp_encryption_type_vals / esp_authentication_type_vals; keys are 0x-hex
 * (AES-GCM keys include the 4-byte salt, as in RFC 4106 §8.1 keying material).
 * Wireshark 4.0 has no ChaCha20-Poly1305 or AES-GMAC ESP decryption and no ESN
 * support (the sequence-number high bits in the ICV / AAD), so those SAs are
 * reported as unsupported instead of being written wrong.
 */
import type { EncrAlgorithm, IntegAlgorithm } from '../crypto/suites.js';
import type { SaConfig } from '../sad/sa-config.js';
import { toHex } from '../util/hex.js';

const ENCRYPTION: Partial<Record<EncrAlgorithm, string>> = {
  null: 'NULL',
  '3des-cbc': 'TripleDES-CBC [RFC2451]',
  'aes-cbc': 'AES-CBC [RFC3602]',
  'aes-gcm-8': 'AES-GCM with 8 octet ICV [RFC4106]',
  'aes-gcm-12': 'AES-GCM with 12 octet ICV [RFC4106]',
  'aes-gcm-16': 'AES-GCM with 16 octet ICV [RFC4106]',
};

const AUTHENTICATION: Record<IntegAlgorithm, string> = {
  none: 'NULL',
  'hmac-md5-96': 'HMAC-MD5-96 [RFC2403]',
  'hmac-sha1-96': 'HMAC-SHA-1-96 [RFC2404]',
  'hmac-sha256-128': 'HMAC-SHA-256-128 [RFC4868]',
  'hmac-sha384-192': 'HMAC-SHA-384-192 [RFC4868]',
  'hmac-sha512-256': 'HMAC-SHA-512-256 [RFC4868]',
};

export type UatEntry = { readonly ok: true; readonly line: string } | { readonly ok: false; readonly reason: string };

function hexKey(k: Uint8Array): string {
  return k.length === 0 ? '' : `0x${toHex(k)}`;
}

/** One SA as a Wireshark 4.0 esp_sa UAT line, or why Wireshark 4.0 cannot decrypt it. */
export function wiresharkEspSa(sa: SaConfig): UatEntry {
  const enc = ENCRYPTION[sa.encryption.algorithm];
  if (!enc) return { ok: false, reason: `Wireshark 4.0 cannot decrypt ESP with ${sa.encryption.algorithm}` };
  if (sa.esn)
    return { ok: false, reason: 'Wireshark 4.0 does not support extended sequence numbers (RFC 4303 §2.2.1)' };
  const fields = [
    sa.src.family === 4 ? 'IPv4' : 'IPv6',
    sa.src.text,
    sa.dst.text,
    `0x${sa.spi.toString(16).padStart(8, '0')}`,
    enc,
    hexKey(sa.encryption.key),
    AUTHENTICATION[sa.integrity.algorithm],
    hexKey(sa.integrity.key),
  ];
  return { ok: true, line: fields.map((f) => `"${f}"`).join(',') };
}
