/**
 * IKE_SA_INIT (RFC 7296 §1.2) with NAT detection (§2.23), COOKIE (§2.6) and
 * INVALID_KE_PAYLOAD (§1.2, §1.3):
 *
 *   HDR, SA, KEi, Ni, N(NATD_S_IP), N(NATD_D_IP)  -->
 *                                 <--  HDR, SA, KEr, Nr, N(NATD_S_IP), N(NATD_D_IP)
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { deriveIkeSaKeys, deriveSkeyseed, type IkeSuite } from '../crypto/ike/ike-keymat.js';
import { createKeyExchange } from '../crypto/ike/key-exchange.js';
import { encodeSignatureHashAlgorithms, parseSignatureHashAlgorithms } from '../crypto/ike/signature-auth.js';
import { buildNatd, judgeNatd } from '../ike/natd.js';
import { type SelectedProposal, selectProposal } from '../ike/proposal-select.js';
import { CryptoError } from '../util/errors.js';
import { encodeIkeMessage } from '../wire/ike/ike-encode.js';
import { ExchangeType, HeaderFlag, type IkeMessage, type IkePayload } from '../wire/ike/ike-types.js';
import { certreqPayload, isPubkeyAuth } from './auth-pubkey.js';
import { keptProposal, noItems } from './compact-state.js';
import { announcesFragmentation, fragmentationNotify } from './ike-fragments.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify, notifyText } from './ikev2-numbers.js';
import { all, first, firstError, notifies, notify } from './payload-find.js';
import { payloadToReceived, proposalsToPayload, selectedToPayload } from './proposal-payload.js';

/** §2.10: nonces of at least half the PRF key size, 16..256 bytes; strongSwan sends 32. */
export const NONCE_LENGTH = 32;
export const IKE_NATT_PORT = 4500;

export function suiteOf(sel: SelectedProposal): IkeSuite {
  const s: IkeSuite = { encr: sel.encr.id, prf: sel.prf ?? 0 };
  if (sel.encr.keyLength !== undefined) s.encrKeyBits = sel.encr.keyLength;
  if (sel.integ !== undefined) s.integ = sel.integ;
  return s;
}

function natdPayloads(ctx: Ikev2Context, sa: IkeSa, spiR: bigint, encap: boolean): IkePayload[] {
  let fake: Uint8Array | undefined;
  if (encap) {
    // strongSwan's force-encap (ike_natd.c): a random IPv4 address as our SOURCE.
    fake = new Uint8Array(4);
    ctx.rng.fill(fake);
    sa.natFaked = true;
  }
  const n = buildNatd(sa.spiI, spiR, sa.local, sa.remote, fake);
  return [notify(Notify.NAT_DETECTION_SOURCE_IP, n.source), notify(Notify.NAT_DETECTION_DESTINATION_IP, n.destination)];
}

/**
 * Apply the peer's NAT-D notifies of `payloads`, received on sa.local from sa.remote. The
 * hashes cover the SPIs of the message's own header (§2.23): SPIr is zero in the request.
 */
function applyNatd(ctx: Ikev2Context, sa: IkeSa, spiR: bigint, payloads: IkePayload[]): void {
  const src = notifies(payloads, Notify.NAT_DETECTION_SOURCE_IP).map((n) => n.data);
  const dst = notifies(payloads, Notify.NAT_DETECTION_DESTINATION_IP)[0]?.data;
  const r = judgeNatd(sa.spiI, spiR, sa.local, sa.remote, src, dst);
  sa.natSupported = r.supported;
  // Only the original initiator compares it later (mobike.ts livenessReply, RFC 4555 §3.8).
  if (sa.initiator) sa.natdDestination = dst?.slice();
  sa.localBehindNat = r.localBehindNat;
  sa.remoteBehindNat = r.remoteBehindNat;
  if (r.localBehindNat || r.remoteBehindNat || sa.natFaked) {
    ctx.event({
      kind: 'nat-detected',
      conn: sa.name,
      ikeId: sa.id,
      local: r.localBehindNat,
      remote: r.remoteBehindNat,
      faked: sa.natFaked,
    });
  }
}

function deriveKeys(sa: IkeSa, sel: SelectedProposal, gir: Uint8Array): void {
  sa.proposal = keptProposal(sel);
  sa.suite = suiteOf(sel);
  const skeyseed = deriveSkeyseed(sa.suite.prf, sa.nonceI, sa.nonceR, gir);
  sa.keys = deriveIkeSaKeys(sa.suite, skeyseed, sa.nonceI, sa.nonceR, sa.spiI, sa.spiR);
}

/** RFC 7427 §4: announce SHA2-256/384/512 when a connection authenticates with signatures. */
function usesPubkey(c: ConnectionConfig): boolean {
  return [...c.local, ...c.remote].some((r) => isPubkeyAuth(r.auth));
}

function sigHashNotify(): IkePayload {
  return notify(Notify.SIGNATURE_HASH_ALGORITHMS, encodeSignatureHashAlgorithms([2, 3, 4]));
}

