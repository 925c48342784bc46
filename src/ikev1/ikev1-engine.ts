/**
 * The IKEv1 engine: the table of ISAKMP SAs and the one dispatcher for received messages
 * (decode, find the SA by its cookies, tell a retransmission from a new message, route to the
 * Main Mode step). Sans-IO: datagrams and time in, actions out (STYLE.md §3.6).
 *
 * Retransmission (RFC 2408 has no request/response rule): the side that waits for an answer
 * resends its last message on the ike/retransmit.ts schedule; a side that receives a message
 * it has already answered resends its answer (strongSwan does the same). Anything that does
 * not decode, belongs to no SA or does not decrypt is counted and dropped without changing
 * an SA.
 */
import type { ConnectionConfig, EspritConfig } from '../config/swanctl/swanctl-model.js';
import { tsToString } from '../config/traffic-selector.js';
import type { AddressPool } from '../ike/address-pool.js';
import { type IkeCredentials, NO_CREDENTIALS } from '../ike/credentials.js';
import { formatIdentity } from '../ike/identity.js';
import type { IkeEvent } from '../ike/ike-events.js';
import type { Endpoint } from '../ike/natd.js';
import { DEFAULT_RETRANSMIT, type RetransmitSettings, retransmitTimeout } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import { WireError } from '../util/errors.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { decodeIsakmpHeader, decodeIsakmpMessage } from '../wire/isakmp/isakmp-decode.js';
import { summarizeIsakmp } from '../wire/isakmp/isakmp-summary.js';
import type { IsakmpHeader, IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { IsakmpExchange, IsakmpProtocol } from '../wire/registry/isakmp.js';
import { clientXauth, processAm2, startAggressiveMode } from './aggressive-initiator.js';
import { processAm1, processAm3, usesXauth } from './aggressive-mode.js';
import { poolsOf, responderConnection } from './connection-select.js';
import {
  clearErrorInformational,
  clearErrorNotify,
  ERROR_NOTIFY,
  errorNotifyName,
  halfOpenFailure,
  refusalEvent,
} from './error-notify.js';
import type { Ikev1Action } from './ikev1-actions.js';
import { createIkev1Sa, type Ikev1Child, type Ikev1Sa } from './ikev1-sa.js';
import { deleteEsp, Ikev1Notify } from './informational.js';
import { InformationalTasks } from './informational-tasks.js';
import { ISAKMP_FRAGMENT, splitSend, takeFragment } from './isakmp-fragments.js';
import {
  type MainModeContext,
  type MmStep,
  processMm1,
  processMm2,
  processMm3,
  processMm4,
  processMm5,
  processMm6,
  startMainMode,
} from './main-mode.js';
import { clientChildren, type ModeConfigResult } from './mode-config-client.js';
import { followPeer, retarget } from './nat-rebinding.js';
import { Phase1Rekeys, readResponderLifetime } from './phase1-rekey.js';
import { Phase2Exchanges } from './phase2-exchanges.js';
import { Transactions } from './transaction.js';
import { ClientTransactions } from './transaction-client.js';

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

export type Ikev1Drop =
  | 'malformed'
  | 'no-sa'
  | 'not-main-mode'
  | 'undecryptable'
  | 'unexpected'
  | 'half-open-expired'
  | 'fragment';

export class Ikev1Engine {
  private readonly sas = new Map<bigint, Ikev1Sa>();
  private readonly actions: Ikev1Action[] = [];
  private nextId = 1;
  readonly drops = new Map<Ikev1Drop, number>();
  private ctx: MainModeContext;
  private creds: IkeCredentials;
  private readonly retransmit: RetransmitSettings;
  private readonly halfOpenTimeoutMs: number;
  private readonly phase2: Phase2Exchanges;
  private readonly info: InformationalTasks;
  private readonly transactions: Transactions;
  private readonly clientTx: ClientTransactions;
  private readonly phase1: Phase1Rekeys;
  /** Mode Config address pools by name (as the IKEv2 engine keeps its own) */
  private pools = new Map<string, AddressPool>();
  private readonly reqids = new Map<string, number>();

  constructor(
    public config: EspritConfig,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly logger: Logger,
    opts: Ikev1EngineOptions = {},
  ) {
    this.creds = opts.credentials ?? NO_CREDENTIALS;
    this.ctx = this.mainModeContext(config);
    this.retransmit = opts.retransmit ?? DEFAULT_RETRANSMIT;
    this.halfOpenTimeoutMs = opts.halfOpenTimeoutMs ?? 30_000;
    const reqidFor =
      opts.reqidFor ??
      ((conn: string, child: string): number => {
        const k = `${conn}/${child}`;
        const r = this.reqids.get(k) ?? 0x2000 + this.reqids.size;
        this.reqids.set(k, r);
        return r;
      });
    this.phase2 = new Phase2Exchanges(
      {
        random: (b) => rng.fill(b),
        // As IKEv2's childReqid: the IKE initiator has one reqid per child (its trap policy
        // uses it); a gateway one per child and remote selectors, so road warriors behind one
        // NAT keep their own policies.
        // A CHILD SA adopted from a replaced ISAKMP SA keeps its reqid whatever this SA's role.
        reqidFor: (sa, child, remoteTs) => {
          const ts = remoteTs.map(tsToString).join(',');
          const kept = sa.children.find((c) => c.name === child && c.plan.remoteTs.map(tsToString).join(',') === ts);
          return kept?.plan.reqid ?? reqidFor(sa.conn.name, sa.initiator ? child : `${child}/${ts}`);
        },
      },
      {
        push: (a) => this.actions.push(a),
        drop: (why, detail) => this.drop(why as Ikev1Drop, detail),
        rekeyed: (_, oldSpiIn) => {
          // RFC 2409 §5.5 has no rekey exchange: a new Quick Mode, then a Delete for the old SA
          // (on the ISAKMP SA it is on now: a phase 1 rekey may have moved it)
          const sa = [...this.sas.values()].find((x) => x.children.some((c) => c.spiIn === oldSpiIn));
          const old = sa?.children.find((c) => c.spiIn === oldSpiIn);
          if (!sa || !old) return;
          if (sa.state === 'established') this.info.send(sa, [deleteEsp([old.spiIn])]);
          this.removeChild(sa, old, 'rekeyed');
        },
        refuse: (sa, n) => this.info.send(sa, [n]),
        finished: (sa, requestId, ok, reason) => {
          if (!ok) this.logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name}: ${reason}`);
          if (requestId !== undefined) this.actions.push({ kind: 'initiate-result', requestId, ok, reason });
        },
      },
      clock,
      logger,
      this.retransmit,
    );
    this.pools = poolsOf(config);
    this.transactions = new Transactions(
      {
        push: (a) => this.actions.push(a),
        drop: (why, detail) => this.drop(why as Ikev1Drop, detail),
        config: () => this.config,
        pools: () => this.pools,
        xauthDone: (sa, ok, user) => this.xauthDone(sa, ok, user),
      },
      rng,
      clock,
      logger,
      this.retransmit,
    );
    this.clientTx = new ClientTransactions(
      {
        push: (a) => this.actions.push(a),
        drop: (why, detail) => this.drop(why as Ikev1Drop, detail),
        config: () => this.config,
        configured: (sa, r) => this.clientConfigured(sa, r),
        failed: (sa, notify, reason) => this.clientFailed(sa, notify, reason),
      },
      rng,
      clock,
      logger,
      this.retransmit,
    );
    this.info = new InformationalTasks(
      {
        push: (a) => this.actions.push(a),
        drop: (why, detail) => this.drop(why as Ikev1Drop, detail),
        sas: () => [...this.sas.values()],
        removeSa: (sa, reason) => this.removeSa(sa, reason),
        removeChild: (sa, c, reason) => this.removeChild(sa, c, reason),
        errorNotify: (sa, type, spi) => {
          for (const child of this.phase2.refused(sa, errorNotifyName(type), spi))
            this.emit(refusalEvent(sa, type, child));
        },
        responderLifetime: (sa, seconds) => this.phase1.responderLifetime(sa, seconds),
      },
      rng,
      clock,
      logger,
    );
    this.phase1 = new Phase1Rekeys({
      sas: () => this.sas.values(),
      startReplacement: (old) => this.replace(old),
      deleteSa: (sa, reason) => {
        this.info.sendDeletes(sa);
        this.removeSa(sa, reason);
      },
      sendInfo: (sa, ps) => this.info.send(sa, ps),
      log: (level, msg) => this.logger.log(level, 'ike', msg),
      rng,
    });
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
    this.phase2.spiAllocated(token, spi);
  }

  /** The actions so far; a message too big for the path goes as Cisco fragments (isakmp-fragments.ts). */
  takeActions(): Ikev1Action[] {
    return this.actions.splice(0).flatMap((a) => {
      if (a.kind !== 'send') return [a];
      const out = splitSend(this.sas, this.config.host, a);
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
    return [...this.sas.values()];
  }

  private drop(why: Ikev1Drop, detail: string): void {
    this.drops.set(why, (this.drops.get(why) ?? 0) + 1);
    this.logger.log('debug', 'ike', `dropped IKEv1 message (${why}): ${detail}`);
  }

  private emit(e: IkeEvent): void {
    this.actions.push({ kind: 'event', event: e });
  }

  private cookie(): bigint {
    const b = new Uint8Array(8);
    do this.rng.fill(b);
    while (b.every((x) => x === 0));
    return new DataView(b.buffer).getBigUint64(0);
  }

  private newSa(conn: ConnectionConfig, initiator: boolean, local: Endpoint, remote: Endpoint, spiI: bigint): Ikev1Sa {
    const spiR = initiator ? 0n : this.cookie();
    const sa = createIkev1Sa(this.nextId++, conn, initiator, local, remote, spiI, spiR, this.clock.now());
    this.sas.set(spiI, sa);
    return sa;
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
        this.actions.push({
          kind: 'initiate-result',
          requestId,
          ok: false,
          reason: `no IKEv1 connection '${connName}'`,
        });
      return;
    }
    const sa = this.newSa(
      conn,
      true,
      { address: localAddr, port: conn.localPort },
      { address: remoteAddr, port: conn.remotePort },
      this.cookie(),
    );
    if (requestId !== undefined) sa.requestId = requestId;
    sa.pendingChildren = conn.children.filter((c) => child === undefined || c.name === child).map((c) => c.name);
    // RFC 2409 §5.4 Aggressive Mode for `aggressive = yes` (Cisco-style gateways, group PSK)
    sa.aggressive = conn.aggressive;
    const first = conn.aggressive ? startAggressiveMode(this.ctx, sa) : startMainMode(sa);
    if (typeof first === 'string') {
      this.fail(sa, 'NO-PROPOSAL-CHOSEN', first);
      return;
    }
    this.send(sa, first.bytes, first.payloads);
  }

  /** Phase 1 rekey (phase1-rekey.ts): a new Main Mode on `old`'s connection and endpoints. */
  private replace(old: Ikev1Sa): void {
    const sa = this.newSa(old.conn, true, old.local, old.remote, this.cookie());
    sa.replaces = old;
    if (old.life) old.life.successor = sa;
    const mm1 = startMainMode(sa);
    this.send(sa, mm1.bytes, mm1.payloads);
  }

  private send(sa: Ikev1Sa, bytes: Uint8Array, payloads: IsakmpPayload[]): void {
    this.logMessage(sa, 'generating', decodeIsakmpHeader(bytes), payloads, sa.initiator);
    sa.lastSent = { bytes, local: sa.local, remote: sa.remote };
    sa.sends = 1;
    const t = retransmitTimeout(0, this.retransmit);
    // only the side waiting for an answer retransmits; the responder answers duplicates
    sa.retransmitAt = !sa.initiator || sa.state === 'established' || t === undefined ? undefined : this.clock.now() + t;
    this.actions.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes });
  }

  /** charon's form: `generating ID_PROT request 0 [ SA V V ]` (encrypted messages by their plaintext). */
  private logMessage(
    sa: Ikev1Sa,
    dir: 'generating' | 'parsed',
    header: IsakmpHeader,
    ps: readonly IsakmpPayload[],
    fromInitiator: boolean,
  ): void {
    this.logger.log('info', 'enc', `[ike1#${sa.id}] ${dir} ${summarizeIsakmp(header, ps, !fromInitiator)}`);
  }

  /** One IKE message received on `local` from `remote` (marker already stripped). */
  receive(local: Endpoint, remote: Endpoint, bytes: Uint8Array): void {
    let msg: IsakmpMessage;
    try {
      msg = decodeIsakmpMessage(bytes);
    } catch (e) {
      if (e instanceof WireError) {
        this.drop('malformed', e.message);
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
      const sa = this.sas.get(h.spiI);
      // RFC 2408 §5.15: an unprotected refusal only ends a phase 1 we initiated (error-notify.ts)
      const refusal = sa?.initiator && sa.state !== 'established' ? clearErrorNotify(msg) : undefined;
      if (sa && refusal !== undefined && (sa.spiR === 0n || sa.spiR === h.spiR)) {
        this.logMessage(sa, 'parsed', h, msg.payloads, true);
        this.fail(sa, errorNotifyName(refusal), `phase 1 refused by ${formatIp(remote.address)}`, false);
        return;
      }
      if (!sa || sa.state !== 'established' || sa.spiR !== h.spiR) {
        this.drop('no-sa', `exchange ${h.exchangeType} for cookies ${h.spiI.toString(16)}/${h.spiR.toString(16)}`);
        return;
      }
      const [auth, mark, from] = [sa.authIn ?? 0, this.actions.length, sa.remote];
      if (h.exchangeType === IsakmpExchange.INFORMATIONAL) this.info.receive(sa, msg);
      else if (h.exchangeType === IsakmpExchange.TRANSACTION)
        // the phase 1 initiator is the client of XAUTH and Mode Config (transaction-client.ts)
        (sa.initiator ? this.clientTx : this.transactions).receive(sa, msg, bytes);
      // xauth-06 §6: no phase 2 before the user is authenticated
      else if (sa.xauth && sa.xauth.state !== 'done') this.drop('unexpected', 'Quick Mode before XAUTH completed');
      else this.phase2.receive(sa, msg, bytes);
      // RFC 3947 §4: an authenticated message from a new address/port (nat-rebinding.ts)
      if ((sa.authIn ?? 0) > auth && followPeer(sa, remote, 'ike', (a) => this.actions.push(a)))
        retarget(this.actions, mark, from, sa.remote);
      return;
    }
    const aggressive = h.exchangeType === IsakmpExchange.AGGRESSIVE;
    if (h.exchangeType !== IsakmpExchange.ID_PROT && !aggressive) {
      this.drop('not-main-mode', `exchange ${h.exchangeType}`);
      return;
    }
    let sa = this.sas.get(h.spiI);
    if (!sa) {
      if (h.spiR !== 0n || msg.encrypted) {
        this.drop('no-sa', `cookies ${h.spiI.toString(16)}/${h.spiR.toString(16)}`);
        return;
      }
      const conn = responderConnection(this.config, msg, aggressive, local.address, remote.address);
      if (!conn) {
        this.drop(
          'no-sa',
          `no IKEv1 ${aggressive ? 'Aggressive' : 'Main'} Mode connection for ${formatIp(remote.address)}`,
        );
        return;
      }
      sa = this.newSa(conn, false, local, remote, h.spiI);
      sa.aggressive = aggressive;
    }
    if (aggressive !== (sa.aggressive === true)) {
      this.drop('unexpected', 'phase 1 exchange type changed');
      return;
    }
    // A retransmission of the message we last answered (MM1 still without CKY-R): answer
    // again (strongSwan does too).
    if (sa.lastReceived && bytesEqual(sa.lastReceived, bytes)) {
      // AM3 is the initiator's last message: a repeated AM2 means it was lost
      const answer = !sa.initiator || sa.aggressive === true;
      this.logger.log(
        'debug',
        'enc',
        `[ike1#${sa.id}] received a retransmission of the last message, ${answer ? 'answered again' : 'ignored'}`,
      );
      if (answer && sa.lastSent) this.actions.push({ kind: 'send', ...sa.lastSent });
      return;
    }
    const fresh = !sa.initiator && sa.state === 'mm1-sent' && sa.lastReceived === undefined;
    const first = sa.initiator && (sa.state === 'mm1-sent' || sa.state === 'am1-sent');
    if (!fresh && !first && h.spiR !== sa.spiR) {
      this.drop('no-sa', 'responder cookie mismatch');
      return;
    }
    this.step(sa, msg, local, remote, bytes);
  }

  /** A Cisco fragment: stored, and the joined message received when it is complete. */
  private receiveFragment(local: Endpoint, remote: Endpoint, msg: IsakmpMessage): void {
    const r = takeFragment(this.sas, msg, this.clock.now(), this.config.host.maxPacket);
    if (r.kind === 'drop') this.drop('fragment', r.reason);
    else if (r.kind === 'complete') {
      this.logger.log('debug', 'enc', `reassembled a fragmented IKEv1 message (${r.bytes.length} octets)`);
      // the joined message is checked as any datagram; it may not be a fragment again
      if (r.bytes[16] === ISAKMP_FRAGMENT) this.drop('fragment', 'a reassembled message is a fragment');
      else this.receive(local, remote, r.bytes);
    }
  }

  /** Which message each state waits for: cleartext (MM2/MM4, MM1/MM3) or encrypted (MM6, MM5). */
  private static readonly EXPECT: Readonly<Record<string, 'clear' | 'encrypted'>> = {
    'i:mm1-sent': 'clear',
    'i:am1-sent': 'clear',
    'i:mm3-sent': 'clear',
    'i:mm5-sent': 'encrypted',
    'r:mm1-sent': 'clear',
    'r:mm2-sent': 'clear',
    'r:mm4-sent': 'encrypted',
  };

  private step(sa: Ikev1Sa, msg: IsakmpMessage, local: Endpoint, remote: Endpoint, bytes: Uint8Array): void {
    const want = Ikev1Engine.EXPECT[`${sa.initiator ? 'i' : 'r'}:${sa.state}`];
    // RFC 2409 §5.4: AM3 may come in clear or encrypted (vpnc encrypts it)
    const either = sa.aggressive && sa.state === 'am2-sent';
    if (!either && (want === undefined || (want === 'encrypted') !== (msg.encrypted !== undefined))) {
      this.drop('unexpected', `${sa.initiator ? 'initiator' : 'responder'} in ${sa.state}`);
      return;
    }
    const opened: IsakmpPayload[] = [];
    let r: MmStep;
    if (sa.initiator && sa.state === 'am1-sent') {
      sa.spiR = msg.header.spiR;
      r = processAm2(this.ctx, sa, msg);
    } else if (sa.initiator) {
      if (sa.state === 'mm1-sent') {
        sa.spiR = msg.header.spiR;
        r = processMm2(this.ctx, sa, msg);
      } else if (sa.state === 'mm3-sent') r = processMm4(this.ctx, sa, msg);
      else r = processMm6(this.ctx, sa, msg, opened);
    } else if (sa.aggressive && sa.state === 'mm1-sent') r = processAm1(this.ctx, sa, msg);
    else if (sa.aggressive) r = processAm3(this.ctx, sa, msg, local, remote, opened);
    else if (sa.state === 'mm1-sent') r = processMm1(sa, msg);
    else if (sa.state === 'mm2-sent') r = processMm3(this.ctx, sa, msg);
    else r = processMm5(this.ctx, sa, msg, local, remote, opened);
    if (r.kind === 'drop') {
      this.drop('undecryptable', r.reason);
      // RFC 2409 §5: with a wrong PSK, SKEYID_e differs and MM5/MM6 decrypt to garbage.
      if (sa.state === 'mm4-sent' || sa.state === 'mm5-sent')
        this.logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name}: ${r.reason} (a wrong pre-shared key?)`);
      return;
    }
    this.logMessage(sa, 'parsed', msg.header, msg.encrypted ? opened : msg.payloads, !sa.initiator);
    sa.lastReceived = bytes;
    if (r.kind === 'fail') {
      this.fail(sa, r.notify, r.reason);
      return;
    }
    if (r.kind === 'send') this.send(sa, r.bytes, r.payloads);
    if (sa.state === 'established') {
      // RFC 2407 §4.6.3.3 INITIAL-CONTACT may ride in MM5 (charon puts it there)
      if (opened.some((p) => p.kind === 'N' && p.notifyType === Ikev1Notify.INITIAL_CONTACT))
        this.info.initialContact(sa);
      this.established(sa);
      // RFC 2407 §4.6.3.1: a responder may state a lower phase 1 lifetime in MM6
      for (const p of opened) {
        const s = readResponderLifetime(p, IsakmpProtocol.ISAKMP);
        if (s !== undefined) this.phase1.responderLifetime(sa, s);
      }
    }
  }

  private established(sa: Ikev1Sa): void {
    sa.retransmitAt = undefined;
    // Appendix B: every phase 2 IV derives from the last CBC block of phase 1 (MM6).
    sa.phase1LastBlock = sa.iv;
    this.logger.log(
      'info',
      'ike',
      `[ike1#${sa.id}] IKE_SA ${sa.conn.name} established between ${formatIp(sa.local.address)}[${sa.local.port}]...${formatIp(sa.remote.address)}[${sa.remote.port}]`,
    );
    if (sa.natt)
      this.emit({
        kind: 'nat-detected',
        conn: sa.conn.name,
        ikeId: sa.id,
        local: sa.localBehindNat,
        remote: sa.remoteBehindNat,
        faked: sa.conn.encap,
      });
    this.emit({
      kind: 'ike-up',
      conn: sa.conn.name,
      ikeId: sa.id,
      local: { address: formatIp(sa.local.address), port: sa.local.port },
      remote: { address: formatIp(sa.remote.address), port: sa.remote.port },
      remoteId: sa.remoteId ? formatIdentity(sa.remoteId) : '%any',
    });
    this.info.established(sa);
    // strongSwan adopts the CHILD SAs of a replaced SA after XAUTH (xauth.c); so does esprit
    if (sa.initiator || !usesXauth(sa.conn)) this.phase1.established(sa, this.clock.now());
    // xauth-06 §6.2: the gateway asks for the user right after phase 1, then Mode Config push
    if (!sa.initiator) this.transactions.afterPhase1(sa, usesXauth(sa.conn));
    // a client of XAUTH or Mode Config starts its CHILD SAs once configured (clientConfigured)
    if (sa.initiator && (clientXauth(sa.conn) || sa.conn.vips.length > 0)) this.clientTx.established(sa);
    else this.startChildren(sa, undefined);
  }

  /** Quick Mode for the children `up` asked for (with Unity split include, one per network). */
  private startChildren(sa: Ikev1Sa, r: ModeConfigResult | undefined): void {
    const asked = (sa.pendingChildren ?? []).flatMap((n) => sa.conn.children.filter((c) => c.name === n));
    const children = sa.initiator ? clientChildren(asked, r) : asked;
    if (r) sa.clientChildren = children;
    sa.pendingChildren = undefined;
    // The `up` request is answered by the first Quick Mode (as IKEv2's by IKE_AUTH's CHILD SA).
    for (const [i, c] of children.entries()) this.phase2.initiate(sa, c, i === 0 ? sa.requestId : undefined);
    if (children.length === 0 && sa.requestId !== undefined)
      this.actions.push({ kind: 'initiate-result', requestId: sa.requestId, ok: true, reason: 'established' });
  }

  /** A failed connection: logged, `auth-failed` for `esprit monitor`, `up` answered with the reason. */
  private authFailed(sa: Ikev1Sa, notify: string, reason: string): void {
    this.logger.log('warn', 'ike', `[ike1#${sa.id}] ${sa.conn.name} failed: ${notify}: ${reason}`);
    this.emit(authFailedEvent(sa, notify, reason));
    if (sa.requestId !== undefined)
      this.actions.push({
        kind: 'initiate-result',
        requestId: sa.requestId,
        ok: false,
        reason: `${notify}: ${reason}`,
      });
  }

  /** Phase 1 failed; `tell`: send the peer the error notify (not for one it sent us). */
  private fail(sa: Ikev1Sa, notify: string, reason: string, tell = true): void {
    const type = ERROR_NOTIFY[notify];
    if (tell && type !== undefined) {
      // RFC 2408 §4.8: before phase 1 completes the Informational is unprotected
      const n = clearErrorInformational(sa, type, (b) => this.rng.fill(b));
      this.logMessage(sa, 'generating', decodeIsakmpHeader(n.bytes), n.payloads, true);
      this.actions.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: n.bytes });
    }
    sa.state = 'failed';
    sa.failure = `${notify}: ${reason}`;
    sa.retransmitAt = undefined;
    this.authFailed(sa, notify, reason);
    this.sas.delete(sa.spiI);
    this.phase2.forget(sa);
    if (sa.replaces) this.phase1.replacementFailed(sa, this.clock.now());
  }

  /**
   * Delete the ISAKMP SAs of `conn` (all with undefined) and their CHILD SAs: a Delete to the
   * peer for each (RFC 2408 §3.15), then local removal. Returns how many went.
   */
  terminate(conn?: string, reason = 'terminated'): number {
    let n = 0;
    for (const sa of [...this.sas.values()]) {
      if (conn !== undefined && sa.conn.name !== conn) continue;
      this.info.sendDeletes(sa);
      this.removeSa(sa, reason);
      n++;
    }
    return n;
  }

  private removeChild(sa: Ikev1Sa, c: Ikev1Child, reason: string): void {
    sa.children = sa.children.filter((x) => x !== c);
    this.actions.push({ kind: 'remove-child', plan: c.plan });
    this.emit({
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
   * ipsecd's EXPIRE for the inbound SA `spi`: soft starts a rekey (a new Quick Mode for the same
   * child, on the SA's initiator side); hard removes the CHILD SA (ipsecd has deleted it).
   */
  childExpired(spi: number, hard: boolean): void {
    for (const sa of this.sas.values()) {
      const c = sa.children.find((x) => x.spiIn === spi);
      if (!c) continue;
      if (hard) this.removeChild(sa, c, 'expired');
      else {
        const cfg = (sa.clientChildren ?? sa.conn.children).find((x) => x.name === c.name);
        if (cfg && sa.state === 'established' && !c.rekeying) {
          c.rekeying = true;
          this.phase2.initiate(sa, cfg, undefined, c.spiIn);
        }
      }
      return;
    }
  }

  /** Client: Mode Config done (or not asked for): the virtual IP on the TUN, then Quick Mode. */
  private clientConfigured(sa: Ikev1Sa, r: ModeConfigResult | undefined): void {
    for (const address of sa.vipsLocal ?? [])
      this.actions.push({ kind: 'vip-add', ikeId: sa.id, address, dns: r?.dns ?? [] });
    this.startChildren(sa, r);
  }

  /**
   * Client: XAUTH refused (XAUTH_STATUS 0, xauth-06 §6.3), no credentials, or Mode Config
   * failed: the connection fails (auth-failed, `up` answered with the reason), the gateway gets
   * a Delete for the ISAKMP SA.
   */
  private clientFailed(sa: Ikev1Sa, notify: string, reason: string): void {
    this.authFailed(sa, notify, reason);
    sa.requestId = undefined;
    this.info.sendDeletes(sa);
    this.removeSa(sa, reason);
  }

  /** ipsecd saw the peer's ESP for inbound SA `spiIn` from a new endpoint (X_NAT_T_NEW_MAPPING). */
  espMappingChanged(spiIn: number, remote: Endpoint): void {
    for (const sa of this.sas.values())
      if (sa.children.some((c) => c.spiIn === spiIn && c.plan.encap?.framing !== 'cisco-udp'))
        followPeer(sa, remote, 'esp', (a) => this.actions.push(a));
  }

  /** XAUTH finished: a failed user loses the ISAKMP SA (after the CFG_ACK, xauth-06 §6.3). */
  private xauthDone(sa: Ikev1Sa, ok: boolean, user: string): void {
    if (ok) {
      this.phase1.established(sa, this.clock.now());
      return;
    }
    this.emit(authFailedEvent(sa, 'AUTHENTICATION-FAILED', `XAUTH failed for '${user}'`));
    this.info.sendDeletes(sa);
    this.removeSa(sa, 'XAUTH failed');
  }

  /** Remove an ISAKMP SA and its CHILD SAs locally (IKEv1 CHILD SAs go with it, as in charon). */
  private removeSa(sa: Ikev1Sa, reason0: string): void {
    // a replaced SA's end is no close_action matter (its CHILD SAs live on in the new one)
    const reason =
      sa.life?.retireAt !== undefined && reason0 === 'deleted by peer' ? 'replaced by a new ISAKMP SA' : reason0;
    for (const c of [...sa.children]) this.removeChild(sa, c, reason);
    if (sa.state === 'established') this.emit({ kind: 'ike-down', conn: sa.conn.name, ikeId: sa.id, reason });
    this.sas.delete(sa.spiI);
    this.phase2.forget(sa);
    this.transactions.forget(sa);
    this.clientTx.forget(sa);
    for (const address of sa.vipsLocal ?? []) this.actions.push({ kind: 'vip-remove', ikeId: sa.id, address });
    for (const l of sa.leases ?? []) this.pools.get(l.pool)?.release(l.who, l.address);
  }

  nextDeadline(): number | undefined {
    let t: number | undefined;
    const at = (x: number | undefined) => {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    };
    for (const sa of this.sas.values()) {
      at(sa.retransmitAt);
      if (!sa.initiator && sa.state !== 'established') at(sa.createdAt + this.halfOpenTimeoutMs);
    }
    at(this.phase2.nextDeadline());
    at(this.info.nextDeadline());
    at(this.transactions.nextDeadline());
    at(this.clientTx.nextDeadline());
    at(this.phase1.nextDeadline());
    return t;
  }

  /** Retransmit what is due (the initiator's last message); give up after the last try. */
  tick(): void {
    const now = this.clock.now();
    this.phase2.tick();
    this.info.tick();
    this.transactions.tick();
    this.clientTx.tick();
    this.phase1.tick(now);
    for (const sa of [...this.sas.values()]) {
      if (!sa.initiator && sa.state !== 'established' && now >= sa.createdAt + this.halfOpenTimeoutMs) {
        // an unauthenticated responder SA that never finished (spoofed MM1, lost peer)
        this.sas.delete(sa.spiI);
        this.drop('half-open-expired', `${sa.conn.name}[#${sa.id}] in ${sa.state}`);
        const e = halfOpenFailure(sa);
        if (e) this.emit(e);
        continue;
      }
      if (sa.retransmitAt === undefined || sa.retransmitAt > now || !sa.lastSent || !sa.initiator) continue;
      const wait = retransmitTimeout(sa.sends, this.retransmit);
      if (wait === undefined) {
        this.fail(sa, 'TIMEOUT', `no answer after ${sa.sends} sends`);
        continue;
      }
      sa.sends++;
      sa.retransmitAt = now + wait;
      this.actions.push({ kind: 'send', ...sa.lastSent });
      this.emit({
        kind: 'retransmit',
        conn: sa.conn.name,
        ikeId: sa.id,
        exchange: 'ID_PROT',
        messageId: 0,
        attempt: sa.sends - 1,
      });
    }
  }
}

function authFailedEvent(sa: Ikev1Sa, notify: string, detail: string): IkeEvent {
  const peer = `${formatIp(sa.remote.address)}:${sa.remote.port}`;
  return { kind: 'auth-failed', conn: sa.conn.name, ikeId: sa.id, notify, peer, detail };
}
