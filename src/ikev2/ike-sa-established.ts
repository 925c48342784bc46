/**
 * An IKE SA comes up (RFC 7296 §1.2, §2.15): what the engine records when IKE_AUTH completes
 * (as initiator through the AuthCallbacks, as responder once the uniqueness policy let the
 * peer in), and when a rekeyed IKE SA's successor takes its place (§2.18): the SA tables,
 * DPD, the uniqueness index and the rekey and reauthentication times; the IKE_SA_INIT state
 * that AUTH needed is dropped.
 */
import type { CookieGuard } from '../ike/cookie-guard.js';
import { formatIdentity } from '../ike/identity.js';
import { formatIp } from '../util/ip-addr.js';
import type { IkePayload } from '../wire/ike/ike-types.js';
import type { AuthCallbacks } from './auth-shared.js';
import { EMPTY_BYTES } from './compact-state.js';
import { leaseIdentity, releaseLeases } from './config-payload.js';
import { deleteIke } from './exchange-info.js';
import type { ReauthSchedule } from './ike-reauth.js';
import type { IkeRekeySchedule } from './ike-rekey-schedule.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';
import { Notify } from './ikev2-numbers.js';
import { endpointText } from './peer-address.js';
import { scheduleReauth } from './reauth-host.js';
import { applyUniqueness, type UniquenessIndex } from './unique-policy.js';

/** The engine's tables an IKE SA joins when it is up. */
export interface SaTables {
  /** responder IKE SAs by initiator SPI and source, until IKE_AUTH (retransmitted IKE_SA_INIT) */
  readonly halfOpen: Map<string, IkeSa>;
  readonly cookies: CookieGuard;
  /** established IKE SAs of connections with dpd_delay */
  readonly dpd: Set<IkeSa>;
  readonly unique: UniquenessIndex;
  readonly reauths: ReauthSchedule;
  readonly ikeRekeys: IkeRekeySchedule;
  /** put an IKE SA in the SA table (by our SPI) */
  register(sa: IkeSa): void;
}

/** What IKE_AUTH (exchange-auth.ts, exchange-eap.ts) reports to the engine as initiator. */
export function authCallbacks(ctx: Ikev2Context, t: SaTables): AuthCallbacks {
  return {
    established: (sa) => establish(ctx, t, sa),
    failed: (sa, reason, notifyName) => {
      if (notifyName)
        ctx.event({
          kind: 'auth-failed',
          conn: sa.name,
          ikeId: sa.id,
          notify: notifyName,
          peer: formatIp(sa.remote.address),
          detail: reason,
        });
      ctx.destroy(sa, reason);
    },
    childFailed: (sa, reason) => {
      ctx.logger.log('info', 'ike', `${sa.name}[#${sa.id}]: CHILD SA failed: ${reason}`);
      if (sa.upRequest !== undefined) ctx.emit({ kind: 'initiate-result', requestId: sa.upRequest, ok: false, reason });
      sa.upRequest = undefined;
    },
    childUp: (sa) => {
      if (sa.upRequest !== undefined)
        ctx.emit({ kind: 'initiate-result', requestId: sa.upRequest, ok: true, reason: 'established' });
      sa.upRequest = undefined;
    },
  };
}

/** A rekeyed IKE SA's successor takes its place (§2.18); the old one waits for its Delete. */
export function adopt(ctx: Ikev2Context, t: SaTables, old: IkeSa, fresh: IkeSa): void {
  t.register(fresh);
  t.unique.add(fresh);
  if ((fresh.conn?.dpdDelay ?? 0) > 0) t.dpd.add(fresh);
  for (const c of fresh.children) ctx.childAdded(fresh, c);
  t.ikeRekeys.schedule(ctx, fresh, 0);
  // A rekey keeps the authentication: the reauthentication time carries over.
  if (old.reauthAt > 0 && fresh.initiator) {
    fresh.reauthAt = old.reauthAt;
    t.reauths.add(fresh, fresh.reauthAt);
  }
  ctx.logger.log(
    'info',
    'ike',
    `${old.name}[#${old.id}] rekeyed to [#${fresh.id}] ${fresh.spiI.toString(16)}_i ${fresh.spiR.toString(16)}_r`,
  );
}

/**
 * The responder authenticated the peer: the uniqueness policy (unique-policy.ts) decides
 * whether the IKE SA stands and which older ones go. Returns the reason to refuse it.
 */
export function authenticated(ctx: Ikev2Context, t: SaTables, sa: IkeSa, payloads: IkePayload[]): string | undefined {
  const initialContact = payloads.some((x) => x.kind === 'N' && x.notifyType === Notify.INITIAL_CONTACT);
  const v = applyUniqueness(sa, t.unique, initialContact);
  if (!v.accept) return v.reason;
  establish(ctx, t, sa);
  for (const old of v.replace) {
    ctx.logger.log('info', 'ike', `${old.name}[#${old.id}] replaced by [#${sa.id}] (unique / INITIAL_CONTACT)`);
    // The identity's virtual IP is free again before the new IKE SA asks for one (CP).
    releaseLeases(ctx, old, leaseIdentity(old));
    // One Delete, not waited for: the peer said it has no other IKE SA (INITIAL_CONTACT),
    // or replaces it by policy; its CHILD SAs must not linger through retransmissions.
    old.lifecycle.transition('deleting', 'replaced', ctx.clock.now());
    deleteIke(ctx, old, 'replaced by a new IKE SA of the same peer');
    ctx.destroy(old, 'replaced by a new IKE SA of the same peer');
  }
  return undefined;
}

export function establish(ctx: Ikev2Context, t: SaTables, sa: IkeSa): void {
  sa.lifecycle.transition('established', 'IKE_AUTH complete', ctx.clock.now());
  sa.establishedAt = ctx.clock.now();
  t.unique.add(sa);
  sa.reauthVips = undefined;
  scheduleReauth(ctx, t.reauths, sa);
  // AUTH is done: the DH private key and the IKE_SA_INIT messages are no longer needed
  // (a rekey makes a new exchange); dropping them keeps an idle IKE SA small.
  sa.ke = undefined;
  sa.initRequest = EMPTY_BYTES;
  sa.initResponse = EMPTY_BYTES;
  for (const [k, s] of t.halfOpen) if (s === sa) t.halfOpen.delete(k);
  if (!sa.initiator) t.cookies.closed(formatIp(sa.remote.address));
  if ((sa.conn?.dpdDelay ?? 0) > 0) t.dpd.add(sa);
  t.ikeRekeys.schedule(ctx, sa, 0);
  ctx.event({
    kind: 'ike-up',
    conn: sa.name,
    ikeId: sa.id,
    local: endpointText(sa.local),
    remote: endpointText(sa.remote),
    remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '%any',
  });
}

/**
 * The last IKE_AUTH exchange is over and the IKE SA is up: its AUTH (§2.15) and first CHILD
 * SA's keys (§2.17) are made, the only uses of the IKE_SA_INIT nonces; later CHILD SAs and
 * rekeys bring their own (§1.3). A retransmitted request gets the cached response (§2.1).
 */
export function authOver(sa: IkeSa): void {
  if (sa.lifecycle.state !== 'established') return;
  sa.nonceI = EMPTY_BYTES;
  sa.nonceR = EMPTY_BYTES;
}