function peerSigHashes(p: IkePayload[]): number[] {
  const n = notifies(p, Notify.SIGNATURE_HASH_ALGORITHMS)[0];
  return n ? parseSignatureHashAlgorithms(n.data) : noItems();
}

// ---------------------------------------------------------------- initiator

/** Build (or rebuild after COOKIE / INVALID_KE_PAYLOAD) and send the IKE_SA_INIT request. */
export function sendInitRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  send: (b: Uint8Array) => void,
): void {
  const group = sa.keGroup ?? conn.proposals[0]?.transforms.dh.find((d) => d !== 0) ?? 0;
  if (!sa.ke || sa.ke.group !== group) sa.ke = createKeyExchange(group, ctx.rng);
  if (sa.nonceI.length === 0) {
    sa.nonceI = new Uint8Array(NONCE_LENGTH);
    ctx.rng.fill(sa.nonceI);
  }
  const payloads: IkePayload[] = [];
  // §2.6: the COOKIE notify goes first, everything else unchanged.
  if (sa.cookie) payloads.push(notify(Notify.COOKIE, sa.cookie));
  payloads.push(
    { kind: 'SA', proposals: proposalsToPayload(conn.proposals, new Uint8Array(0)) },
    { kind: 'KE', dhGroup: group, keyData: sa.ke.publicValue },
    { kind: 'No', nonce: sa.nonceI },
    ...natdPayloads(ctx, sa, 0n, conn.encap),
    ...fragmentationNotify(conn, true, false),
  );
  if (usesPubkey(conn)) payloads.push(sigHashNotify());
  sa.initRequest = encodeIkeMessage(
    { spiI: sa.spiI, spiR: 0n, exchangeType: ExchangeType.IKE_SA_INIT, flags: HeaderFlag.INITIATOR, messageId: 0 },
    payloads,
  );
  send(sa.initRequest);
}

export type InitResponseOutcome =
  | { kind: 'retry' }
  | { kind: 'failed'; reason: string; notify?: string }
  | { kind: 'established-keys' };

/** Process the IKE_SA_INIT response (§1.2); on success the SA has keys and NAT state. */
export function processInitResponse(
  ctx: Ikev2Context,
  sa: IkeSa,
  conn: ConnectionConfig,
  msg: IkeMessage,
  bytes: Uint8Array,
): InitResponseOutcome {
  const p = msg.payloads;
  const cookie = notifies(p, Notify.COOKIE)[0];
  if (cookie) {
    // §2.6: a responder under load; retry once with its cookie.
    if (sa.cookie) return { kind: 'failed', reason: 'second COOKIE request' };
    sa.cookie = cookie.data;
    return { kind: 'retry' };
  }
  const ike = notifies(p, Notify.INVALID_KE_PAYLOAD)[0];
  if (ike) {
    const wanted = ike.data.length === 2 ? ((ike.data[0] ?? 0) << 8) | (ike.data[1] ?? 0) : -1;
    const offered = conn.proposals.some((pr) => pr.transforms.dh.includes(wanted));
    // §1.2: retry with the group the responder wants, if we offered it, once.
    if (!offered || sa.keGroup !== undefined) {
      return { kind: 'failed', reason: `INVALID_KE_PAYLOAD asks for group ${wanted}`, notify: 'INVALID_KE_PAYLOAD' };
    }
    sa.keGroup = wanted;
    return { kind: 'retry' };
  }
  const err = firstError(p);
  if (err) return { kind: 'failed', reason: notifyText(err.notifyType), notify: notifyText(err.notifyType) };
  const saP = first(p, 'SA');
  const ke = first(p, 'KE');
  const no = first(p, 'No');
  if (!saP || !ke || !no || msg.header.spiR === 0n)
    return { kind: 'failed', reason: 'IKE_SA_INIT response lacks SA, KE or Nonce' };
  // §2.7: the response holds exactly one proposal, which must be one we offered.
  if (saP.proposals.length !== 1) return { kind: 'failed', reason: 'responder returned more than one proposal' };
  const sel = selectProposal(conn.proposals, payloadToReceived(saP.proposals), ke.dhGroup);
  if (!sel.ok || sel.selected.dh !== ke.dhGroup || ke.dhGroup !== sa.ke?.group) {
    return { kind: 'failed', reason: 'responder chose a proposal we did not offer' };
  }
  if (no.nonce.length < 16 || no.nonce.length > 256) return { kind: 'failed', reason: 'bad nonce length' };
  let gir: Uint8Array;
  try {
    gir = sa.ke.sharedSecret(ke.keyData);
  } catch (e) {
    return { kind: 'failed', reason: e instanceof CryptoError ? e.message : 'bad KE payload' };
  }
  sa.spiR = msg.header.spiR;
  sa.nonceR = no.nonce.slice();
  sa.peerSigHashes = peerSigHashes(p);
  sa.peerFragmentation = announcesFragmentation(p);
  sa.initResponse = bytes;
  deriveKeys(sa, sel.selected, gir);
  applyNatd(ctx, sa, msg.header.spiR, p);
  // §2.23: with a NAT (or forced encapsulation), move to port 4500 for IKE_AUTH onwards.
  // RFC 4555 §3.3: with MOBIKE configured and a peer that does NAT-T, move even without a
  // NAT, before knowing whether the peer does MOBIKE (strongSwan 5.9.8 ike_natd.c process_i).
  const float = sa.natDetected || sa.natFaked || (conn.mobike && sa.natSupported);
  if (float && sa.remote.port === 500) {
    sa.local = { address: sa.local.address, port: IKE_NATT_PORT };
    sa.remote = { address: sa.remote.address, port: IKE_NATT_PORT };
  }
  return { kind: 'established-keys' };
}

