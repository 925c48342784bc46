/**
 * Transaction exchanges (draft-ietf-ipsec-isakmp-mode-cfg-05 §3, exchange type 6) as a
 * gateway: XAUTH generic username/password (draft-ietf-ipsec-isakmp-xauth-06 §4-§6) and Mode
 * Config pull (the client's CFG_REQUEST, our CFG_REPLY), the order vpnc and Cisco clients use:
 *
 *   gw  HDR*, HASH, ATTR(CFG_REQUEST: XAUTH_TYPE, XAUTH_USER_NAME, XAUTH_USER_PASSWORD) -->
 *   <-- HDR*, HASH, ATTR(CFG_REPLY: name, password)                              client
 *   gw  HDR*, HASH, ATTR(CFG_SET: XAUTH_STATUS 1 | 0)                            -->
 *   <-- HDR*, HASH, ATTR(CFG_ACK)
 *   <-- HDR*, HASH, ATTR(CFG_REQUEST: IP4 address, DNS, NBNS, Unity attributes ...)
 *   gw  HDR*, HASH, ATTR(CFG_REPLY: what we have)                                -->
 *
 * or, with `pull = no` (push, §3.3), after the XAUTH ACK (or phase 1 without XAUTH):
 *
 *   gw  HDR*, HASH, ATTR(CFG_SET: address, DNS, ... as mode-config-gateway.ts)   -->
 *   <-- HDR*, HASH, ATTR(CFG_ACK)
 *
 * Every message is protected like an Informational: HASH = prf(SKEYID_a, M-ID | ATTR) in both
 * directions (mode-cfg-05 §3.3), the first IV of a message ID from the last phase 1 block,
 * the answer chained from the request's last block (RFC 2409 Appendix B). Requests we send
 * are retransmitted until answered; a duplicate client request gets the same reply. Unknown
 * requested attributes are left out of the reply (§3.2: the responder returns what it has).
 */
import type { EspritConfig } from '../config/swanctl/swanctl-model.js';
import type { AddressPool } from '../ike/address-pool.js';
import { type RetransmitSettings, retransmitTimeout } from '../ike/retransmit.js';
import type { Clock } from '../util/clock.js';
import { bytesEqual } from '../util/hex.js';
import { formatIp } from '../util/ip-addr.js';
import type { Logger } from '../util/logger.js';
import type { Rng } from '../util/rng.js';
import { tvAttribute } from '../wire/isakmp/data-attribute.js';
import type { DataAttribute, IsakmpMessage, IsakmpPayload } from '../wire/isakmp/isakmp-types.js';
import type { Ikev1Action } from './ikev1-actions.js';
import type { Ikev1Sa } from './ikev1-sa.js';
import { CfgAttr, CfgType } from './mode-config-attributes.js';
import { gatewayAttributes } from './mode-config-gateway.js';
import { exchangeIv } from './phase2-message.js';
import { openTransaction, sealTransaction } from './transaction-message.js';

interface Pending {
  sa: Ikev1Sa;
  mid: number;
  /** the IV for the answer to what we sent */
  iv: Uint8Array;
  kind: 'xauth-request' | 'xauth-set' | 'cfg-set' | 'reply';
  identifier: number;
  lastSent: Uint8Array;
  lastReceived?: Uint8Array;
  sends: number;
  retransmitAt?: number;
  /** for xauth-set: the outcome we told the client */
  ok?: boolean;
  user?: string;
}

export interface TransactionHooks {
  push(a: Ikev1Action): void;
  drop(reason: string, detail: string): void;
  config(): EspritConfig;
  pools(): ReadonlyMap<string, AddressPool>;
  /** XAUTH finished: ok, or the SA is to go (auth-failed) */
  xauthDone(sa: Ikev1Sa, ok: boolean, user: string): void;
}

const text = new TextDecoder();

function tlv(type: number, value: Uint8Array): DataAttribute {
  return { type, form: 'tlv', value };
}

export class Transactions {
  private readonly byMid = new Map<string, Pending>();

  constructor(
    private readonly hooks: TransactionHooks,
    private readonly rng: Rng,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly retransmit: RetransmitSettings,
  ) {}

  private key(sa: Ikev1Sa, mid: number): string {
    return `${sa.spiI.toString(16)}:${mid}`;
  }

  private random(n: number): number {
    const b = new Uint8Array(4);
    this.rng.fill(b);
    return new DataView(b.buffer).getUint32(0) % n;
  }

