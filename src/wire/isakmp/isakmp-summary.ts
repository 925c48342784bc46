/**
 * One-line IKEv1 message summaries in charon's notation (strongSwan message.c get_string):
 * `ID_PROT request 0 [ SA V V V V V ]`, `TRANSACTION request 1234 [ HASH CPRQ(X_USER X_PWD) ]`.
 * IKEv1 headers carry no response flag, so the caller says whether the message answers one
 * of its own (`response`) as charon's task manager does. For an encrypted message the
 * caller passes the decrypted payloads.
 */
import {
  ISAKMP_CFG_ATTR_SHORT,
  ISAKMP_CFG_SHORT,
  ISAKMP_EXCHANGE_NAMES,
  ISAKMP_PAYLOAD_SHORT,
  isakmpNotifyShortName,
} from '../registry/isakmp.js';
import { isakmpPayloadType } from './isakmp-encode.js';
import type { IsakmpHeader, IsakmpPayload } from './isakmp-types.js';

function payloadText(p: IsakmpPayload): string {
  switch (p.kind) {
    case 'N':
      return `N(${isakmpNotifyShortName(p.notifyType)})`;
    case 'ATTR': {
      const prefix = ISAKMP_CFG_SHORT.get(p.cfgType) ?? 'CP';
      if (p.attributes.length === 0) return 'CP';
      const attrs = p.attributes.map((a) => ISAKMP_CFG_ATTR_SHORT.get(a.type) ?? `${a.type}`);
      return `${prefix}(${attrs.join(' ')})`;
    }
    case 'FRAG':
      return p.last ? `FRAG(${p.fragmentNumber}/${p.fragmentNumber})` : `FRAG(${p.fragmentNumber})`;
    default: {
      const t = isakmpPayloadType(p);
      return ISAKMP_PAYLOAD_SHORT.get(t) ?? `${t}`;
    }
  }
}

export function summarizeIsakmp(header: IsakmpHeader, payloads: readonly IsakmpPayload[], response: boolean): string {
  const exchange = ISAKMP_EXCHANGE_NAMES.get(header.exchangeType) ?? `EXCHANGE_${header.exchangeType}`;
  const list = payloads.map(payloadText).join(' ');
  return `${exchange} ${response ? 'response' : 'request'} ${header.messageId} [ ${list}${list ? ' ' : ''}]`;
}
