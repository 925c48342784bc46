/**
 * Re-express a decoded PF_KEY message for a client of the other dialect (promiscuous copies
 * of another client's message). Records are tagged by name, so only the names that exist in
 * one dialect change: linux X_NAT_T_OA <-> kame X_NAT_T_OAI (the same number 23 and, in KAME,
 * its "deprecated" alias); X_SEC_CTX (linux only), X_NAT_T_OAR and X_NAT_T_FRAG (kame only)
 * and unknown-numbered extensions have no counterpart and are dropped.
 */
import type { PfkeyDialect, PfkeyExt, PfkeyMessage } from '../wire/pfkey/index.js';

function translateExt(e: PfkeyExt, to: PfkeyDialect): PfkeyExt | undefined {
  switch (e.ext) {
    case 'X_NAT_T_OA':
      return to === 'kame' ? { ...e, ext: 'X_NAT_T_OAI' } : e;
    case 'X_NAT_T_OAI':
      return to === 'linux' ? { ...e, ext: 'X_NAT_T_OA' } : e;
    case 'X_SEC_CTX':
      return to === 'linux' ? e : undefined;
    case 'X_NAT_T_OAR':
    case 'X_NAT_T_FRAG':
      return to === 'kame' ? e : undefined;
    case 'UNKNOWN':
      return undefined;
    default:
      return e;
  }
}

/** `msg` as decoded in `from`, renamed for `to`; identity when the dialects agree. */
export function translateMessage(msg: PfkeyMessage, from: PfkeyDialect, to: PfkeyDialect): PfkeyMessage {
  if (from === to) return msg;
  const extensions: PfkeyExt[] = [];
  for (const e of msg.extensions) {
    const t = translateExt(e, to);
    if (t) extensions.push(t);
  }
  return { header: msg.header, extensions };
}
