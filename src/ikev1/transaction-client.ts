/**
 * Transaction exchanges (draft-ietf-ipsec-isakmp-mode-cfg-05 §3, exchange type 6) as a client
 * of a Cisco-style gateway: XAUTH generic (draft-ietf-ipsec-isakmp-xauth-06 §6) answered,
 * Mode Config pulled (our CFG_REQUEST, the gateway's CFG_REPLY) and a gateway's push (its
 * CFG_SET, our CFG_ACK) taken, in the order vpnc and Cisco clients follow:
 *
 *   <-- HDR*, HASH, ATTR(CFG_REQUEST: XAUTH_TYPE, XAUTH_USER_NAME, XAUTH_USER_PASSWORD)   gw
 *   HDR*, HASH, ATTR(CFG_REPLY: type, name, password)                          -->
 *   <-- HDR*, HASH, ATTR(CFG_SET: XAUTH_STATUS 1 | 0)
 *   HDR*, HASH, ATTR(CFG_ACK: XAUTH_STATUS)                                    -->
 *   HDR*, HASH, ATTR(CFG_REQUEST: address, netmask, DNS, NBNS, Unity ... [, 28677]) -->
 *   <-- HDR*, HASH, ATTR(CFG_REPLY: what the gateway has)
 *
 * Protection as transaction.ts (the gateway side): HASH = prf(SKEYID_a, M-ID | ATTR), the first
 * IV of a message ID from the last phase 1 block, answers chained (RFC 2409 Appendix B). Our
 * request is retransmitted until answered; a repeated gateway message gets our cached answer;
 * anything that does not decrypt or verify is dropped without a change.
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import { type RetransmitSettings, retransmitTimeout } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import type { DataAttribute, IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import { clientXauth } from './aggressive-initiator.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { CfgAttr, CfgType, XauthStatus } from './mode-config-attributes.js';
import {
  ackAttributes,
  type ModeConfigResult,
  modeConfigRequest,
  parseModeConfig,
  wantsCiscoUdp,
} from './mode-config-client.js';
import { exchangeIv } from './phase2-message.js';
import { openTransaction, sealTransaction } from './transaction-message.js';
import { isXauthRequest, xauthCredentials, xauthReply, xauthStatus } from './xauth-client.js';

export interface ClientTransactionHooks {
  push(a: Ikev1Action): void;
  drop(reason: string, detail: string): void;
  config(): EspritConfig;
  /** Mode Config is done (or was not asked for): start the CHILD SAs */
  configured(sa: Ikev1Sa, result: ModeConfigResult | undefined): void;
  /** the connection fails: `notify` names why for the auth-failed event */
  failed(sa: Ikev1Sa, notify: string, reason: string): void;
}

/** How long the client waits for the gateway's XAUTH request after phase 1, ms. */
export const XAUTH_WAIT_MS = 30_000;

type Phase = 'xauth-wait' | 'modecfg' | 'done';

interface Request {
  sa: Ikev1Sa;
  mid: number;
  iv: Uint8Array;
  lastSent: Uint8Array;
  sends: number;
  retransmitAt?: number;
}

/** A gateway-initiated exchange we answered: a repeat of its message gets the same answer. */
interface Answered {
  lastReceived: Uint8Array;
  lastSent: Uint8Array;
}

export class ClientTransactions {
  private readonly phase = new Map<Ikev1Sa, { phase: Phase; waitUntil?: number }>();
  private readonly requests = new Map<string, Request>();
  private readonly answered = new Map<string, Answered>();

  constructor(
    private readonly hooks: ClientTransactionHooks,
    private readonly rng: Rng,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retransmit: RetransmitSettings,
  ) {}

  private key(sa: Ikev1Sa, mid: number): string {
    return `${sa.spiI.toString(16)}:${mid}`;
  }

  private random32(): number {
    const b = new Uint8Array(4);
    this.rng.fill(b);
    return new DataView(b.buffer).getUint32(0);
  }

