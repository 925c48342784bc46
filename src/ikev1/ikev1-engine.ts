/**
 * The IKEv1 engine: the table of ISAKMP SAs and the one dispatcher for received messages
 * (decode, find the SA by its cookies, route phase 1 to phase1-dispatch.ts and the exchanges
 * on an established SA to their sub-engines). Sans-IO: datagrams and time in, actions out
 * (STYLE.md §3.6).
 *
 * Its parts: engine-core.ts (the shared state), engine-wiring.ts (the sub-engines' hooks),
 * phase1-dispatch.ts (Main and Aggressive Mode messages in both roles, retransmissions),
 * sa-lifecycle.ts (established, failed, removed), ikev1-timers.ts (deadlines and ticks).
 * Anything that does not decode, belongs to no SA or does not decrypt is counted and dropped
 * without changing an SA.
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import type { AddressPool } from '../ike/address-pool.js';
import { type IkeCredentials, NO_CREDENTIALS } from '../ike/credentials.js';
import type { Endpoint } from '../ike/natd.js';
import { DEFAULT_RETRANSMIT, type RetransmitSettings } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import { WireError } from '../util/errors.js';
import { formatIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { decodeIsakmpMessage } from '../wire/isakmp/isakmp-decode.js';
import type { IsakmpMessage } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange } from '../wire/registry/isakmp.js';
import { startAggressiveMode } from './aggressive-initiator.js';
import { poolsOf } from './connection-select.js';
import { drop, type EngineCore, type Ikev1Drop, logMessage, newCookie } from './engine-core.js';
import { wireSubEngines } from './engine-wiring.js';
import { clearErrorNotify, errorNotifyName } from './error-notify.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { nextDeadline, tick } from './ikev1-timers.js';
import { ISAKMP_FRAGMENT, splitSend, takeFragment } from './isakmp-fragments.js';
import { type MainModeContext, startMainMode } from './main-mode.js';
import { followPeer, retarget } from './nat-rebinding.js';
import { receivePhase1, sendPhase1 } from './phase1-dispatch.js';
import { failPhase1, newSa, removeChild, removeSa } from './sa-lifecycle.js';

export type { Ikev1Drop } from './engine-core.js';

export interface Ikev1EngineOptions {
  retransmit?: RetransmitSettings;
  /** responder SAs not established after this are dropped, ms (strongSwan's half_open_timeout: 30 s) */
  halfOpenTimeoutMs?: number;
  /**
   * the reqid of a CHILD SA by connection and child (the daemon shares the IKEv2 engine's
   * allocator, so both versions' reqids stay apart); a local counter from 0x2000 otherwise
   */
  reqidFor?: (conn: string, child: string) => number;
  /** certificates and keys for `auth = pubkey` (the daemon's, shared with IKEv2) */
  credentials?: IkeCredentials;
}

export class Ikev1Engine {
  readonly drops = new Map<Ikev1Drop, number>();
  private ctx: MainModeContext;
  private creds: IkeCredentials;
  /** Mode Config address pools by name (as the IKEv2 engine keeps its own) */
  private pools = new Map<string, AddressPool>();
  private readonly reqids = new Map<string, number>();
  /** the SA table, actions and sub-engines the engine's parts share (engine-core.ts) */
  private readonly core: EngineCore;

  constructor(
    public config: EspritConfig,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly logger: Logger,
    opts: Ikev1EngineOptions = {},
  ) {
    this.creds = opts.credentials ?? NO_CREDENTIALS;
    this.ctx = this.mainModeContext(config);
    const retransmit = opts.retransmit ?? DEFAULT_RETRANSMIT;
    const reqidFor =
      opts.reqidFor ??
      ((conn: string, child: string): number => {
        const k = `${conn}/${child}`;
        const r = this.reqids.get(k) ?? 0x2000 + this.reqids.size;
        this.reqids.set(k, r);
        return r;
      });
    this.pools = poolsOf(config);
    const subs = wireSubEngines(() => this.core, {
      clock,
      rng,
      logger,
      retransmit,
      reqidFor,
      replace: (old) => this.replace(old),
    });
    this.core = {
      ...subs,
      sas: new Map(),
      actions: [],
      drops: this.drops,
      clock,
      rng,
      logger,
      retransmit,
      halfOpenTimeoutMs: opts.halfOpenTimeoutMs ?? 30_000,
      config: () => this.config,
      ctx: () => this.ctx,
      pools: () => this.pools,
      nextId: 1,
    };
  }

  private mainModeContext(config: EspritConfig): MainModeContext {
    return { config, rng: this.rng, credentials: this.creds, now: () => this.clock.now() };
  }

  /** A reloaded configuration: new SAs use it; established ones keep the connection they began with. */
  reload(config: EspritConfig, credentials?: IkeCredentials): void {
    this.config = config;
    this.pools = poolsOf(config);
    if (credentials) this.creds = credentials;
    this.ctx = this.mainModeContext(config);
  }

