/**
 * A selected proposal as `swanctl --list-sas` prints it, e.g.
 * `AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048` (IANA names, strongSwan's
 * separators).
 */
import type { SelectedProposal } from '../ike/proposal-select.js';

const ENCR: Record<number, string> = {
  11: 'NULL',
  12: 'AES_CBC',
  18: 'AES_GCM_8',
  19: 'AES_GCM_12',
  20: 'AES_GCM_16',
  28: 'CHACHA20_POLY1305',
};
const INTEG: Record<number, string> = {
  2: 'HMAC_SHA1_96',
  5: 'AES_XCBC_96',
  12: 'HMAC_SHA2_256_128',
  13: 'HMAC_SHA2_384_192',
  14: 'HMAC_SHA2_512_256',
};
const PRF: Record<number, string> = {
  2: 'PRF_HMAC_SHA1',
  5: 'PRF_HMAC_SHA2_256',
  6: 'PRF_HMAC_SHA2_384',
  7: 'PRF_HMAC_SHA2_512',
};
const DH: Record<number, string> = {
  14: 'MODP_2048',
  15: 'MODP_3072',
  16: 'MODP_4096',
  19: 'ECP_256',
  20: 'ECP_384',
  21: 'ECP_521',
  31: 'CURVE_25519',
  32: 'CURVE_448',
};

export function algorithmsText(p: SelectedProposal): string {
  const parts: string[] = [];
  const e = ENCR[p.encr.id] ?? `ENCR_${p.encr.id}`;
  parts.push(p.encr.keyLength !== undefined ? `${e}-${p.encr.keyLength}` : e);
  if (p.integ !== undefined) parts.push(INTEG[p.integ] ?? `INTEG_${p.integ}`);
  if (p.prf !== undefined) parts.push(PRF[p.prf] ?? `PRF_${p.prf}`);
  if (p.dh !== undefined) parts.push(DH[p.dh] ?? `DH_${p.dh}`);
  if (p.protocol === 'esp' && p.esn === 1) parts.push('ESN');
  return parts.join('/');
}
