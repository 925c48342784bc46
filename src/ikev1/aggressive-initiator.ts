/**
 * Aggressive Mode with pre-shared keys as initiator (RFC 2409 §5.4), the way vpnc and Cisco
 * clients connect to a Cisco-style gateway: our identity (a group name as ID_KEY_ID, swanctl
 * `keyid:NAME`) goes in the first message, so the gateway picks the PSK by it.
 *
 *   Initiator                                  Responder
 *   HDR, SA, KE, Ni, IDii, VID*          -->                          AM1
 *                                        <--   HDR, SA, KE, Nr, IDir, HASH_R, VID*, NAT-D, NAT-D
 *   HDR, HASH_I, NAT-D, NAT-D            -->   (from 4500 when a NAT was seen, RFC 3947 §4)
 *
 * Choices: AM3 goes in clear as RFC 2409 §5.4 draws it (charon does the same; the phase 2 IVs
 * then derive from the phase 1 IV, Appendix B); KE is sent before the group is agreed, so only
 * transforms with the first configured group are offered (§5.4: "the Diffie-Hellman group MUST
 * be the same"). With a `local-xauth` round the transforms carry XAUTHInitPreShared (65001,
 * xauth-06 §5) and the XAUTH VID goes along; the keys are the PSK's either way.
 *
 * SECURITY: HASH_R comes back keyed with the group PSK in clear; a passive observer can test
 * guesses of the group PSK offline. XAUTH authenticates the user afterwards.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { phase1Hash } from '../crypto/ikev1/ikev1-keymat.js';
import { idMatches } from '../ike/identity.js';
import { bytesEqual } from '../util/hex.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IkeAuthMethod } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { buildIsakmpNatd } from './isakmp-natd.js';
import {
  deriveKeys,
  idPayload,
  keAndNonce,
  type MainModeContext,
  type MmStep,
  NATT_PORT,
  ownHash,
  phase1Lifetime,
  send,
  takeKeyExchange,
  vids,
} from './main-mode.js';
import { clearMessage, findPayload, payloadBody } from './phase1-message.js';
import { parsePhase1Transform, phase1SaPayload, phase1Transforms, suiteAllowed } from './phase1-proposal.js';
import { chooseNatt, hasVid, VID } from './vendor-ids.js';

/** Does the connection authenticate us with XAUTH after phase 1 (a `local-xauth` round)? */
export function clientXauth(conn: ConnectionConfig): boolean {
  return conn.local.some((r) => r.auth.startsWith('xauth'));
}

/** The phase 1 authentication method we offer: XAUTHInitPreShared with a local XAUTH round. */
function authMethodOf(conn: ConnectionConfig): number {
  return clientXauth(conn) ? IkeAuthMethod.XAUTH_INIT_PRE_SHARED : IkeAuthMethod.PRE_SHARED_KEY;
}

/** Initiator, AM1: SA, KE, Ni, IDii and our VIDs; undefined when no transform is expressible. */
export function startAggressiveMode(
  ctx: MainModeContext,
  sa: Ikev1Sa,
): { bytes: Uint8Array; payloads: IsakmpPayload[] } | string {
  const all = phase1Transforms(sa.conn.proposals, authMethodOf(sa.conn), phase1Lifetime(sa));
  const first = all[0] ? parsePhase1Transform(all[0]) : undefined;
  if (first === undefined || typeof first === 'string') return 'no phase 1 proposal expressible in IKEv1';
  // RFC 2409 §5.4: one group for all transforms, the one of our KE
  const transforms = all
    .filter((t) => {
      const s = parsePhase1Transform(t);
      return typeof s !== 'string' && s.group === first.group;
    })
    .map((t, i) => ({ ...t, number: i + 1 }));
  const saP = phase1SaPayload(transforms);
  sa.saiB = payloadBody(saP);
  sa.suite = first;
  const ke = keAndNonce(ctx, sa);
  const id = idPayload(sa.localId);
  const v: Uint8Array[] = sa.offered.map((x) => x.vid);
  if (clientXauth(sa.conn)) v.push(VID.XAUTH);
  // Cisco Unity 1.0: the gateway may then answer Unity attributes and Cisco UDP (protocol-facts §3)
  if (sa.conn.vips.length > 0 || clientXauth(sa.conn)) v.push(VID.CISCO_UNITY);
  v.push(VID.DPD);
  const out: IsakmpPayload[] = [saP, ...ke, id, ...v.map((data): IsakmpPayload => ({ kind: 'V', data }))];
  sa.state = 'am1-sent';
  return { bytes: clearMessage(sa, out), payloads: out };
}

