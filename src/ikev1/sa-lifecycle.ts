/**
 * The life of an ISAKMP SA in the engine: created, established (then XAUTH / Mode Config or
 * Quick Mode), failed (reported as `auth-failed`, `up` answered with the reason) and removed
 * with its CHILD SAs, virtual IPs and pool leases. Functions over the engine's shared state
 * (engine-core.ts).
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { formatIdentity } from '../ike/identity.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import { decodeIsakmpHeader } from '../wire/isakmp/isakmp-decode.js';
import { clientXauth } from './aggressive-initiator.js';
import { usesXauth } from './aggressive-mode.js';
import { type EngineCore, emit, logMessage, newCookie } from './engine-core.js';
import { clearErrorInformational, ERROR_NOTIFY } from './error-notify.js';
import { createIkev1Sa, type Ikev1Child, type Ikev1Sa } from './ikev1-sa.js';
import { clientChildren, type ModeConfigResult } from './mode-config-client.js';

/** A new ISAKMP SA in the table; a responder picks its cookie now, an initiator learns it from MM2/AM2. */
export function newSa(
  core: EngineCore,
  conn: ConnectionConfig,
  initiator: boolean,
  local: Endpoint,
  remote: Endpoint,
  spiI: bigint,
): Ikev1Sa {
  const spiR = initiator ? 0n : newCookie(core.rng);
  const sa = createIkev1Sa(core.nextId++, conn, initiator, local, remote, spiI, spiR, core.clock.now());
  core.sas.set(spiI, sa);
  return sa;
}

/** Phase 1 is complete (MM6 / AM3 handled): events, timers, then XAUTH / Mode Config or Quick Mode. */
export function established(core: EngineCore, sa: Ikev1Sa): void {
  sa.retransmitAt = undefined;
  // Appendix B: every phase 2 IV derives from the last CBC block of phase 1 (MM6).
  sa.phase1LastBlock = sa.iv;
  core.logger.log(
    'info',
    'ike',
    `[ike1#${sa.id}] IKE_SA ${sa.conn.name} established between ${formatIp(sa.local.address)}[${sa.local.port}]...${formatIp(sa.remote.address)}[${sa.remote.port}]`,
  );
  if (sa.natt)
    emit(core, {
      kind: 'nat-detected',
      conn: sa.conn.name,
      ikeId: sa.id,
      local: sa.localBehindNat,
      remote: sa.remoteBehindNat,
      faked: sa.conn.encap,
    });
  emit(core, {
    kind: 'ike-up',
    conn: sa.conn.name,
    ikeId: sa.id,
    local: { address: formatIp(sa.local.address), port: sa.local.port },
    remote: { address: formatIp(sa.remote.address), port: sa.remote.port },
    remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '%any',
  });
  core.info.established(sa);
  const configuredLater = sa.initiator && (clientXauth(sa.conn) || sa.conn.vips.length > 0);
  // strongSwan adopts the CHILD SAs of a replaced SA after XAUTH (xauth.c); so does esprit,
  // and a client's replacement adopts them once XAUTH and Mode Config are done
  if (sa.initiator ? !(configuredLater && sa.replaces) : !usesXauth(sa.conn))
    core.phase1.established(sa, core.clock.now());
  // xauth-06 §6.2: the gateway asks for the user right after phase 1, then Mode Config push
  if (!sa.initiator) core.transactions.afterPhase1(sa, usesXauth(sa.conn));
  // a client of XAUTH or Mode Config starts its CHILD SAs once configured (clientConfigured)
  if (configuredLater) core.clientTx.established(sa);
  else startChildren(core, sa, undefined);
}

/** Quick Mode for the children `up` asked for (with Unity split include, one per network). */
function startChildren(core: EngineCore, sa: Ikev1Sa, r: ModeConfigResult | undefined): void {
  const asked = (sa.pendingChildren ?? []).flatMap((n) => sa.conn.children.filter((c) => c.name === n));
  const children = sa.initiator ? clientChildren(asked, r) : asked;
  if (r) sa.clientChildren = children;
  sa.pendingChildren = undefined;
  // The `up` request is answered by the first Quick Mode (as IKEv2's by IKE_AUTH's CHILD SA).
  for (const [i, c] of children.entries()) core.phase2.initiate(sa, c, i === 0 ? sa.requestId : undefined);
  if (children.length === 0 && sa.requestId !== undefined)
    core.actions.push({ kind: 'initiate-result', requestId: sa.requestId, ok: true, reason: 'established' });
}

/** Client: Mode Config done (or not asked for): the virtual IP on the TUN, then Quick Mode. */
export function clientConfigured(core: EngineCore, sa: Ikev1Sa, r: ModeConfigResult | undefined): void {
  if (sa.replaces && replacementConfigured(core, sa, sa.replaces)) return;
  for (const address of sa.vipsLocal ?? [])
    core.actions.push({ kind: 'vip-add', ikeId: sa.id, address, dns: r?.dns ?? [] });
  startChildren(core, sa, r);
}

/**
 * A client's phase 1 rekey is configured (XAUTH and Mode Config done). The same virtual IP (or
 * none on either): the new SA adopts the CHILD SAs and keeps the address on the TUN (true).
 * Another address: the CHILD SAs' selectors name the old one, so the old SA goes now (Deletes,
 * its CHILD SAs and address removed) and the children `up` asked for get new Quick Modes on
 * the new SA with the new address (false: the caller continues as for a first connection).
 */
