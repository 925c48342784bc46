/**
 * MOBIKE, RFC 4555: negotiation in IKE_AUTH (§3.2), additional addresses (§3.4, §3.6),
 * moving the IKE SA and all its CHILD SAs to new addresses (§3.5), the COOKIE2 return
 * routability check (§3.7) and NAT mapping changes seen in liveness checks (§3.8).
 *
 *   HDR, SK { N(UPDATE_SA_ADDRESSES), N(NAT_DETECTION_SOURCE_IP),
 *             N(NAT_DETECTION_DESTINATION_IP), N(COOKIE2),
 *             N(NO_ADDITIONAL_ADDRESSES) | N(ADDITIONAL_*_ADDRESS)+ }  -->
 *                  <--  HDR, SK { N(NAT_DETECTION_SOURCE_IP), N(NAT_DETECTION_DESTINATION_IP),
 *                                 N(COOKIE2) }
 *
 * Only the original initiator sends UPDATE_SA_ADDRESSES (§3.5); the responder moves only on
 * an authenticated request (the engine calls in here after the SK payload verified).
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { buildNatd, type Endpoint, judgeNatd } from '../ike/natd.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import { ExchangeType, type IkePayload } from '../wire/ike/ike-types.js';
import { noItems } from './compact-state.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify } from './ikev2-numbers.js';
import { all, notifies, notify } from './payload-find.js';
import { addrsMatch } from './peer-match.js';

/** strongSwan's COOKIE2 length (ike_mobike.c); §4.2.5 allows 8..64 octets. */
export const COOKIE2_LENGTH = 16;
/** At most this many ADDITIONAL_*_ADDRESS notifies are sent (strongSwan: 8) or kept. */
export const MAX_ADDITIONAL_ADDRESSES = 8;

const epText = (e: Endpoint): { address: string; port: number } => ({ address: formatIp(e.address), port: e.port });
const sameEndpoint = (a: Endpoint, b: Endpoint): boolean => a.port === b.port && bytesEqual(a.address, b.address);

// ---------------------------------------------------------------- IKE_AUTH (§3.2, §3.4)

/**
 * N(MOBIKE_SUPPORTED) and our address list for the IKE_AUTH message that carries the SA
 * payload: the addresses other than the IKE SA's own, or N(NO_ADDITIONAL_ADDRESSES).
 */
export function mobikeAuthPayloads(host: Ikev2Context, sa: IkeSa): IkePayload[] {
  return [notify(Notify.MOBIKE_SUPPORTED), ...addressList(host, sa)];
}

function addressList(host: Ikev2Context, sa: IkeSa): IkePayload[] {
  const extra = host.localAddresses
    .filter((a) => !bytesEqual(a, sa.local.address))
    .slice(0, MAX_ADDITIONAL_ADDRESSES)
    .map((a) => notify(a.length === 4 ? Notify.ADDITIONAL_IP4_ADDRESS : Notify.ADDITIONAL_IP6_ADDRESS, a.slice()));
  return extra.length > 0 ? extra : [notify(Notify.NO_ADDITIONAL_ADDRESSES)];
}

/**
 * The peer's IKE_AUTH notifies: MOBIKE is on when the peer sent MOBIKE_SUPPORTED and our
 * connection has `mobike = yes` (strongSwan: "peer supports MOBIKE, but disabled in config").
 */
export function processMobikeAuth(ctx: Ikev2Context, sa: IkeSa, conn: ConnectionConfig, p: IkePayload[]): void {
  if (notifies(p, Notify.MOBIKE_SUPPORTED).length === 0) return;
  if (!conn.mobike) {
    ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] peer supports MOBIKE, but disabled in config`);
    return;
  }
  sa.mobike = true;
  ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] peer supports MOBIKE`);
  storePeerAddresses(ctx, sa, p);
}

/**
 * §3.4, §3.6: a list of ADDITIONAL_*_ADDRESS (or NO_ADDITIONAL_ADDRESSES) replaces the one
 * kept. A notify whose data is not exactly one address of its family is ignored.
 */
