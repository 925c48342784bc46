/**
 * Aggressive Mode with pre-shared keys as responder (RFC 2409 §5.4), the way vpnc and Cisco
 * clients connect: the initiator's identity comes in the first message, so the PSK is found
 * by that ID (a group name as ID_KEY_ID, swanctl `keyid:NAME`), and NAT-D rides in messages 2
 * and 3 (RFC 3947 §3.2):
 *
 *   Initiator                                  Responder
 *   HDR, SA, KE, Ni, IDii, VID*          -->
 *                                        <--   HDR, SA, KE, Nr, IDir, HASH_R, VID*, NAT-D, NAT-D
 *   HDR[*], HASH_I [, N] [, VID*], NAT-D, NAT-D  -->  (from 4500 when the initiator saw a NAT)
 *
 * SECURITY: HASH_R is keyed with the PSK and goes out in clear to anyone who sends AM1 with
 * the group's ID: the PSK can be attacked offline (RFC 2409 §5.4; `esprit config check`
 * warns). XAUTH (authentication method 65001, XAUTHInitPreShared, xauth-06 §5) is accepted
 * when the connection has an `xauth` round; the keys are derived as for a PSK. With
 * `auth = pubkey` the method is RSA signatures (§5.1): IDir, CERT*, SIG_R in AM2, CERT*, SIG_I
 * in AM3 (main-mode-pubkey.ts).
 */
import type { ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import { phase1Hash } from '../crypto/ikev1/ikev1-keymat.js';
import { type IkeId, idMatches, parseIdentity } from '../ike/identity.js';
import type { Endpoint } from '../ike/natd.js';
import { findSharedSecret } from '../ike/shared-secret.js';
import { bytesEqual } from '../util/hex.js';
import type { IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IkeAuthMethod } from '../wire/registry/isakmp.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { fragmentationVid, isFragmentationVid } from './isakmp-fragments.js';
import { judgeIsakmpNatd } from './isakmp-natd.js';
import {
  deriveKeys,
  idPayload,
  keAndNonce,
  type MainModeContext,
  type MmStep,
  ownHash,
  send,
  takeKeyExchange,
  vids,
} from './main-mode.js';
import {
  aggressiveSignedIdentity,
  aggressiveVerifySignature,
  phase1AuthMethod,
  signatureAuth,
} from './main-mode-pubkey.js';
import { clearMessage, findPayload, openMessage, payloadBody } from './phase1-message.js';
import { selectPhase1 } from './phase1-proposal.js';
import { chooseNatt, hasVid, VID } from './vendor-ids.js';

/** Does the connection authenticate its peer with XAUTH after phase 1 (a `remote-xauth` round)? */
export function usesXauth(conn: ConnectionConfig): boolean {
  return conn.remote.some((r) => r.auth.startsWith('xauth'));
}

/**
 * The Aggressive Mode connection for AM1's identity: version 1, `aggressive = yes`, the
 * addresses, and a `remote.id` the peer's ID matches (the first that does).
 */
export function aggressiveConnection(
  config: EspritConfig,
  peerId: IkeId,
  matchesAddrs: (c: ConnectionConfig) => boolean,
): ConnectionConfig | undefined {
  return config.connections.find(
    (c) => c.version === 1 && c.aggressive && matchesAddrs(c) && idMatches(c.remote[0]?.id ?? '%any', peerId),
  );
}

/** Responder, AM1 -> AM2. */
export function processAm1(ctx: MainModeContext, sa: Ikev1Sa, msg: IsakmpMessage): MmStep {
  const saP = findPayload(msg.payloads, 'SA');
  const id = findPayload(msg.payloads, 'ID');
  if (!saP || !id) return { kind: 'fail', notify: 'PAYLOAD-MALFORMED', reason: 'AM1 without SA or ID' };
  // RSA signatures (§5.1) for `auth = pubkey` (main-mode-pubkey.ts), else PSK / XAUTHInitPreShared
  const sig = phase1AuthMethod(sa.conn) === IkeAuthMethod.RSA_SIGNATURES;
  const method = sig
    ? IkeAuthMethod.RSA_SIGNATURES
    : usesXauth(sa.conn)
      ? IkeAuthMethod.XAUTH_INIT_PRE_SHARED
      : IkeAuthMethod.PRE_SHARED_KEY;
  const sel = selectPhase1(saP, sa.conn.proposals, method);
  if (!sel) return { kind: 'fail', notify: 'NO-PROPOSAL-CHOSEN', reason: 'no acceptable phase 1 transform' };
  sa.saiB = payloadBody(saP);
  sa.suite = sel.suite;
  const received = vids(msg.payloads);
  sa.natt = chooseNatt(sa.offered, received);
  sa.peerDpd = hasVid(received, VID.DPD);
  sa.remoteId = { type: id.idType, data: id.data.slice() };
  // RFC 2409 §5.4: Aggressive Mode picks the PSK by the identity in AM1.
  const psk = sig ? undefined : findSharedSecret(ctx.config.secrets.ike, sa.localId, sa.remoteId);
  if (!psk && !sig)
    return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: 'no pre-shared key for this identity' };
  const bad = takeKeyExchange(sa, msg);
  if (bad) return bad;
  sa.peerIdBody = payloadBody(id);
  const keys = keAndNonce(ctx, sa);
  const failed = deriveKeys(ctx, sa, sa.gxi as Uint8Array, psk);
  if (failed) return failed;
  const idr = idPayload(sa.localId);
  const auth: IsakmpPayload[] | string = sig
    ? aggressiveSignedIdentity(ctx, sa, msg.payloads)
    : [idr, { kind: 'HASH', data: ownHash(sa, idr) }];
  if (typeof auth === 'string') return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: auth };
  const out: IsakmpPayload[] = [
    {
      kind: 'SA',
      doi: saP.doi,
      situation: saP.situation,
      proposals: [{ number: sel.proposalNumber, protocolId: 1, spi: new Uint8Array(0), transforms: [sel.transform] }],
    },
    ...keys.filter((p) => p.kind !== 'NAT-D'),
    ...auth,
  ];
  if (sa.natt) out.push({ kind: 'V', data: sa.natt.vid });
  if (sa.peerDpd) out.push({ kind: 'V', data: VID.DPD });
  if (method === IkeAuthMethod.XAUTH_INIT_PRE_SHARED && hasVid(received, VID.XAUTH))
    out.push({ kind: 'V', data: VID.XAUTH });
  if (hasVid(received, VID.CISCO_UNITY)) out.push({ kind: 'V', data: VID.CISCO_UNITY });
  // Cisco IKE fragmentation (isakmp-fragments.ts): answered as in Main Mode
  sa.peerFragmentation = received.some(isFragmentationVid);
  out.push(...fragmentationVid(sa.conn, false, sa.peerFragmentation));
  out.push(...keys.filter((p) => p.kind === 'NAT-D'));
  sa.state = 'am2-sent';
  return send(clearMessage(sa, out), out);
}