  /** PF_KEY answered the GETSPI of `token` (undefined: it failed). */
  spiAllocated(token: number, spi: number | undefined): void {
    this.core.phase2.spiAllocated(token, spi);
  }

  /** The actions so far; a message too big for the path goes as Cisco fragments (isakmp-fragments.ts). */
  takeActions(): Ikev1Action[] {
    return this.core.actions.splice(0).flatMap((a) => {
      if (a.kind !== 'send') return [a];
      const out = splitSend(this.core.sas, this.config.host, a);
      if (out.length > 1)
        this.logger.log(
          'info',
          'enc',
          `splitting IKEv1 message (${a.bytes.length} bytes) into ${out.length} fragments`,
        );
      return out;
    });
  }

  /** The ISAKMP SAs, for listings and tests. */
  list(): readonly Ikev1Sa[] {
    return [...this.core.sas.values()];
  }

  /**
   * Start Main Mode for `connName` from `localAddr` to `remoteAddr` (port 500), then Quick
   * Mode for `child` (or every child of the connection). `requestId` is answered when the
   * first CHILD SA is installed (or phase 1 failed).
   */
  initiate(connName: string, localAddr: Uint8Array, remoteAddr: Uint8Array, requestId?: number, child?: string): void {
    const conn = this.config.connections.find((c) => c.name === connName && c.version === 1);
    if (!conn) {
      if (requestId !== undefined)
        this.core.actions.push({
          kind: 'initiate-result',
          requestId,
          ok: false,
          reason: `no IKEv1 connection '${connName}'`,
        });
      return;
    }
    const sa = newSa(
      this.core,
      conn,
      true,
      { address: localAddr, port: conn.localPort },
      { address: remoteAddr, port: conn.remotePort },
      newCookie(this.rng),
    );
    if (requestId !== undefined) sa.requestId = requestId;
    sa.pendingChildren = conn.children.filter((c) => child === undefined || c.name === child).map((c) => c.name);
    sa.askedChildren = sa.pendingChildren;
    // RFC 2409 §5.4 Aggressive Mode for `aggressive = yes` (Cisco-style gateways, group PSK)
    sa.aggressive = conn.aggressive;
    const first = conn.aggressive ? startAggressiveMode(this.ctx, sa) : startMainMode(sa);
    if (typeof first === 'string') {
      failPhase1(this.core, sa, 'NO-PROPOSAL-CHOSEN', first);
      return;
    }
    sendPhase1(this.core, sa, first.bytes, first.payloads);
  }

  /**
   * Phase 1 rekey (phase1-rekey.ts): a new phase 1 on `old`'s connection and endpoints. An
   * Aggressive Mode SA gets Aggressive Mode (a Cisco-style gateway has no Main Mode for its
   * group), then XAUTH and Mode Config again, asking for the same virtual IP (strongSwan's
   * queue_ike_reauth copies the virtual IPs, mode_config.c requests them); the CHILD SAs move
   * once it is configured (sa-lifecycle.ts clientConfigured).
   */
  private replace(old: Ikev1Sa): void {
    const sa = newSa(this.core, old.conn, true, old.local, old.remote, newCookie(this.rng));
    sa.replaces = old;
    if (old.life) old.life.successor = sa;
    if (old.askedChildren) sa.askedChildren = old.askedChildren;
    const vip = old.vipsLocal?.[0];
    if (vip) sa.requestedVip = vip;
    sa.aggressive = old.aggressive === true;
    const first = sa.aggressive ? startAggressiveMode(this.ctx, sa) : startMainMode(sa);
    if (typeof first === 'string') {
      failPhase1(this.core, sa, 'NO-PROPOSAL-CHOSEN', first);
      return;
    }
    sendPhase1(this.core, sa, first.bytes, first.payloads);
  }