function storePeerAddresses(ctx: Ikev2Context, sa: IkeSa, p: IkePayload[]): void {
  const ns = all(p, 'N');
  const none = ns.some((n) => n.notifyType === Notify.NO_ADDITIONAL_ADDRESSES);
  const list: Uint8Array[] = [];
  for (const n of ns) {
    const want =
      n.notifyType === Notify.ADDITIONAL_IP4_ADDRESS ? 4 : n.notifyType === Notify.ADDITIONAL_IP6_ADDRESS ? 16 : 0;
    if (want === 0) continue;
    if (n.data.length !== want) {
      ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}] ignoring ADDITIONAL address of ${n.data.length} bytes`);
      continue;
    }
    if (list.length < MAX_ADDITIONAL_ADDRESSES) list.push(n.data.slice());
  }
  if (none || list.length > 0) sa.peerAdditional = list.length > 0 ? list : noItems();
}

// ---------------------------------------------------------------- CHILD SAs follow the IKE SA

/**
 * Point every CHILD SA at the IKE SA's addresses and NAT state, in one batch of
 * `update-child` actions (§3.5: the IPsec SAs take the IKE SA's addresses; §2.23 / RFC 3948:
 * UDP encapsulation on the IKE ports while a NAT is detected, plain ESP otherwise).
 */
export function moveChildren(ctx: Ikev2Context, sa: IkeSa): void {
  const encap = sa.natDetected || sa.natFaked;
  for (const c of sa.children) {
    const plan = c.plan;
    plan.inbound.src = sa.remote.address;
    plan.inbound.dst = sa.local.address;
    plan.outbound.src = sa.local.address;
    plan.outbound.dst = sa.remote.address;
    if (encap) plan.encap = { localPort: sa.local.port, remotePort: sa.remote.port };
    else delete plan.encap;
    plan.keepalive = sa.localBehindNat || sa.natFaked;
    plan.float = encap && sa.remoteBehindNat;
    ctx.emit({ kind: 'update-child', plan });
  }
}

function natdPayloads(ctx: Ikev2Context, sa: IkeSa, local: Endpoint, remote: Endpoint): IkePayload[] {
  let fake: Uint8Array | undefined;
  if (sa.natFaked) {
    // encap = yes keeps faking our SOURCE hash (strongSwan's force-encap, ike_natd.c).
    fake = new Uint8Array(4);
    ctx.rng.fill(fake);
  }
  const n = buildNatd(sa.spiI, sa.spiR, local, remote, fake);
  return [notify(Notify.NAT_DETECTION_SOURCE_IP, n.source), notify(Notify.NAT_DETECTION_DESTINATION_IP, n.destination)];
}

/** Judge NAT-D notifies of a message received on `local` from `remote`; true when NAT state changed. */
function applyNatd(sa: IkeSa, local: Endpoint, remote: Endpoint, p: IkePayload[]): boolean {
  const src = notifies(p, Notify.NAT_DETECTION_SOURCE_IP).map((n) => n.data);
  const dst = notifies(p, Notify.NAT_DETECTION_DESTINATION_IP)[0]?.data;
  if (src.length === 0 || dst === undefined) return false;
  const r = judgeNatd(sa.spiI, sa.spiR, local, remote, src, dst);
  const changed = r.localBehindNat !== sa.localBehindNat || r.remoteBehindNat !== sa.remoteBehindNat;
  sa.localBehindNat = r.localBehindNat;
  sa.remoteBehindNat = r.remoteBehindNat;
  return changed;
}

function natEvent(ctx: Ikev2Context, sa: IkeSa): void {
  ctx.event({
    kind: 'nat-detected',
    conn: sa.name,
    ikeId: sa.id,
    local: sa.localBehindNat,
    remote: sa.remoteBehindNat,
    faked: sa.natFaked,
  });
}

// ---------------------------------------------------------------- initiator (§3.5, §3.7, §3.8)

/**
 * Our address towards the peer is now `local` (the daemon saw an address or route change),
 * or `force`: the NAT mapping changed (§3.8). The IKE SA and its CHILD SAs move at once, and
 * an INFORMATIONAL with UPDATE_SA_ADDRESSES, NAT-D and COOKIE2 goes out when the window
 * allows; an outstanding request is retransmitted from the new address (engine-timers.ts
 * reads sa.local). Returns false when MOBIKE is not in use on this SA or nothing changed.
 */
export function startAddressUpdate(host: Ikev2Context, sa: IkeSa, local: Uint8Array, force = false): boolean {
  if (!sa.mobike || !sa.initiator || sa.lifecycle.state !== 'established') return false;
  const moved = !bytesEqual(local, sa.local.address);
  if (!moved && !force) return false;
  const previous = { local: sa.local, remote: sa.remote };
  if (moved) {
    sa.local = { address: local, port: sa.local.port };
    moveChildren(host, sa);
  }
  sa.mobikeSerial += 1;
  host.logger.log(
    'info',
    'ike',
    `${sa.name}[#${sa.id}] MOBIKE: updating addresses to ${formatIp(sa.local.address)} - ${formatIp(sa.remote.address)}`,
  );
  // §3.5 "if a new address change occurs while waiting": a queued request reads the
  // addresses when it is sent, so one queued update serves every change before it.
  if (sa.mobikeQueued) return true;
  sa.mobikeQueued = true;
  let cookie2 = new Uint8Array(0);
  let serial = 0;
  const build = (): IkePayload[] => {
    sa.mobikeQueued = false;
    serial = sa.mobikeSerial;
    cookie2 = new Uint8Array(COOKIE2_LENGTH);
    host.rng.fill(cookie2);
    return [
      notify(Notify.UPDATE_SA_ADDRESSES),
      ...natdPayloads(host, sa, sa.local, sa.remote),
      notify(Notify.COOKIE2, cookie2),
      ...addressList(host, sa),
    ];
  };
  host.request(sa, ExchangeType.INFORMATIONAL, build, (s, p) => {
    // §3.7: a COOKIE2 that does not match closes the IKE SA.
    const echoed = notifies(p, Notify.COOKIE2)[0]?.data;
    if (!echoed || !bytesEqual(echoed, cookie2)) {
      event(host, s, 'initiator', 'cookie2-mismatch');
      host.destroy(s, 'MOBIKE: COOKIE2 mismatch');
      return;
    }
    // §3.5: a reply to an update overtaken by a newer one gets no MOBIKE processing.
    if (serial !== s.mobikeSerial) return;
    if (notifies(p, Notify.UNACCEPTABLE_ADDRESSES).length > 0) {
      // §3.5: "keep on using the previously used addresses" (one of the RFC's choices).
      s.local = previous.local;
      s.remote = previous.remote;
      moveChildren(host, s);
      event(host, s, 'initiator', 'unacceptable');
      return;
    }
    const dst = notifies(p, Notify.NAT_DETECTION_DESTINATION_IP)[0]?.data;
    if (dst) s.natdDestination = dst.slice();
    // §3.5: NAT-D in the reply enables or disables UDP encapsulation (the addresses moved
    // when the update was started).
    if (applyNatd(s, s.local, s.remote, p)) {
      natEvent(host, s);
      moveChildren(host, s);
    }
    event(host, s, 'initiator', 'done');
  });
  event(host, sa, 'initiator', 'sent');
  return true;
}

