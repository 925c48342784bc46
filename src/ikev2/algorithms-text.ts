/**
 * A selected proposal as `swanctl --list-sas` prints it, e.g.
 * `AES_CBC-128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048` (IANA names, strongSwan's
 * separators).
 */
import { transformName } from '../config/proposal.js';
import type { SelectedProposal } from '../ike/proposal-select.js';

export function algorithmsText(p: SelectedProposal): string {
  const parts: string[] = [];
  const e = transformName('encr', p.encr.id);
  parts.push(p.encr.keyLength !== undefined ? `${e}-${p.encr.keyLength}` : e);
  if (p.integ !== undefined) parts.push(transformName('integ', p.integ));
  if (p.prf !== undefined) parts.push(transformName('prf', p.prf));
  if (p.dh !== undefined) parts.push(transformName('dh', p.dh));
  if (p.protocol === 'esp' && p.esn === 1) parts.push('ESN');
  return parts.join('/');
}
