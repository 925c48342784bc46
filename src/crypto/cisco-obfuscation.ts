/**
 * Cisco VPN client "enc_GroupPwd"/"enc_UserPassword" obfuscation, which vpnc accepts as
 * "IPSec obfuscated secret" and "Xauth obfuscated password" (vpnc's cisco-decrypt does the
 * same; the scheme is public since 2004). The hex string is h1 (20 octets) | h4 (20) | data:
 * key = SHA1(h1 with its last octet + 1) | first 4 octets of SHA1(h1 with its last octet + 3),
 * 3DES-CBC with IV = h1[0..8); h4 must equal SHA1(data); the plaintext ends at its padding
 * (last octet = pad length, at most 8).
 */
import { createDecipheriv, createHash } from 'node:crypto';

export type DeobfuscateResult = { ok: true; text: string } | { ok: false; reason: string };

export function ciscoDeobfuscate(hex: string): DeobfuscateResult {
  const h = hex.trim();
  if (!/^[0-9a-fA-F]*$/.test(h) || h.length % 2 !== 0) return { ok: false, reason: 'not a hex string' };
  const b = Buffer.from(h, 'hex');
  if (b.length < 48 || (b.length - 40) % 8 !== 0)
    return { ok: false, reason: `length ${b.length} is not 40 + a multiple of 8` };
  const h1 = b.subarray(0, 20);
  const h4 = b.subarray(20, 40);
  const data = b.subarray(40);
  if (!createHash('sha1').update(data).digest().equals(h4))
    return { ok: false, reason: 'checksum (SHA-1 of the data) does not match' };
  const ht = Buffer.from(h1);
  ht[19] = ((ht[19] as number) + 1) & 0xff;
  const h2 = createHash('sha1').update(ht).digest();
  ht[19] = ((ht[19] as number) + 2) & 0xff;
  const h3 = createHash('sha1').update(ht).digest();
  const key = Buffer.concat([h2, h3.subarray(0, 4)]);
  const d = createDecipheriv('des-ede3-cbc', key, h1.subarray(0, 8));
  d.setAutoPadding(false);
  const plain = Buffer.concat([d.update(data), d.final()]);
  const pad = plain[plain.length - 1] as number;
  if (pad < 1 || pad > 8 || pad > plain.length) return { ok: false, reason: `bad padding length ${pad}` };
  return { ok: true, text: plain.subarray(0, plain.length - pad).toString('latin1') };
}