/**
 * NAT-D for a liveness check of the original initiator (§3.8: SHOULD behind a NAT, MAY in
 * any INFORMATIONAL). We add them without a NAT too (strongSwan only behind one), so a NAT
 * that appears on an unchanged address is noticed as well.
 */
export function livenessNatd(ctx: Ikev2Context, sa: IkeSa): IkePayload[] {
  if (!sa.mobike || !sa.initiator) return [];
  return natdPayloads(ctx, sa, sa.local, sa.remote);
}

/**
 * The reply to a liveness check that carried NAT-D: a DESTINATION hash other than the last
 * one means the NAT mapping changed, and an address update follows (§3.8).
 */
export function livenessReply(host: Ikev2Context, sa: IkeSa, p: IkePayload[]): void {
  if (!sa.mobike || !sa.initiator) return;
  const dst = notifies(p, Notify.NAT_DETECTION_DESTINATION_IP)[0]?.data;
  if (!dst || (sa.natdDestination && bytesEqual(dst, sa.natdDestination))) return;
  host.logger.log('info', 'ike', `${sa.name}[#${sa.id}] MOBIKE: NAT mapping changed, updating addresses`);
  startAddressUpdate(host, sa, sa.local.address, true);
}

// ---------------------------------------------------------------- responder (§3.5, §3.6, §3.8)