  /** One IKE message received on `local` from `remote` (marker already stripped). */
  receive(local: Endpoint, remote: Endpoint, bytes: Uint8Array): void {
    let msg: IsakmpMessage;
    try {
      msg = decodeIsakmpMessage(bytes);
    } catch (e) {
      if (e instanceof WireError) {
        drop(this.core, 'malformed', e.message);
        return;
      }
      throw e;
    }
    const h = msg.header;
    if (h.nextPayload === ISAKMP_FRAGMENT) {
      this.receiveFragment(local, remote, msg);
      return;
    }
    const phase2 = [IsakmpExchange.QUICK_MODE, IsakmpExchange.INFORMATIONAL, IsakmpExchange.TRANSACTION] as number[];
    if (phase2.includes(h.exchangeType)) {
      const { core } = this;
      const sa = core.sas.get(h.spiI);
      // RFC 2408 §5.15: an unprotected refusal only ends a phase 1 we initiated (error-notify.ts)
      const refusal = sa?.initiator && sa.state !== 'established' ? clearErrorNotify(msg) : undefined;
      if (sa && refusal !== undefined && (sa.spiR === 0n || sa.spiR === h.spiR)) {
        logMessage(core, sa, 'parsed', h, msg.payloads, true);
        failPhase1(core, sa, errorNotifyName(refusal), `phase 1 refused by ${formatIp(remote.address)}`, false);
        return;
      }
      if (!sa || sa.state !== 'established' || sa.spiR !== h.spiR) {
        drop(core, 'no-sa', `exchange ${h.exchangeType} for cookies ${h.spiI.toString(16)}/${h.spiR.toString(16)}`);
        return;
      }
      const [auth, mark, from] = [sa.authIn ?? 0, core.actions.length, sa.remote];
      if (h.exchangeType === IsakmpExchange.INFORMATIONAL) core.info.receive(sa, msg);
      else if (h.exchangeType === IsakmpExchange.TRANSACTION)
        // the phase 1 initiator is the client of XAUTH and Mode Config (transaction-client.ts)
        (sa.initiator ? core.clientTx : core.transactions).receive(sa, msg, bytes);
      // xauth-06 §6: no phase 2 before the user is authenticated
      else if (sa.xauth && sa.xauth.state !== 'done') drop(core, 'unexpected', 'Quick Mode before XAUTH completed');
      else core.phase2.receive(sa, msg, bytes);
      // RFC 3947 §4: an authenticated message from a new address/port (nat-rebinding.ts)
      if ((sa.authIn ?? 0) > auth && followPeer(sa, remote, 'ike', (a) => core.actions.push(a)))
        retarget(core.actions, mark, from, sa.remote);
      return;
    }
    if (h.exchangeType !== IsakmpExchange.ID_PROT && h.exchangeType !== IsakmpExchange.AGGRESSIVE) {
      drop(this.core, 'not-main-mode', `exchange ${h.exchangeType}`);
      return;
    }
    receivePhase1(this.core, local, remote, msg, bytes);
  }

  /** A Cisco fragment: stored, and the joined message received when it is complete. */
  private receiveFragment(local: Endpoint, remote: Endpoint, msg: IsakmpMessage): void {
    const r = takeFragment(this.core.sas, msg, this.clock.now(), this.config.host.maxPacket);
    if (r.kind === 'drop') drop(this.core, 'fragment', r.reason);
    else if (r.kind === 'complete') {
      this.logger.log('debug', 'enc', `reassembled a fragmented IKEv1 message (${r.bytes.length} octets)`);
      // the joined message is checked as any datagram; it may not be a fragment again
      if (r.bytes[16] === ISAKMP_FRAGMENT) drop(this.core, 'fragment', 'a reassembled message is a fragment');
      else this.receive(local, remote, r.bytes);
    }
  }

  /**
   * Delete the ISAKMP SAs of `conn` (all with undefined) and their CHILD SAs: a Delete to the
   * peer for each (RFC 2408 §3.15), then local removal. Returns how many went.
   */
  terminate(conn?: string, reason = 'terminated'): number {
    let n = 0;
    for (const sa of [...this.core.sas.values()]) {
      if (conn !== undefined && sa.conn.name !== conn) continue;
      this.core.info.sendDeletes(sa);
      removeSa(this.core, sa, reason);
      n++;
    }
    return n;
  }

  /**
   * ipsecd's EXPIRE for the inbound SA `spi`: soft starts a rekey (a new Quick Mode for the same
   * child, on the SA's initiator side); hard removes the CHILD SA (ipsecd has deleted it).
   */
  childExpired(spi: number, hard: boolean): void {
    for (const sa of this.core.sas.values()) {
      const c = sa.children.find((x) => x.spiIn === spi);
      if (!c) continue;
      if (hard) removeChild(this.core, sa, c, 'expired');
      else {
        const cfg = (sa.clientChildren ?? sa.conn.children).find((x) => x.name === c.name);
        if (cfg && sa.state === 'established' && !c.rekeying) {
          c.rekeying = true;
          this.core.phase2.initiate(sa, cfg, undefined, c.spiIn);
        }
      }
      return;
    }
  }

  /** ipsecd saw the peer's ESP for inbound SA `spiIn` from a new endpoint (X_NAT_T_NEW_MAPPING). */
  espMappingChanged(spiIn: number, remote: Endpoint): void {
    for (const sa of this.core.sas.values())
      if (sa.children.some((c) => c.spiIn === spiIn && c.plan.encap?.framing !== 'cisco-udp'))
        followPeer(sa, remote, 'esp', (a) => this.core.actions.push(a));
  }

  nextDeadline(): number | undefined {
    return nextDeadline(this.core);
  }

  /** Retransmit what is due (the initiator's last message); give up after the last try. */
  tick(): void {
    tick(this.core);
  }
}
