/**
 * The IKEv2 engine: the table of IKE SAs and the one dispatcher for every received message
 * (OpenIKED's ikev2_recv): decode, find the SA, then (sa-messages.ts) check the message ID
 * window (§2.3), answer retransmitted requests from the cache, open the SK payload, and route
 * to the exchange.
 * Sans-IO: inputs are datagrams, PF_KEY results and time; outputs are actions.
 */
import type { ChildConfig, ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import { AddressPool } from '../ike/address-pool.js';
import { CookieGuard } from '../ike/cookie-guard.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';
import { DEFAULT_RETRANSMIT, type RetransmitSettings, retransmitTimeout } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import { WireError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { decodeIkeMessage } from '../wire/ike/ike-decode.js';
import { ExchangeType, HeaderFlag, type IkeMessage, type IkePayload } from '../wire/ike/ike-types.js';
import { noteChildTraffic } from './child-liveness.js';
import { findChildBySpi, RekeySchedule, rekeyChild } from './child-rekey.js';
import { appended, noItems } from './compact-state.js';
import { leaseIdentity, releaseLeases } from './config-payload.js';
import { type IkeCredentials, NO_CREDENTIALS } from './credentials.js';
import type { DropReason } from './drop-reason.js';
import { reloadEngine, shutdownEngine, terminateConn } from './engine-admin.js';
import {
  dpdSas,
  earliest,
  engineNextDeadline,
  engineTick,
  livenessDeadline,
  livenessTick,
  timedSas,
} from './engine-timers.js';
import { startCreateChild } from './exchange-child.js';
import { deleteChild } from './exchange-info.js';
import { sendInitRequest } from './exchange-init.js';
import { type ReauthHost, ReauthSchedule, reauthenticate } from './ike-reauth.js';
import type { RekeyHooks } from './ike-rekey.js';
import { IkeRekeySchedule, rekeyIkeSa } from './ike-rekey-schedule.js';
import { type ChildSa, IkeSa } from './ike-sa.js';
import { adopt, authCallbacks, authenticated, type SaTables } from './ike-sa-established.js';
import type { Ikev2Action } from './ikev2-actions.js';
import type { Ikev2Context } from './ikev2-context.js';
import { exchangeName, logMessage } from './message-log.js';
import { startAddressUpdate } from './mobike.js';
import { moveRemote } from './peer-address.js';
import { ConnectionMatcher } from './peer-match.js';
import { engineReauthHost, InternalInitiations } from './reauth-host.js';
import { onInitRequest, onInitResponse, type SaInitHost } from './sa-init-dispatch.js';
import { onRequest, onResponse, type SaMessageHost, sealMessage } from './sa-messages.js';
import { UniquenessIndex } from './unique-policy.js';

export interface EngineOptions {
  retransmit?: RetransmitSettings;
  /** half-open IKE SAs (responder, before IKE_AUTH) are dropped after this, ms (strongSwan: 30 s) */
  halfOpenTimeoutMs?: number;
  cookieThreshold?: number;
  halfOpenPerSource?: number;
  /** first reqid of CHILD SAs (the daemon's PF_KEY side owns 0x2000..0x3fff, docs/pfkey.md) */
  reqidBase?: number;
  /** certificates and keys for public-key authentication */
  credentials?: IkeCredentials;
}

export type { DropReason };

const spiKey = (spi: bigint): string => spi.toString(16);

export class Ikev2Engine implements Ikev2Context {
  readonly pools = new Map<string, AddressPool>();
  credentials: IkeCredentials;
  readonly drops = new Map<DropReason, number>();
  /** our addresses, as the daemon reports them (setLocalAddresses); MOBIKE announces the others */
  localAddresses: readonly Uint8Array[] = [];
  private readonly sas = new Map<string, IkeSa>();
  /** SAs that may have a deadline (a request in flight, half-open): what the timers look at */
  private readonly timed = new Set<IkeSa>();
  /** established IKE SAs of connections with dpd_delay (RFC 7296 §2.4 liveness checks) */
  private readonly dpd = new Set<IkeSa>();
  /** established IKE SAs by connection and identities (`unique`, unique-policy.ts) */
  private readonly unique = new UniquenessIndex();
  /** reauthentication times (ike-reauth.ts) */
  private readonly reauths = new ReauthSchedule();
  /** initiations the engine started itself (reauthentication), by negative request id */
  private readonly internalUps = new InternalInitiations();
  /** CHILD SA rekey times (lazy heap: stale entries drop out at the top or when it is compacted) */
  private readonly rekeys = new RekeySchedule();
  /** IKE SA rekey times (lazy heap, as the CHILD SAs') */
  private readonly ikeRekeys = new IkeRekeySchedule();
  /** responder IKE_SA_INIT responses by initiator SPI and source, for retransmitted requests */
  private readonly halfOpen = new Map<string, IkeSa>();
  private readonly spiWaiters = new Map<number, { sa: IkeSa; then: (spi: number | undefined) => void }>();
  private readonly reqids = new Map<string, number>();
  private readonly actions: Ikev2Action[] = [];
  private readonly retransmit: RetransmitSettings;
  private readonly halfOpenTimeoutMs: number;
  private readonly cookies: CookieGuard;
  private readonly saInitHost: SaInitHost;
  private readonly tables: SaTables;
  /** the connections' local_addrs/remote_addrs, parsed when the configuration is loaded */
  private connMatcher = new ConnectionMatcher([]);
  private nextToken = 1;
  private nextReqid: number;

  constructor(
    public config: EspritConfig,
    readonly clock: Clock,
    readonly rng: Rng,
    readonly logger: Logger,
    opts: EngineOptions = {},
  ) {
    this.retransmit = opts.retransmit ?? DEFAULT_RETRANSMIT;
    this.halfOpenTimeoutMs = opts.halfOpenTimeoutMs ?? 30_000;
    this.nextReqid = opts.reqidBase ?? 0x2000;
    this.credentials = opts.credentials ?? NO_CREDENTIALS;
    this.cookies = new CookieGuard(rng, clock.now(), {
      cookieThreshold: opts.cookieThreshold ?? 10,
      perSourceLimit: opts.halfOpenPerSource ?? 5,
      secretLifetimeMs: 120_000,
    });
    this.tables = {
      halfOpen: this.halfOpen,
      cookies: this.cookies,
      dpd: this.dpd,
      unique: this.unique,
      reauths: this.reauths,
      ikeRekeys: this.ikeRekeys,
      register: (sa) => this.sas.set(spiKey(sa.initiator ? sa.spiI : sa.spiR), sa),
    };
    this.saInitHost = {
      halfOpen: this.halfOpen,
      cookies: this.cookies,
      find: (spi) => this.sas.get(spiKey(spi)),
      register: (sa) => {
        this.sas.set(spiKey(sa.spiR), sa);
        this.timed.add(sa);
      },
      sendInit: (sa, conn) => this.sendInit(sa, conn),
      authCallbacks: () => authCallbacks(this, this.tables),
      drop: (reason, detail) => this.drop(reason, detail),
      candidateConns: (local, remote) => this.connMatcher.candidates(local, remote),
    };
    this.loadPools(config);
  }

  /** `esprit reload` (engine-admin.ts): unchanged connections keep their IKE SAs. */
  reload(config: EspritConfig): string[] {
    return reloadEngine(this, config);
  }

  /**
   * The configuration takes effect (constructor, reload): pools keep their leases across a
   * reload when their range did not change; connection addresses are parsed once here.
   */
  loadPools(config: EspritConfig): void {
    const old = new Map(this.pools);
    this.pools.clear();
    for (const p of config.pools) {
      const prev = old.get(p.name);
      const prevCfg = this.config.pools.find((x) => x.name === p.name);
      this.pools.set(
        p.name,
        prev && prevCfg?.addrs === p.addrs ? prev : AddressPool.parse(p.addrs, `pools.${p.name}.addrs`),
      );
    }
    this.config = config;
    this.connMatcher = new ConnectionMatcher(config.connections);
  }

  // ------------------------------------------------------------ Ikev2Context

  emit(a: Ikev2Action): void {
    const internal = a.kind === 'initiate-result' ? this.internalUps.take(a.requestId) : undefined;
    if (internal && a.kind === 'initiate-result') {
      internal(a.ok, a.reason);
      return;
    }
    this.actions.push(a);
  }

  event(e: IkeEvent): void {
    this.actions.push({ kind: 'event', event: e });
  }

  random32(): number {
    const b = new Uint8Array(4);
    this.rng.fill(b);
    return new DataView(b.buffer).getUint32(0);
  }

  reqidFor(conn: string, child: string): number {
    const k = `${conn}/${child}`;
    let r = this.reqids.get(k);
    if (r === undefined) {
      r = this.nextReqid++;
      this.reqids.set(k, r);
    }
    return r;
  }

  childAdded(sa: IkeSa, child: ChildSa): void {
    this.rekeys.add(sa, child);
  }

  private rekeyChild(sa: IkeSa, child: ChildSa): void {
    rekeyChild(this, sa, child, (retryAt) => {
      child.rekeyAt = retryAt;
      // on the IKE SA that holds it by then (an IKE SA rekey moves CHILD SAs)
      this.rekeys.add(findChildBySpi(this.sas.values(), child.spiIn)?.sa ?? sa, child);
    });
  }

  getSpi(sa: IkeSa, reqid: number, then: (spi: number | undefined) => void): void {
    const token = this.nextToken++;
    this.spiWaiters.set(token, { sa, then });
    this.emit({ kind: 'get-spi', token, src: sa.remote.address, dst: sa.local.address, reqid });
  }

  request(
    sa: IkeSa,
    exchange: number,
    payloads: IkePayload[] | (() => IkePayload[]),
    onResponse: (sa: IkeSa, payloads: IkePayload[]) => void,
    onTimeout?: (sa: IkeSa) => void,
  ): void {
    const go = (s: IkeSa): void => {
      this.timed.add(s);
      const mid = s.window.beginRequest();
      const list = typeof payloads === 'function' ? payloads() : payloads;
      const datagrams = sealMessage(this, s, exchange, false, mid, list);
      s.pending = {
        exchange,
        messageId: mid,
        bytes: datagrams,
        sent: 1,
        deadline: this.clock.now() + (retransmitTimeout(0, this.retransmit) ?? 0),
        onResponse,
        ...(onTimeout ? { onTimeout } : {}),
      };
      for (const bytes of datagrams) this.emit({ kind: 'send', local: s.local, remote: s.remote, bytes });
    };
    if (sa.pending || !sa.window.canSend()) sa.queue = appended(sa.queue, go);
    else go(sa);
  }

  destroy(sa: IkeSa, reason: string): void {
    if (sa.lifecycle.state === 'destroying') return;
    const wasUp = sa.lifecycle.state !== 'created' && sa.lifecycle.state !== 'connecting';
    sa.lifecycle.transition('destroying', reason, this.clock.now());
    sa.downReason = reason;
    for (const c of [...sa.children]) {
      this.emit({ kind: 'remove-child', plan: c.plan });
      this.event({
        kind: 'child-down',
        conn: sa.name,
        ikeId: sa.id,
        child: c.name,
        spiIn: c.spiIn,
        spiOut: c.spiOut,
        reason,
      });
    }
    sa.children = noItems();
    if (sa.remoteId) releaseLeases(this, sa, leaseIdentity(sa));
    for (const v of sa.vipsLocal) this.emit({ kind: 'vip-remove', ikeId: sa.id, address: v });
    sa.vipsLocal = [];
    if (wasUp || sa.initiator) this.event({ kind: 'ike-down', conn: sa.name, ikeId: sa.id, reason });
    if (sa.upRequest !== undefined) {
      this.emit({ kind: 'initiate-result', requestId: sa.upRequest, ok: false, reason });
      sa.upRequest = undefined;
    }
    for (const [k, w] of this.spiWaiters) if (w.sa === sa) this.spiWaiters.delete(k);
    this.sas.delete(spiKey(sa.initiator ? sa.spiI : sa.spiR));
    this.unique.remove(sa);
    for (const [k, s] of this.halfOpen) if (s === sa) this.halfOpen.delete(k);
    if (!sa.initiator && !wasUp) this.cookies.closed(formatIp(sa.remote.address));
    sa.pending = undefined;
    sa.queue = noItems();
  }

  // ------------------------------------------------------------ inputs

  takeActions(): Ikev2Action[] {
    return this.actions.splice(0);
  }

  spiAllocated(token: number, spi: number | undefined): void {
    const w = this.spiWaiters.get(token);
    if (!w) return;
    this.spiWaiters.delete(token);
    if (w.sa.lifecycle.state === 'destroying') return;
    w.then(spi);
  }

  /** Start `conn` (its first child, or `child`) from `local` to `remote`; `requestId` tracks an `up`. */
  initiate(
    connName: string,
    local: Uint8Array,
    remote: Uint8Array,
    childName?: string,
    requestId?: number,
  ): IkeSa | undefined {
    const conn = this.config.connections.find((c) => c.name === connName);
    const fail = (reason: string): undefined => {
      if (requestId !== undefined) this.emit({ kind: 'initiate-result', requestId, ok: false, reason });
      return undefined;
    };
    if (!conn) return fail(`no connection named '${connName}'`);
    if (childName !== undefined && !conn.children.some((c) => c.name === childName)) {
      return fail(`connection '${connName}' has no child '${childName}'`);
    }
    // An established IKE SA of this connection gets the CHILD SA by CREATE_CHILD_SA (§1.3.1).
    const existing = [...this.sas.values()].find((s) => s.conn === conn && s.lifecycle.state === 'established');
    const child = conn.children.find((c) => c.name === childName) ?? conn.children[0];
    if (existing && child) {
      this.createChild(existing, conn, child, requestId);
      return existing;
    }
    return this.newIkeSa(conn, local, remote, child?.name, requestId);
  }

  /** IKE_SA_INIT for a new IKE SA of `conn`, with `firstChild` to make in IKE_AUTH. */
  private newIkeSa(
    conn: ConnectionConfig,
    local: Uint8Array,
    remote: Uint8Array,
    firstChild: string | undefined,
    requestId: number | undefined,
  ): IkeSa {
    const spi = new Uint8Array(8);
    this.rng.fill(spi);
    const spiI = new DataView(spi.buffer).getBigUint64(0) || 1n;
    const sa = new IkeSa(
      true,
      spiI,
      { address: local, port: conn.localPort },
      { address: remote, port: conn.remotePort },
    );
    sa.conn = conn;
    sa.firstChild = firstChild;
    if (requestId !== undefined) sa.upRequest = requestId;
    sa.lifecycle.transition('connecting', 'initiate', this.clock.now());
    this.sas.set(spiKey(spiI), sa);
    this.sendInit(sa, conn);
    return sa;
  }

  private readonly reauthHost: ReauthHost = engineReauthHost(this, this.reauths, this.internalUps, (c, l, r, first) =>
    this.newIkeSa(c, l, r, first, undefined),
  );

  private createChild(sa: IkeSa, conn: ConnectionConfig, child: ChildConfig, requestId?: number): void {
    startCreateChild(this, sa, conn, child, (ok, reason) => {
      if (requestId !== undefined) this.emit({ kind: 'initiate-result', requestId, ok, reason });
    });
  }

  private sendInit(sa: IkeSa, conn: ConnectionConfig): void {
    sendInitRequest(this, sa, conn, (bytes) => {
      this.timed.add(sa);
      logMessage(this.logger, sa, 'sending', bytes, undefined);
      sa.pending = {
        exchange: ExchangeType.IKE_SA_INIT,
        messageId: 0,
        bytes: [bytes],
        sent: 1,
        deadline: this.clock.now() + (retransmitTimeout(0, this.retransmit) ?? 0),
        onResponse: () => {},
        onTimeout: (s) => this.destroy(s, 'peer did not answer IKE_SA_INIT (retransmits exhausted)'),
      };
      this.emit({ kind: 'send', local: sa.local, remote: sa.remote, bytes });
    });
  }

  /** Tear down every IKE SA of a connection (Delete exchange), as `esprit down` does. */
  terminate(connName: string): number {
    return terminateConn(this, connName);
  }

  /** SIGTERM: send one Delete per established IKE SA without waiting, then destroy all. */
  shutdown(): void {
    shutdownEngine(this);
  }

  /** A NAT mapping change ipsecd saw on ESP (SADB_X_NAT_T_NEW_MAPPING): move the IKE SA too. */
  espMappingChanged(spiIn: number, newRemote: Endpoint): void {
    for (const sa of this.sas.values()) {
      if (sa.children.some((c) => c.spiIn === spiIn)) moveRemote(this, sa, newRemote, 'esp');
    }
  }

  /**
   * ipsecd's SADB_EXPIRE for one of our SAs (either direction): the soft one is a rekey point
   * (rekey_time/bytes/packets, §2.8), the hard one means the SA is gone from the SAD, so the
   * CHILD SA is deleted at the peer too.
   */
  childExpired(spi: number, hard: boolean): void {
    const found = findChildBySpi(this.sas.values(), spi);
    if (!found || found.child.deleting) return;
    const { sa, child } = found;
    // A hard expiry while our rekey of it is in flight: its replacement is on the way, and the
    // rekey deletes it once that is installed (finishRekey); deleting it now would make the
    // peer answer the rekey with CHILD_SA_NOT_FOUND.
    if (hard && child.rekeying === 'local') return;
    if (hard) deleteChild(this, sa, child, 'hard lifetime expired');
    else if (!child.rekeying && !child.replacedBy && sa.lifecycle.state === 'established') this.rekeyChild(sa, child);
  }

  list(): IkeSa[] {
    return [...this.sas.values()];
  }

  hasSiblingIkeSa(sa: IkeSa): boolean {
    for (const o of this.sas.values()) {
      if (o === sa || o.conn?.name !== sa.conn?.name || o.lifecycle.state === 'destroying') continue;
      if (
        o.lifecycle.state !== 'created' &&
        o.lifecycle.state !== 'connecting' &&
        bytesEqual(o.remote.address, sa.remote.address)
      )
        return true;
    }
    return false;
  }

  /**
   * RFC 7296 §2.4: authenticated ESP arrived on inbound CHILD SA `spiIn`, last at `lastSeenMs`
   * (from the data plane's counters); DPD waits dpd_delay from then (child-liveness.ts).
   */
  childTraffic(spiIn: number, lastSeenMs: number): void {
    noteChildTraffic(this.sas.values(), spiIn, lastSeenMs, this.clock.now());
  }

  /** The host's addresses changed (the daemon watches them): kept for MOBIKE's address lists. */
  setLocalAddresses(addresses: readonly Uint8Array[]): void {
    this.localAddresses = addresses.map((a) => a.slice());
  }

  /**
   * Our address towards the peer of IKE SA `ikeId` is now `local` (RFC 4555 §3.5, mobike.ts):
   * with MOBIKE the SA and its CHILD SAs move and UPDATE_SA_ADDRESSES goes out. Returns
   * false when the SA is unknown, MOBIKE is not in use on it, or nothing changed.
   */
  localAddressChanged(ikeId: number, local: Uint8Array): boolean {
    const sa = [...this.sas.values()].find((s) => s.id === ikeId);
    return sa ? startAddressUpdate(this, sa, local) : false;
  }

  // ------------------------------------------------------------ timers

  nextDeadline(): number | undefined {
    return earliest(
      engineNextDeadline(timedSas(this.timed), this.halfOpenTimeoutMs),
      livenessDeadline(dpdSas(this.dpd)),
      this.rekeys.next()?.at,
      this.ikeRekeys.next()?.at,
      this.reauths.next(),
    );
  }

  tick(): void {
    engineTick(this, timedSas(this.timed), this.retransmit, this.halfOpenTimeoutMs);
    livenessTick(this, dpdSas(this.dpd));
    const now = this.clock.now();
    for (let r = this.rekeys.takeDue(now); r; r = this.rekeys.takeDue(now)) this.rekeyChild(r.sa, r.child);
    for (let sa = this.reauths.takeDue(now); sa; sa = this.reauths.takeDue(now)) {
      this.logger.log('info', 'ike', `${sa.name}[#${sa.id}] reauthenticating (reauth_time)`);
      reauthenticate(this.reauthHost, sa);
    }
    for (let sa = this.ikeRekeys.takeDue(now); sa; sa = this.ikeRekeys.takeDue(now))
      rekeyIkeSa(this, sa, this.ikeRekeys, this.rekeyHooks);
  }

  // ------------------------------------------------------------ receive

  private drop(reason: DropReason, detail: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    this.logger.log('debug', 'ike', `dropped IKE message: ${reason}: ${detail}`);
  }

  /** One IKE message received on `local` from `remote` (marker already stripped by ipsecd). */
  receive(local: Endpoint, remote: Endpoint, bytes: Uint8Array): void {
    let msg: IkeMessage;
    try {
      msg = decodeIkeMessage(bytes);
    } catch (e) {
      this.drop('malformed', e instanceof WireError ? e.message : String(e));
      return;
    }
    const h = msg.header;
    const isResponse = (h.flags & HeaderFlag.RESPONSE) !== 0;
    const fromInitiator = (h.flags & HeaderFlag.INITIATOR) !== 0;
    if (h.exchangeType === ExchangeType.IKE_SA_INIT) {
      if (isResponse) onInitResponse(this, this.saInitHost, local, remote, msg, bytes);
      else if (fromInitiator) onInitRequest(this, this.saInitHost, local, remote, msg, bytes);
      else this.drop('wrong-role', 'IKE_SA_INIT request without the I flag');
      return;
    }
    const sa = this.sas.get(spiKey(fromInitiator ? h.spiR : h.spiI));
    if (!sa || sa.spiI !== h.spiI || sa.initiator === fromInitiator) {
      this.drop('unknown-spi', `${h.spiI.toString(16)}_i ${h.spiR.toString(16)}_r from ${formatIp(remote.address)}`);
      return;
    }
    if (!sa.keys || sa.lifecycle.state === 'destroying') {
      this.drop('unknown-spi', 'IKE SA without keys');
      return;
    }
    if (isResponse) onResponse(this, this.messageHost, sa, local, remote, msg, bytes);
    else onRequest(this, this.messageHost, sa, local, remote, msg, bytes);
  }

  private readonly rekeyHooks: RekeyHooks = {
    adopt: (old, fresh) => adopt(this, this.tables, old, fresh),
    register: (fresh) => {
      this.sas.set(spiKey(fresh.initiator ? fresh.spiI : fresh.spiR), fresh);
      this.unique.add(fresh);
    },
  };

  private readonly messageHost: SaMessageHost = {
    dispatch: {
      candidateConns: (sa) => this.connMatcher.candidates(sa.local.address, sa.remote.address),
      authenticated: (sa, payloads) => authenticated(this, this.tables, sa, payloads),
      rekeyHooks: this.rekeyHooks,
      drop: (reason, detail) => this.drop(reason, detail),
    },
    timed: this.timed,
    drop: (reason, detail) => this.drop(reason, detail),
  };
}

export { exchangeName };