/**
 * The MOBIKE part of an authenticated INFORMATIONAL request received on `local` from
 * `remote`. Returns the notifies the response carries (NAT-D, COOKIE2, or
 * UNACCEPTABLE_ADDRESSES); the IKE SA and its CHILD SAs have moved when it was an accepted
 * UPDATE_SA_ADDRESSES.
 */
export function mobikeInformational(
  ctx: Ikev2Context,
  sa: IkeSa,
  local: Endpoint,
  remote: Endpoint,
  p: IkePayload[],
): IkePayload[] {
  const out: IkePayload[] = [];
  // §4.2.5: COOKIE2 in any INFORMATIONAL request is copied as-is into the response.
  const cookie2 = notifies(p, Notify.COOKIE2)[0];
  const echo = cookie2 ? [notify(Notify.COOKIE2, cookie2.data)] : [];
  if (!sa.mobike) return echo;
  storePeerAddresses(ctx, sa, p);
  const hasNatd = notifies(p, Notify.NAT_DETECTION_SOURCE_IP).length > 0;
  const update = notifies(p, Notify.UPDATE_SA_ADDRESSES).length > 0 && !sa.initiator;
  if (update) {
    // §3.5: the address pair must be acceptable to our policy: the connection's
    // remote_addrs, and one address family.
    if (
      local.address.length !== remote.address.length ||
      !addrsMatch(sa.conn?.remoteAddrs ?? ['%any'], remote.address)
    ) {
      ctx.logger.log(
        'info',
        'ike',
        `${sa.name}[#${sa.id}] MOBIKE: ${formatIp(remote.address)} is not acceptable, sending UNACCEPTABLE_ADDRESSES`,
      );
      event(ctx, sa, 'responder', 'refused', local, remote);
      return [notify(Notify.UNACCEPTABLE_ADDRESSES), ...echo];
    }
    const natChanged = applyNatd(sa, local, remote, p);
    const moved = !sameEndpoint(local, sa.local) || !sameEndpoint(remote, sa.remote);
    // §3.5: the IKE SA takes the addresses of the IP header, the IPsec SAs follow.
    sa.local = local;
    sa.remote = remote;
    if (natChanged) natEvent(ctx, sa);
    if (moved || natChanged) moveChildren(ctx, sa);
    event(ctx, sa, 'responder', 'done');
  }
  // §3.8: NAT-D in any INFORMATIONAL request is answered with ours.
  if (hasNatd) out.push(...natdPayloads(ctx, sa, local, remote));
  out.push(...echo);
  return out;
}

function event(
  ctx: Ikev2Context,
  sa: IkeSa,
  role: 'initiator' | 'responder',
  result: 'sent' | 'done' | 'refused' | 'unacceptable' | 'cookie2-mismatch',
  local: Endpoint = sa.local,
  remote: Endpoint = sa.remote,
): void {
  ctx.event({
    kind: 'address-update',
    conn: sa.name,
    ikeId: sa.id,
    role,
    result,
    local: epText(local),
    remote: epText(remote),
  });
}