  private seal(sa: Ikev1Sa, mid: number, iv: Uint8Array, attr: IsakmpPayload, response: boolean) {
    const s = sealTransaction(sa, mid, iv, attr, response, this.logger);
    this.hooks.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: s.bytes });
    return s;
  }

  /** A request of ours in a new exchange (XAUTH CFG_REQUEST or CFG_SET), retransmitted until answered. */
  private request(
    sa: Ikev1Sa,
    kind: 'xauth-request' | 'xauth-set' | 'cfg-set',
    attrs: DataAttribute[],
    cfgType: number,
  ) {
    let mid = 0;
    while (mid === 0 || this.byMid.has(this.key(sa, mid))) mid = this.random(0xffffffff) + 1;
    const identifier = this.random(0xffff);
    const s = this.seal(sa, mid, exchangeIv(sa)(mid), { kind: 'ATTR', cfgType, identifier, attributes: attrs }, false);
    const wait = retransmitTimeout(0, this.retransmit);
    const p: Pending = {
      sa,
      mid,
      iv: s.nextIv,
      kind,
      identifier,
      lastSent: s.bytes,
      sends: 1,
      ...(wait !== undefined ? { retransmitAt: this.clock.now() + wait } : {}),
    };
    this.byMid.set(this.key(sa, mid), p);
    return p;
  }

  /**
   * Phase 1 is up on a gateway: XAUTH first when a `remote` round asks for it (xauth-06 §6.2),
   * else Mode Config push right away when the connection has `pull = no`.
   */
  afterPhase1(sa: Ikev1Sa, xauth: boolean): void {
    if (xauth) this.startXauth(sa);
    else this.startPush(sa);
  }

  /** mode-cfg-05 §3.3 push: CFG_SET with what the gateway has, when `pull = no` and pools are set. */
  private startPush(sa: Ikev1Sa): void {
    if (sa.conn.pull || sa.conn.pools.length === 0) return;
    this.request(sa, 'cfg-set', this.attributes(sa, undefined), CfgType.SET);
  }

  /** xauth-06 §6.2: ask for the generic username and password. */
  startXauth(sa: Ikev1Sa): void {
    sa.xauth = { state: 'pending' };
    this.request(
      sa,
      'xauth-request',
      [
        tvAttribute(CfgAttr.XAUTH_TYPE, 0),
        tlv(CfgAttr.XAUTH_USER_NAME, new Uint8Array(0)),
        tlv(CfgAttr.XAUTH_USER_PASSWORD, new Uint8Array(0)),
      ],
      CfgType.REQUEST,
    );
  }

  receive(sa: Ikev1Sa, msg: IsakmpMessage, bytes: Uint8Array): void {
    const mid = msg.header.messageId;
    const p = this.byMid.get(this.key(sa, mid));
    if (p?.lastReceived && bytesEqual(p.lastReceived, bytes)) {
      if (p.kind === 'reply') this.hooks.push({ kind: 'send', local: sa.local, remote: sa.remote, bytes: p.lastSent });
      return;
    }
    const o = openTransaction(sa, msg, p ? p.iv : exchangeIv(sa)(mid), !!p, this.logger);
    if (typeof o === 'string') {
      this.hooks.drop('undecryptable', o);
      return;
    }
    sa.authIn = (sa.authIn ?? 0) + 1;
    const attr = o.attr;
    if (!attr) {
      this.hooks.drop('unexpected', `Transaction ${mid} without attributes`);
      return;
    }
    if (p?.kind === 'xauth-request' && attr.cfgType === CfgType.REPLY) {
      this.byMid.delete(this.key(sa, mid));
      this.checkXauth(sa, attr.attributes);
    } else if (p?.kind === 'xauth-set') {
      // xauth-06 §6.3 asks for CFG_ACK; an authenticated answer of another type (charon without
      // an XAUTH method sends an empty CFG_REPLY) ends the exchange all the same
      if (attr.cfgType !== CfgType.ACK)
        this.logger.log('warn', 'ike', `[ike1#${sa.id}] XAUTH status answered with CFG type ${attr.cfgType}`);
      this.byMid.delete(this.key(sa, mid));
      if (sa.xauth) sa.xauth.state = p.ok ? 'done' : 'failed';
      this.hooks.xauthDone(sa, p.ok === true, p.user ?? '');
      if (p.ok) this.startPush(sa);
    } else if (p?.kind === 'cfg-set' && attr.cfgType === CfgType.ACK) {
      // mode-cfg-05 §3.3: the ACK lists the attributes the client took; esprit needs none back
      this.byMid.delete(this.key(sa, mid));
      this.logger.log('info', 'ike', `[ike1#${sa.id}] Mode Config push acknowledged`);
    } else if (!p && attr.cfgType === CfgType.REQUEST) {
      if (sa.xauth && sa.xauth.state !== 'done') {
        this.hooks.drop('unexpected', 'Mode Config request before XAUTH completed');
        return;
      }
      const reply = this.attributes(sa, attr.attributes);
      const s = this.seal(
        sa,
        mid,
        o.nextIv,
        { kind: 'ATTR', cfgType: CfgType.REPLY, identifier: attr.identifier, attributes: reply },
        true,
      );
      this.byMid.set(this.key(sa, mid), {
        sa,
        mid,
        iv: s.nextIv,
        kind: 'reply',
        identifier: attr.identifier,
        lastSent: s.bytes,
        lastReceived: bytes,
        sends: 1,
      });
    } else this.hooks.drop('unexpected', `Transaction ${mid}: CFG type ${attr.cfgType}`);
  }

  /** xauth-06 §6.3: the password against the `xauth-*` secrets; CFG_SET with the status. */
  private checkXauth(sa: Ikev1Sa, attrs: readonly DataAttribute[]): void {
    const user = text.decode(attrs.find((a) => a.type === CfgAttr.XAUTH_USER_NAME)?.value ?? new Uint8Array(0));
    const pwd = attrs.find((a) => a.type === CfgAttr.XAUTH_USER_PASSWORD)?.value ?? new Uint8Array(0);
    const round = sa.conn.remote.find((r) => r.auth.startsWith('xauth'));
    // `xauth_id` restricts the user; the secret is an `xauth-*` section naming the user
    const allowed = !round?.xauthId || round.xauthId === user;
    const secret = this.hooks.config().secrets.xauth.find((s) => s.ids.includes(user));
    const ok = allowed && secret !== undefined && bytesEqual(secret.secret, pwd);
    this.logger.log(
      ok ? 'info' : 'warn',
      'ike',
      `[ike1#${sa.id}] XAUTH authentication of '${user}' ${ok ? 'successful' : 'failed'}`,
    );
    const p = this.request(sa, 'xauth-set', [tvAttribute(CfgAttr.XAUTH_STATUS, ok ? 1 : 0)], CfgType.SET);
    p.ok = ok;
    p.user = user;
    if (sa.xauth) sa.xauth.user = user;
  }

  /** Mode Config attributes for `sa`'s client (mode-config-gateway.ts); undefined `requested` = push. */
  private attributes(sa: Ikev1Sa, requested: readonly DataAttribute[] | undefined): DataAttribute[] {
    const out = gatewayAttributes(sa, requested, {
      config: () => this.hooks.config(),
      pools: () => this.hooks.pools(),
      warn: (m) => this.logger.log('warn', 'ike', `[ike1#${sa.id}] ${m}`),
    });
    this.logger.log(
      'info',
      'ike',
      `[ike1#${sa.id}] Mode Config ${requested ? 'reply' : 'set'}: ${sa.vipsRemote.map(formatIp).join(', ') || 'no address'} for the peer`,
    );
    return out;
  }

  forget(sa: Ikev1Sa): void {
    for (const [k, p] of this.byMid) if (p.sa === sa) this.byMid.delete(k);
  }

  nextDeadline(): number | undefined {
    let t: number | undefined;
    for (const p of this.byMid.values())
      if (p.retransmitAt !== undefined && (t === undefined || p.retransmitAt < t)) t = p.retransmitAt;
    return t;
  }

  tick(): void {
    const now = this.clock.now();
    for (const [k, p] of [...this.byMid]) {
      if (p.retransmitAt === undefined || now < p.retransmitAt) continue;
      const wait = retransmitTimeout(p.sends, this.retransmit);
      if (wait === undefined) {
        this.byMid.delete(k);
        if (p.kind === 'xauth-request' || p.kind === 'xauth-set') this.hooks.xauthDone(p.sa, false, p.user ?? '');
        continue;
      }
      p.sends++;
      p.retransmitAt = now + wait;
      this.hooks.push({ kind: 'send', local: p.sa.local, remote: p.sa.remote, bytes: p.lastSent });
    }
  }
}
