/**
 * XAUTH as a client (draft-ietf-ipsec-isakmp-xauth-06 §4-§6), generic username/password only:
 * the credentials come from the `xauth-*` secret the local XAUTH round's `xauth_id` names
 * (swanctl: `local-xauth { auth = xauth; xauth_id = USER }`, as strongSwan's client reads them).
 * Pure functions; transaction-client.ts sends the messages.
 */
import type { ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import type { DataAttribute } from '../wire/isakmp/isakmp-types.js';
import { CfgAttr } from './mode-config-attributes.js';

export interface XauthCredentials {
  user: string;
  password: Uint8Array;
}

/**
 * The user and password for `conn`: `xauth_id` of the local XAUTH round names the user and
 * selects the `xauth-*` secret with that id; without `xauth_id`, the one `xauth-*` secret when
 * there is exactly one. A string says why there are none.
 */
export function xauthCredentials(conn: ConnectionConfig, config: EspritConfig): XauthCredentials | string {
  const round = conn.local.find((r) => r.auth.startsWith('xauth'));
  if (!round) return 'no local XAUTH round';
  const secrets = config.secrets.xauth;
  if (round.xauthId) {
    const s = secrets.find((x) => x.ids.includes(round.xauthId as string));
    return s ? { user: round.xauthId, password: s.secret } : `no xauth secret for '${round.xauthId}'`;
  }
  const only = secrets.length === 1 ? secrets[0] : undefined;
  const user = only?.ids[0];
  if (!only || user === undefined) return 'no xauth_id and not exactly one xauth secret with an id';
  return { user, password: only.secret };
}

/** XAUTH_TYPE generic (xauth-06 §4.2). */
const XAUTH_GENERIC = 0;

const utf8 = new TextEncoder();

/** Is this CFG_REQUEST an XAUTH request (it asks for the user name or password)? */
export function isXauthRequest(attrs: readonly DataAttribute[]): boolean {
  return attrs.some((a) => a.type === CfgAttr.XAUTH_USER_NAME || a.type === CfgAttr.XAUTH_USER_PASSWORD);
}

/**
 * The CFG_REPLY to the gateway's XAUTH CFG_REQUEST (xauth-06 §6.2): XAUTH_TYPE echoed when it
 * was sent, then the user name and password asked for. Types other than generic are refused
 * (a string says why).
 */
export function xauthReply(request: readonly DataAttribute[], creds: XauthCredentials): DataAttribute[] | string {
  const out: DataAttribute[] = [];
  for (const a of request) {
    if (a.type === CfgAttr.XAUTH_TYPE) {
      const t = a.value.length === 2 ? ((a.value[0] ?? 0) << 8) | (a.value[1] ?? 0) : -1;
      if (t !== XAUTH_GENERIC) return `XAUTH type ${t} (only generic, 0, is supported)`;
      out.push({ type: a.type, form: 'tv', value: new Uint8Array([0, 0]) });
    } else if (a.type === CfgAttr.XAUTH_USER_NAME) {
      out.push({ type: a.type, form: 'tlv', value: utf8.encode(creds.user) });
    } else if (a.type === CfgAttr.XAUTH_USER_PASSWORD) {
      out.push({ type: a.type, form: 'tlv', value: creds.password.slice() });
    }
    // XAUTH_MESSAGE and other prompts need no answer
  }
  return out;
}

/** XAUTH_STATUS of a CFG_SET (xauth-06 §6.3): 1 OK, 0 FAIL, undefined when absent. */
export function xauthStatus(attrs: readonly DataAttribute[]): number | undefined {
  const a = attrs.find((x) => x.type === CfgAttr.XAUTH_STATUS);
  if (!a) return undefined;
  return a.value.length === 2 ? ((a.value[0] ?? 0) << 8) | (a.value[1] ?? 0) : 0;
}