// ---------------------------------------------------------------- responder

export type InitRequestOutcome =
  | { kind: 'reply'; bytes: Uint8Array }
  | { kind: 'created'; bytes: Uint8Array }
  | { kind: 'drop'; reason: string };

function errorResponse(msg: IkeMessage, payload: IkePayload): Uint8Array {
  // §1.2/§2.6: error responses to IKE_SA_INIT carry a zero responder SPI.
  return encodeIkeMessage(
    {
      spiI: msg.header.spiI,
      spiR: 0n,
      exchangeType: ExchangeType.IKE_SA_INIT,
      flags: HeaderFlag.RESPONSE,
      messageId: 0,
    },
    [payload],
  );
}

/**
 * Answer an IKE_SA_INIT request on `sa` (fresh, responder role, local/remote set). `conns`
 * are the connections matching the addresses; their IKE proposals are offered in order.
 */
export function processInitRequest(
  ctx: Ikev2Context,
  sa: IkeSa,
  conns: ConnectionConfig[],
  msg: IkeMessage,
  bytes: Uint8Array,
): InitRequestOutcome {
  const p = msg.payloads;
  const saP = first(p, 'SA');
  const ke = first(p, 'KE');
  const no = first(p, 'No');
  if (!saP || !ke || !no) return { kind: 'reply', bytes: errorResponse(msg, notify(Notify.INVALID_SYNTAX)) };
  if (no.nonce.length < 16 || no.nonce.length > 256) {
    return { kind: 'reply', bytes: errorResponse(msg, notify(Notify.INVALID_SYNTAX)) };
  }
  const conn = conns[0];
  if (!conn) return { kind: 'reply', bytes: errorResponse(msg, notify(Notify.NO_PROPOSAL_CHOSEN)) };
  const own = conns.flatMap((c) => c.proposals);
  const sel = selectProposal(own, payloadToReceived(saP.proposals), ke.dhGroup);
  if (!sel.ok) {
    ctx.logger.log('info', 'ike', `IKE_SA_INIT from ${sa.name}: no proposal chosen (${sel.reason})`);
    return { kind: 'reply', bytes: errorResponse(msg, notify(Notify.NO_PROPOSAL_CHOSEN)) };
  }
  const group = sel.selected.dh ?? 0;
  if (group !== ke.dhGroup) {
    // §1.2: tell the initiator which group we want (2 octets).
    return {
      kind: 'reply',
      bytes: errorResponse(msg, notify(Notify.INVALID_KE_PAYLOAD, new Uint8Array([group >> 8, group & 0xff]))),
    };
  }
  sa.ke = createKeyExchange(group, ctx.rng);
  let gir: Uint8Array;
  try {
    gir = sa.ke.sharedSecret(ke.keyData);
  } catch {
    return { kind: 'reply', bytes: errorResponse(msg, notify(Notify.INVALID_SYNTAX)) };
  }
  sa.conn = conn;
  sa.nonceI = no.nonce.slice();
  sa.peerSigHashes = peerSigHashes(p);
  sa.peerFragmentation = announcesFragmentation(p);
  sa.nonceR = new Uint8Array(NONCE_LENGTH);
  ctx.rng.fill(sa.nonceR);
  sa.initRequest = bytes;
  deriveKeys(sa, sel.selected, gir);
  applyNatd(ctx, sa, 0n, p);
  const out: IkePayload[] = [
    { kind: 'SA', proposals: [selectedToPayload(sel.selected, new Uint8Array(0))] },
    { kind: 'KE', dhGroup: group, keyData: sa.ke.publicValue },
    { kind: 'No', nonce: sa.nonceR },
  ];
  if (all(p, 'N').some((n) => n.notifyType === Notify.NAT_DETECTION_SOURCE_IP)) {
    out.push(...natdPayloads(ctx, sa, sa.spiR, conn.encap));
  }
  out.push(...fragmentationNotify(conn, false, sa.peerFragmentation));
  if (conns.some(usesPubkey)) out.push(sigHashNotify());
  // §3.7: ask for the initiator's certificate (strongSwan's send_cert = ifasked needs it).
  const pk = conns.find((c) => isPubkeyAuth(c.remote[0]?.auth));
  const req = pk ? certreqPayload(ctx, pk) : undefined;
  if (req) out.splice(3, 0, req);
  sa.initResponse = encodeIkeMessage(
    { spiI: sa.spiI, spiR: sa.spiR, exchangeType: ExchangeType.IKE_SA_INIT, flags: HeaderFlag.RESPONSE, messageId: 0 },
    out,
  );
  return { kind: 'created', bytes: sa.initResponse };
}
