/**
 * One-line message summaries in charon's notation (strongSwan message.c get_string):
 * `IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH CPRQ(ADDR DNS) SA TSi TSr ]`.
 * For an encrypted message the caller passes the decrypted inner payloads in place of SK,
 * as charon logs after decryption.
 */
import { eapShortText } from '../eap/eap-packet.js';
import { CP_ATTR_SHORT, CP_SHORT, EXCHANGE_NAMES, notifyShortName, PAYLOAD_SHORT } from '../registry/ikev2.js';
import { payloadType } from './ike-encode.js';
import { HeaderFlag, type IkeHeader, type IkePayload } from './ike-types.js';

function payloadText(p: IkePayload): string {
  switch (p.kind) {
    case 'N':
      return `N(${notifyShortName(p.notifyType)})`;
    case 'CP': {
      const attrs = p.attributes.map((a) => CP_ATTR_SHORT.get(a.type) ?? `${a.type}`);
      return `${CP_SHORT.get(p.cfgType) ?? `CP${p.cfgType}`}(${attrs.join(' ')})`;
    }
    case 'EAP':
      return eapShortText(p.data);
    case 'SKF':
      return `EF(${p.fragmentNumber}/${p.totalFragments})`;
    case 'unknown':
      return PAYLOAD_SHORT.get(p.type) ?? `${p.type}`;
    default:
      return PAYLOAD_SHORT.get(payloadType(p)) ?? p.kind;
  }
}

export function summarizeIke(header: IkeHeader, payloads: IkePayload[]): string {
  const exchange = EXCHANGE_NAMES.get(header.exchangeType) ?? `EXCHANGE_${header.exchangeType}`;
  const dir = header.flags & HeaderFlag.RESPONSE ? 'response' : 'request';
  const list = payloads.map(payloadText).join(' ');
  return `${exchange} ${dir} ${header.messageId} [ ${list}${list ? ' ' : ''}]`;
}