/**
 * Responder, AM3: HASH_I (in clear or encrypted, as vpnc sends it), and the NAT verdict. The
 * initiator moves to 4500 only when it saw a NAT (RFC 3947 §4), so an AM3 that arrives on
 * 4500 turns UDP encapsulation on whatever its NAT-D say (vpnc echoes our own hash as its
 * second NAT-D, which alone would read "no NAT").
 */
export function processAm3(
  ctx: MainModeContext,
  sa: Ikev1Sa,
  msg: IsakmpMessage,
  local: Endpoint,
  from: Endpoint,
  opened: IsakmpPayload[],
): MmStep {
  let payloads = msg.payloads;
  let nextIv: Uint8Array | undefined;
  if (msg.encrypted) {
    const o = openMessage(sa, msg);
    if ('error' in o) return { kind: 'drop', reason: o.error };
    payloads = o.payloads;
    nextIv = o.nextIv;
  }
  opened.push(...payloads);
  const hash = findPayload(payloads, 'HASH');
  const { suite, keys, gxi, gxr, saiB, peerIdBody } = sa;
  const sig = signatureAuth(sa);
  if (!hash && !sig) return { kind: 'drop', reason: 'AM3 without HASH' };
  if (!suite || !keys || !gxi || !gxr || !saiB || !peerIdBody) throw new Error('assertion failed: AM3 before AM2');
  const want = phase1Hash(suite.prf, keys.skeyid, true, gxi, gxr, sa.spiI, sa.spiR, saiB, peerIdBody);
  if (sig) {
    const bad = aggressiveVerifySignature(ctx, sa, payloads, want);
    if (bad) return bad;
  } else if (!hash || !bytesEqual(want, hash.data))
    return { kind: 'fail', notify: 'AUTHENTICATION-FAILED', reason: 'HASH_I does not verify' };
  if (nextIv) sa.iv = nextIv;
  if (sa.natt) {
    // NAT-D of AM3 against the endpoints of AM1/AM2, which the hashes were made for
    const hashes = payloads.flatMap((p) => (p.kind === 'NAT-D' ? [p.hash] : []));
    const r = judgeIsakmpNatd(suite.prf, sa.spiI, sa.spiR, sa.local, sa.remote, hashes);
    if (r) {
      sa.localBehindNat = r.localBehindNat;
      sa.remoteBehindNat = r.remoteBehindNat;
    }
    if (from.port !== sa.remote.port || local.port !== sa.local.port) {
      // RFC 3947 §4: the initiator floated, so it saw a NAT; answer on the new ports
      sa.remoteBehindNat = sa.remoteBehindNat || sa.natt.float;
      sa.local = local;
      sa.remote = from;
    }
  }
  sa.state = 'established';
  return { kind: 'done' };
}

/** The identity the connection's `local.id` names, or our address. */
export function localIdOf(conn: ConnectionConfig, address: Uint8Array): IkeId {
  return conn.local[0]?.id ? parseIdentity(conn.local[0].id) : { type: 1, data: address };
}
