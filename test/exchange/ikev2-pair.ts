/**
 * Two in-process IKEv2 engines joined by a scripted network, with an optional NAT in front
 * of the initiator (it rewrites the initiator's source address and port, one mapping per
 * local port, like the lab's nftables masquerade with random ports). PF_KEY is a stub that
 * hands out SPIs and records what would be installed. A FakeClock and SeededRngs make every
 * run byte-identical.
 */
import type { EspritConfig } from '../../src/config/swanctl/swanctl-model.js';
import type { IkeEvent } from '../../src/ike/ike-events.js';
import type { Endpoint } from '../../src/ike/natd.js';
import type { IkeCredentials } from '../../src/ikev2/credentials.js';
import type { ChildSaPlan, Ikev2Action } from '../../src/ikev2/ikev2-actions.js';
import { Ikev2Engine } from '../../src/ikev2/ikev2-engine.js';
import { FakeClock } from '../../src/util/clock.js';
import { bytesEqual } from '../../src/util/hex.js';
import { formatIp, parseIp } from '../../src/util/ip-addr.js';
import { MemoryLogger } from '../../src/util/logger.js';
import { SeededRng } from '../../src/util/rng.js';

export type Side = 'i' | 'r';

export interface Datagram {
  from: Side;
  /** as sent by the sender */
  local: Endpoint;
  remote: Endpoint;
  bytes: Uint8Array;
}

export interface PeerState {
  engine: Ikev2Engine;
  logger: MemoryLogger;
  installed: ChildSaPlan[];
  removed: ChildSaPlan[];
  /** outbound SAs activated after a peer's rekey, with the moment (installed/removed counts) */
  activated: { spiOut: number; removedBefore: number }[];
  updated: ChildSaPlan[];
  events: IkeEvent[];
  results: { requestId: number; ok: boolean; reason: string }[];
  vips: Uint8Array[];
  nextSpi: number;
  /** GETSPI requests held back (answered by `answerSpis`) when `holdSpis` is set */
  heldSpis: number[];
  holdSpis: boolean;
}

export const ADDR = {
  initiator: parseIp('10.99.1.2').bytes,
  natPublic: parseIp('10.99.2.1').bytes,
  responder: parseIp('10.99.2.2').bytes,
};

export class IkePair {
  readonly clock = new FakeClock(1_000_000);
  readonly i: PeerState;
  readonly r: PeerState;
  readonly wire: Datagram[] = [];
  /** NAT in front of the initiator: local port -> public port */
  nat: Map<number, number> | undefined;
  /** the initiator's address behind the NAT, where the NAT delivers replies (a MOBIKE test moves it) */
  natInside: Uint8Array = ADDR.initiator;
  private nextNatPort = 30000;

  constructor(
    iConfig: EspritConfig,
    rConfig: EspritConfig,
    opts: {
      nat?: boolean;
      seed?: bigint;
      cookieThreshold?: number;
      credentials?: { i?: IkeCredentials; r?: IkeCredentials };
    } = {},
  ) {
    const mk = (cfg: EspritConfig, seed: bigint, side: Side): PeerState => {
      const logger = new MemoryLogger();
      const credentials = opts.credentials?.[side];
      return {
        engine: new Ikev2Engine(cfg, this.clock, new SeededRng(seed), logger, {
          ...(side === 'r' && opts.cookieThreshold !== undefined ? { cookieThreshold: opts.cookieThreshold } : {}),
          ...(credentials ? { credentials } : {}),
        }),
        logger,
        installed: [],
        removed: [],
        activated: [],
        updated: [],
        events: [],
        results: [],
        vips: [],
        nextSpi: side === 'i' ? 0xc1000001 : 0xc2000001,
        heldSpis: [],
        holdSpis: false,
      };
    };
    const seed = opts.seed ?? 7n;
    this.i = mk(iConfig, seed, 'i');
    this.r = mk(rConfig, seed + 1000n, 'r');
    if (opts.nat ?? true) this.nat = new Map();
  }

  peer(s: Side): PeerState {
    return s === 'i' ? this.i : this.r;
  }