function replacementConfigured(core: EngineCore, sa: Ikev1Sa, old: Ikev1Sa): boolean {
  const now = core.clock.now();
  const same = (a: Uint8Array[] = [], b: Uint8Array[] = []) =>
    a.length === b.length && a.every((x, i) => bytesEqual(x, b[i] ?? new Uint8Array(0)));
  if (core.sas.get(old.spiI) === old && old.state === 'established') {
    if (same(old.vipsLocal, sa.vipsLocal)) {
      if (old.clientChildren) sa.clientChildren = old.clientChildren;
      // the address stays on the TUN: the old SA's removal must not take it away
      old.vipsLocal = [];
      core.phase1.established(sa, now);
      return true;
    }
    const addrs = (xs: Uint8Array[] = []) => xs.map(formatIp).join(', ') || '-';
    core.logger.log(
      'warn',
      'ike',
      `[ike1#${sa.id}] the gateway assigned ${addrs(sa.vipsLocal)} instead of ${addrs(old.vipsLocal)}: ISAKMP SA #${old.id} and its CHILD SAs go, new Quick Modes follow`,
    );
    core.info.sendDeletes(old);
    removeSa(core, old, 'replaced by a new ISAKMP SA');
  }
  // the old SA is gone (or just went): nothing to adopt, its children are made again
  sa.replaces = undefined;
  sa.pendingChildren = sa.askedChildren;
  core.phase1.established(sa, now);
  return false;
}

/** A failed connection: logged, `auth-failed` for `esprit monitor`, `up` answered with the reason. */
function authFailed(core: EngineCore, sa: Ikev1Sa, notify: string, reason: string): void {
  core.logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name} failed: ${notify}: ${reason}`);
  emit(core, authFailedEvent(sa, notify, reason));
  if (sa.requestId !== undefined)
    core.actions.push({
      kind: 'initiate-result',
      requestId: sa.requestId,
      ok: false,
      reason: `${notify}: ${reason}`,
    });
}

/** Phase 1 failed; `tell`: send the peer the error notify (not for one it sent us). */
export function failPhase1(core: EngineCore, sa: Ikev1Sa, notify: string, reason: string, tell = true): void {
  const type = ERROR_NOTIFY[notify];
  if (tell && type !== undefined) {
    // RFC 2408 §4.8: before phase 1 completes the Informational is unprotected
    const n = clearErrorInformational(sa, type, (b) => core.rng.fill(b));
    logMessage(core, sa, 'generating', decodeIsakmpHeader(n.bytes), n.payloads, true);
    core.actions.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: n.bytes });
  }
  sa.state = 'failed';
  sa.failure = `${notify}: ${reason}`;
  sa.retransmitAt = undefined;
  authFailed(core, sa, notify, reason);
  core.sas.delete(sa.spiI);
  core.phase2.forget(sa);
  if (sa.replaces) core.phase1.replacementFailed(sa, core.clock.now());
}

export function removeChild(core: EngineCore, sa: Ikev1Sa, c: Ikev1Child, reason: string): void {
  sa.children = sa.children.filter((x) => x !== c);
  core.actions.push({ kind: 'remove-child', plan: c.plan });
  emit(core, {
    kind: 'child-down',
    conn: sa.conn.name,
    ikeId: sa.id,
    child: c.name,
    spiIn: c.spiIn,
    spiOut: c.spiOut,
    reason,
  });
}

/**
 * Client: XAUTH refused (XAUTH_STATUS 0, xauth-06 §6.3), no credentials, or Mode Config
 * failed: the connection fails (auth-failed, `up` answered with the reason), the gateway gets
 * a Delete for the ISAKMP SA.
 */
export function clientFailed(core: EngineCore, sa: Ikev1Sa, notify: string, reason: string): void {
  authFailed(core, sa, notify, reason);
  sa.requestId = undefined;
  // a failed phase 1 rekey: the old SA keeps its CHILD SAs and tries again (phase1-rekey.ts)
  if (sa.replaces) core.phase1.replacementFailed(sa, core.clock.now());
  core.info.sendDeletes(sa);
  removeSa(core, sa, reason);
}

/** XAUTH finished: a failed user loses the ISAKMP SA (after the CFG_ACK, xauth-06 §6.3). */
export function xauthDone(core: EngineCore, sa: Ikev1Sa, ok: boolean, user: string): void {
  if (ok) {
    core.phase1.established(sa, core.clock.now());
    return;
  }
  emit(core, authFailedEvent(sa, 'AUTHENTICATION-FAILED', `XAUTH failed for '${user}'`));
  core.info.sendDeletes(sa);
  removeSa(core, sa, 'XAUTH failed');
}

/** Remove an ISAKMP SA and its CHILD SAs locally (IKEv1 CHILD SAs go with it, as in charon). */
export function removeSa(core: EngineCore, sa: Ikev1Sa, reason0: string): void {
  // a replaced SA's end is no close_action matter (its CHILD SAs live on in the new one)
  const reason =
    sa.life?.retireAt !== undefined && reason0 === 'deleted by peer' ? 'replaced by a new ISAKMP SA' : reason0;
  for (const c of [...sa.children]) removeChild(core, sa, c, reason);
  if (sa.state === 'established') emit(core, { kind: 'ike-down', conn: sa.conn.name, ikeId: sa.id, reason });
  core.sas.delete(sa.spiI);
  core.phase2.forget(sa);
  core.transactions.forget(sa);
  core.clientTx.forget(sa);
  for (const address of sa.vipsLocal ?? []) core.actions.push({ kind: 'vip-remove', ikeId: sa.id, address });
  for (const l of sa.leases ?? []) core.pools().get(l.pool)?.release(l.who, l.address);
}

function authFailedEvent(sa: Ikev1Sa, notify: string, detail: string): IkeEvent {
  const peer = `${formatIp(sa.remote.address)}:${sa.remote.port}`;
  return { kind: 'auth-failed', conn: sa.conn.name, ikeId: sa.id, notify, peer, detail };
}