  private seal(sa: Ikev1Sa, mid: number, iv: Uint8Array, attr: IsakmpPayload, response: boolean) {
    const s = sealTransaction(sa, mid, iv, attr, response, this.logger);
    this.hooks.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: s.bytes });
    return s;
  }

  /** Phase 1 is up: wait for XAUTH (a local XAUTH round), else pull Mode Config. */
  established(sa: Ikev1Sa): void {
    if (clientXauth(sa.conn)) {
      // xauth-06 §6.2: the gateway starts XAUTH right after phase 1
      this.phase.set(sa, { phase: 'xauth-wait', waitUntil: this.clock.now() + XAUTH_WAIT_MS });
      return;
    }
    this.afterXauth(sa);
  }

  private afterXauth(sa: Ikev1Sa): void {
    if (sa.conn.vips.length === 0) {
      this.phase.set(sa, { phase: 'done' });
      this.hooks.configured(sa, undefined);
      return;
    }
    this.phase.set(sa, { phase: 'modecfg' });
    this.pull(sa);
  }

  /** mode-cfg-05 §3.2: our CFG_REQUEST in a new exchange, retransmitted until the CFG_REPLY. */
  private pull(sa: Ikev1Sa): void {
    let mid = 0;
    while (mid === 0 || this.requests.has(this.key(sa, mid)) || this.answered.has(this.key(sa, mid)))
      mid = this.random32();
    // protocol-facts §3 (vpnc, Shrew): Cisco UDP only when IKE NAT-T was not negotiated
    const attrs = modeConfigRequest(wantsCiscoUdp(sa.conn) && !sa.natt, sa.requestedVip);
    const attr: IsakmpPayload = {
      kind: 'ATTR',
      cfgType: CfgType.REQUEST,
      identifier: this.random32() & 0xffff,
      attributes: attrs,
    };
    const s = this.seal(sa, mid, exchangeIv(sa)(mid), attr, false);
    const wait = retransmitTimeout(0, this.retransmit);
    this.requests.set(this.key(sa, mid), {
      sa,
      mid,
      iv: s.nextIv,
      lastSent: s.bytes,
      sends: 1,
      ...(wait !== undefined ? { retransmitAt: this.clock.now() + wait } : {}),
    });
  }

  receive(sa: Ikev1Sa, msg: IsakmpMessage, bytes: Uint8Array): void {
    const mid = msg.header.messageId;
    const key = this.key(sa, mid);
    const done = this.answered.get(key);
    if (done && bytesEqual(done.lastReceived, bytes)) {
      this.hooks.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: done.lastSent });
      return;
    }
    const req = this.requests.get(key);
    const o = openTransaction(sa, msg, req ? req.iv : exchangeIv(sa)(mid), !!req, this.logger);
    if (typeof o === 'string') {
      this.hooks.drop('undecryptable', o);
      return;
    }
    const attr = o.attr;
    if (!attr) {
      this.hooks.drop('unexpected', `Transaction ${mid} without attributes`);
      return;
    }
    const phase = this.phase.get(sa)?.phase;
    const answer = (cfgType: number, attributes: DataAttribute[]): void => {
      const s = this.seal(sa, mid, o.nextIv, { kind: 'ATTR', cfgType, identifier: attr.identifier, attributes }, true);
      this.answered.set(key, { lastReceived: bytes, lastSent: s.bytes });
    };
    if (req && attr.cfgType === CfgType.REPLY) {
      this.requests.delete(key);
      this.apply(sa, parseModeConfig(attr.attributes));
    } else if (!req && attr.cfgType === CfgType.REQUEST && isXauthRequest(attr.attributes)) {
      if (phase !== 'xauth-wait') {
        // xauth-06 §6.2: the gateway insists on XAUTH; without our round nothing else will come
        if (!clientXauth(sa.conn))
          this.fail(sa, 'AUTHENTICATION-FAILED', 'the gateway asks for XAUTH: the connection has no local-xauth round');
        else this.hooks.drop('unexpected', 'XAUTH request after XAUTH');
        return;
      }
      const creds = xauthCredentials(sa.conn, this.hooks.config());
      const reply = typeof creds === 'string' ? creds : xauthReply(attr.attributes, creds);
      if (typeof reply === 'string') {
        this.fail(sa, 'AUTHENTICATION-FAILED', `XAUTH: ${reply}`);
        return;
      }
      // the wait ends: the gateway has asked; its CFG_SET comes next
      this.phase.set(sa, { phase: 'xauth-wait' });
      answer(CfgType.REPLY, reply);
    } else if (!req && attr.cfgType === CfgType.SET && xauthStatus(attr.attributes) !== undefined) {
      if (phase !== 'xauth-wait') {
        this.hooks.drop('unexpected', 'XAUTH status outside XAUTH');
        return;
      }
      const status = xauthStatus(attr.attributes);
      // xauth-06 §6.3: acknowledge the status either way
      answer(CfgType.ACK, [
        { type: CfgAttr.XAUTH_STATUS, form: 'tv', value: new Uint8Array([0, status === XauthStatus.OK ? 1 : 0]) },
      ]);
      if (status === XauthStatus.OK) {
        this.logger.log('info', 'ike', `[ike1#${sa.id}] XAUTH authentication successful`);
        this.afterXauth(sa);
      } else this.fail(sa, 'AUTHENTICATION-FAILED', 'XAUTH failed: the gateway refused our user name or password');
    } else if (!req && attr.cfgType === CfgType.SET) {
      // mode-cfg-05 §3.3 push: the gateway sets, we acknowledge what we took
      const r = parseModeConfig(attr.attributes);
      answer(CfgType.ACK, ackAttributes(r));
      if (phase === 'xauth-wait') {
        this.hooks.drop('unexpected', 'Mode Config set before XAUTH completed');
        return;
      }
      if (phase !== 'done') {
        for (const [k, x] of this.requests) if (x.sa === sa) this.requests.delete(k);
        this.apply(sa, r);
      }
    } else this.hooks.drop('unexpected', `Transaction ${mid}: CFG type ${attr.cfgType}`);
  }

  /** Take what the gateway configured (pull or push) once. */
  private apply(sa: Ikev1Sa, r: ModeConfigResult): void {
    if (this.phase.get(sa)?.phase === 'done') return;
    const tag = `[ike1#${sa.id}]`;
    for (const n of r.notes) this.logger.log('warn', 'ike', `${tag} Mode Config: ${n} (left out)`);
    if (sa.conn.vips.length > 0 && !r.address) {
      this.fail(sa, 'INTERNAL_ADDRESS_FAILURE', 'Mode Config: the gateway assigned no INTERNAL_IP4_ADDRESS');
      return;
    }
    this.phase.set(sa, { phase: 'done' });
    if (r.address) sa.vipsLocal = [r.address];
    if (wantsCiscoUdp(sa.conn) && !sa.natt) {
      if (r.ciscoUdpPort !== undefined) {
        sa.ciscoUdpPort = r.ciscoUdpPort;
        sa.ciscoUdpLocalPort = sa.conn.ciscoUdpPort;
      } else this.logger.log('warn', 'ike', `${tag} the gateway gave no Cisco UDP port: ESP goes unencapsulated`);
    }
    const list = (xs: Uint8Array[]) => xs.map(formatIp).join(', ') || '-';
    this.logger.log(
      'info',
      'ike',
      `${tag} Mode Config: address ${r.address ? formatIp(r.address) : '-'}, DNS ${list(r.dns)}, NBNS ${list(r.nbns)}, split include ${r.splitInclude.join(', ') || '-'}, split exclude ${r.splitExclude.join(', ') || '-'}${r.ciscoUdpPort !== undefined ? `, Cisco UDP port ${r.ciscoUdpPort}` : ''}`,
    );
    if (r.defaultDomain || r.splitDns.length > 0)
      this.logger.log(
        'info',
        'ike',
        `${tag} Mode Config: default domain ${r.defaultDomain ?? '-'}, split DNS ${r.splitDns.join(', ') || '-'}`,
      );
    if (r.banner) this.logger.log('info', 'ike', `${tag} banner: ${r.banner}`);
    this.hooks.configured(sa, r);
  }

  private fail(sa: Ikev1Sa, notify: string, reason: string): void {
    this.forget(sa);
    this.hooks.failed(sa, notify, reason);
  }

  forget(sa: Ikev1Sa): void {
    this.phase.delete(sa);
    const p = `${sa.spiI.toString(16)}:`;
    for (const k of this.requests.keys()) if (k.startsWith(p)) this.requests.delete(k);
    for (const k of this.answered.keys()) if (k.startsWith(p)) this.answered.delete(k);
  }

  nextDeadline(): number | undefined {
    let t: number | undefined;
    const at = (x: number | undefined) => {
      if (x !== undefined && (t === undefined || x < t)) t = x;
    };
    for (const r of this.requests.values()) at(r.retransmitAt);
    for (const p of this.phase.values()) at(p.waitUntil);
    return t;
  }

  tick(): void {
    const now = this.clock.now();
    for (const [sa, p] of [...this.phase])
      if (p.waitUntil !== undefined && now >= p.waitUntil)
        this.fail(sa, 'TIMEOUT', `no XAUTH request from the gateway within ${XAUTH_WAIT_MS / 1000} s`);
    for (const [k, r] of [...this.requests]) {
      if (!this.requests.has(k) || r.retransmitAt === undefined || now < r.retransmitAt) continue;
      const wait = retransmitTimeout(r.sends, this.retransmit);
      if (wait === undefined) {
        this.fail(r.sa, 'TIMEOUT', `no Mode Config reply after ${r.sends} sends`);
        continue;
      }
      r.sends++;
      r.retransmitAt = now + wait;
      this.hooks.push({ kind: 'send', local: r.sa.local, remote: r.sa.remote, bytes: r.lastSent });
    }
  }
}