/** Initiator, AM2 -> AM3: the chosen transform, keys, HASH_R, the NAT verdict and the float. */
export function processAm2(ctx: MainModeContext, sa: Ikev1Sa, msg: IsakmpMessage): MmStep {
  const saP = findPayload(msg.payloads, 'SA');
  const t = saP?.proposals.length === 1 ? saP.proposals[0]?.transforms : undefined;
  if (!t || t.length !== 1 || !t[0])
    return { kind: 'fail', notify: 'BAD-PROPOSAL-SYNTAX', reason: 'AM2 must hold one transform' };
  const suite = parsePhase1Transform(t[0]);
  if (typeof suite === 'string') return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: `AM2: ${suite}` };
  if (
    suite.authMethod !== authMethodOf(sa.conn) ||
    suite.group !== sa.suite?.group ||
    !suiteAllowed(sa.conn.proposals, suite)
  )
    return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: 'the responder chose a transform we did not offer' };
  const idr = findPayload(msg.payloads, 'ID');
  const hashR = findPayload(msg.payloads, 'HASH');
  if (!idr || !hashR) return { kind: 'fail', notify: 'PAYLOAD-MALFORMED', reason: 'AM2 without IDir or HASH_R' };
  sa.suite = suite;
  const received = vids(msg.payloads);
  sa.natt = chooseNatt(sa.offered, received);
  sa.peerDpd = hasVid(received, VID.DPD);
  // takeKeyExchange judges the NAT-D of AM2 (RFC 3947 §3.2) once sa.natt is known
  const bad = takeKeyExchange(sa, msg) ?? deriveKeys(ctx, sa, sa.gxr as Uint8Array);
  if (bad) return bad;
  const { keys, gxi, gxr, saiB } = sa;
  if (!keys || !gxi || !gxr || !saiB) throw new Error('assertion failed: keys after AM2');
  const want = phase1Hash(suite.prf, keys.skeyid, false, gxi, gxr, sa.spiI, sa.spiR, saiB, payloadBody(idr));
  // A wrong group PSK shows here: HASH_R is keyed with it (RFC 2409 §5)
  if (!bytesEqual(want, hashR.data))
    return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: 'HASH_R does not verify (a wrong group PSK?)' };
  const peerId = { type: idr.idType, data: idr.data.slice() };
  if (!idMatches(sa.conn.remote[0]?.id ?? '%any', peerId))
    return { kind: 'fail', notify: 'INVALID-ID-INFORMATION', reason: 'the peer identity is not the configured one' };
  sa.remoteId = peerId;
  const out: IsakmpPayload[] = [{ kind: 'HASH', data: ownHash(sa, idPayload(sa.localId)) }];
  if (sa.natt) {
    // RFC 3947 §3.2: NAT-D in AM3, over the endpoints of AM1/AM2 (before any float)
    const fake = sa.conn.encap ? { address: new Uint8Array(sa.local.address.length), port: 0 } : undefined;
    for (const hash of buildIsakmpNatd(suite.prf, sa.spiI, sa.spiR, sa.local, sa.remote, fake))
      out.push({ kind: 'NAT-D', draft: sa.natt.natd !== 20, hash });
    // RFC 3947 §4: float to 4500 with AM3 when a NAT is in the path (or faked)
    if (sa.natt.float && (sa.localBehindNat || sa.remoteBehindNat || sa.conn.encap)) {
      sa.local = { address: sa.local.address, port: NATT_PORT };
      sa.remote = { address: sa.remote.address, port: NATT_PORT };
    }
  }
  sa.state = 'established';
  return send(clearMessage(sa, out), out);
}