  /** Start `conn` on the initiator (request id 1 unless given). */
  initiate(conn: string, child?: string, requestId = 1): void {
    this.i.engine.initiate(conn, ADDR.initiator, ADDR.responder, child, requestId);
    this.run('i');
  }

  /** Execute the actions of one side (GETSPI is answered at once unless held). */
  run(s: Side): void {
    const p = this.peer(s);
    for (;;) {
      const acts = p.engine.takeActions();
      if (acts.length === 0) return;
      for (const a of acts) this.act(s, p, a);
    }
  }

  private act(s: Side, p: PeerState, a: Ikev2Action): void {
    switch (a.kind) {
      case 'send':
        this.wire.push({ from: s, local: a.local, remote: a.remote, bytes: a.bytes });
        return;
      case 'get-spi':
        if (p.holdSpis) p.heldSpis.push(a.token);
        else p.engine.spiAllocated(a.token, p.nextSpi++);
        return;
      case 'install-child':
        p.installed.push(a.plan);
        return;
      case 'remove-child':
        p.removed.push(a.plan);
        return;
      case 'activate-child':
        p.activated.push({ spiOut: a.plan.outbound.spi, removedBefore: p.removed.length });
        return;
      case 'update-child':
        p.updated.push({ ...a.plan, encap: a.plan.encap ? { ...a.plan.encap } : undefined } as ChildSaPlan);
        return;
      case 'vip-add':
        p.vips.push(a.address);
        return;
      case 'vip-remove':
        p.vips = p.vips.filter((v) => !bytesEqual(v, a.address));
        return;
      case 'event':
        p.events.push(a.event);
        return;
      case 'initiate-result':
        p.results.push({ requestId: a.requestId, ok: a.ok, reason: a.reason });
        return;
    }
  }

  answerSpis(s: Side): void {
    const p = this.peer(s);
    for (const t of p.heldSpis.splice(0)) p.engine.spiAllocated(t, p.nextSpi++);
    this.run(s);
  }

  /** Take the oldest datagram on the wire. */
  next(): Datagram {
    const d = this.wire.shift();
    if (!d) throw new Error('no datagram on the wire');
    return d;
  }

  /** Deliver a datagram to the other side (through the NAT when there is one). */
  deliver(d: Datagram): void {
    if (d.from === 'i') {
      let src: Endpoint = d.local;
      if (this.nat) {
        let pub = this.nat.get(d.local.port);
        if (pub === undefined) {
          pub = this.nextNatPort++;
          this.nat.set(d.local.port, pub);
        }
        src = { address: ADDR.natPublic, port: pub };
      }
      this.r.engine.receive(d.remote, src, d.bytes);
      this.run('r');
    } else {
      let dst: Endpoint = d.remote;
      if (this.nat) {
        const local = [...this.nat.entries()].find(([, pub]) => pub === d.remote.port)?.[0];
        if (local === undefined || !bytesEqual(d.remote.address, ADDR.natPublic)) return; // no mapping: the NAT drops it
        dst = { address: this.natInside, port: local };
      }
      this.i.engine.receive(dst, d.local, d.bytes);
      this.run('i');
    }
  }

  /** Deliver everything until the wire is quiet (at most `limit` datagrams). */
  flush(limit = 50): number {
    let n = 0;
    while (this.wire.length > 0 && n < limit) {
      this.deliver(this.next());
      n++;
    }
    return n;
  }

  /** Let time pass and run both engines' timers. */
  advance(ms: number): void {
    this.clock.advance(ms);
    this.i.engine.tick();
    this.run('i');
    this.r.engine.tick();
    this.run('r');
  }

  /** The logged message summaries of a side (`generating ...` / `parsed ...`). */
  log(s: Side, verb: 'generating' | 'parsed'): string[] {
    return this.peer(s)
      .logger.lines.filter((l) => l.includes(` ${verb} `))
      .map((l) => l.slice(l.indexOf(` ${verb} `) + verb.length + 2));
  }
}

export const ep = (e: Endpoint): string => `${formatIp(e.address)}:${e.port}`;
