/**
 * The engine's side of a reauthentication (ike-reauth.ts, RFC 7296 §2.8.3): when it falls due
 * (`reauth_time` less a random share of `rand_time`, on the original initiator), and the
 * ReauthHost that starts the new IKE SA, makes the CHILD SAs on it and retires the old one.
 * The new IKE SA is an initiation of the engine's own: its result comes back through
 * InternalInitiations instead of going to the daemon as an `initiate-result` action.
 */
import type { ConnectionConfig } from '../config/swanctl/swanctl-model.js';
import { REKEY_RETRY_MS } from './child-rekey.js';
import { startCreateChild } from './exchange-child.js';
import { deleteIke } from './exchange-info.js';
import type { ReauthHost, ReauthSchedule } from './ike-reauth.js';
import type { IkeSa } from './ike-sa.js';
import type { Ikev2Context } from './ikev2-context.js';

/** Initiations the engine started itself, by negative request id (the daemon's are positive). */
export class InternalInitiations {
  private readonly waiting = new Map<number, (ok: boolean, reason: string) => void>();
  private nextId = -1;

  register(done: (ok: boolean, reason: string) => void): number {
    const id = this.nextId--;
    this.waiting.set(id, done);
    return id;
  }

  /** The callback of request `id`, removed; undefined for the daemon's requests. */
  take(id: number): ((ok: boolean, reason: string) => void) | undefined {
    const done = this.waiting.get(id);
    if (done) this.waiting.delete(id);
    return done;
  }
}

/** reauth_time less a random share of rand_time, on the original initiator (ike-reauth.ts). */
export function scheduleReauth(ctx: Ikev2Context, reauths: ReauthSchedule, sa: IkeSa): void {
  const c = sa.conn;
  if (!c || c.reauthTime <= 0 || !sa.initiator) return;
  const jitter = c.randTime > 0 ? (ctx.random32() / 0x1_0000_0000) * c.randTime : 0;
  sa.reauthAt = ctx.clock.now() + (c.reauthTime - jitter) * 1000;
  reauths.add(sa, sa.reauthAt);
}

export function engineReauthHost(
  ctx: Ikev2Context,
  reauths: ReauthSchedule,
  internal: InternalInitiations,
  /** IKE_SA_INIT for a new IKE SA of `conn` with `firstChild` in IKE_AUTH */
  newIkeSa: (conn: ConnectionConfig, local: Uint8Array, remote: Uint8Array, firstChild: string | undefined) => IkeSa,
): ReauthHost {
  return {
    initiateFresh: (old, firstChild, done) => {
      const conn = old.conn;
      if (!conn) {
        done(undefined, 'no connection');
        return;
      }
      let fresh: IkeSa | undefined;
      const id = internal.register((ok, reason) => done(ok ? fresh : undefined, reason));
      fresh = newIkeSa(conn, old.local.address, old.remote.address, firstChild);
      fresh.reauthVips = old.vipsLocal;
      fresh.upRequest = id;
    },
    createChild: (sa, name, done) => {
      const conn = sa.conn;
      const cfg = conn?.children.find((c) => c.name === name);
      if (!conn || !cfg) done(false, `no child '${name}'`);
      else startCreateChild(ctx, sa, conn, cfg, done);
    },
    retire: (old, reason) => {
      if (!old.lifecycle.canMoveTo('deleting')) return;
      old.lifecycle.transition('deleting', reason, ctx.clock.now());
      deleteIke(ctx, old, reason);
    },
    retryLater: (old, reason) => {
      ctx.logger.log('info', 'ike', `${old.name}[#${old.id}] ${reason}`);
      old.reauthAt = ctx.clock.now() + REKEY_RETRY_MS;
      reauths.add(old, old.reauthAt);
    },
  };
}
